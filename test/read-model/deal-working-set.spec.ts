import { seedDemoData } from "@revgraph/api/demo";
import { applyEvent, emptyGraph } from "@revgraph/domain";
import { createMemoryEventStore, type EventStore } from "@revgraph/event-store";
import { beforeAll, describe, expect, it } from "vitest";
import { DealWorkingSet } from "../../packages/read-model/src/deal-working-set.ts";

const now = new Date("2026-09-30T12:00:00Z");

/** Replays the whole log through a working set as an org graph does; returns the stream reads and the final bound. */
async function replay(store: EventStore, bound: number, growUpTo: number) {
  let streamReads = 0;
  const counting: EventStore = Object.create(store, {
    readStream: {
      value: (...args: Parameters<EventStore["readStream"]>) => {
        streamReads++;
        return store.readStream(...args);
      },
    },
  });
  const state = emptyGraph();
  const workingSet = new DealWorkingSet(counting, state, 0);
  workingSet.rebound(bound, growUpTo);
  let mostHeld = 0;
  for await (const event of store.readAll({ after: 0 })) {
    await workingSet.prepare(event);
    applyEvent(state, event);
    workingSet.settle(event);
    const held = Object.keys(state.deals).length;
    expect(held).toBeLessThanOrEqual(workingSet.bound);
    mostHeld = Math.max(mostHeld, held);
  }
  return { streamReads, bound: workingSet.bound, mostHeld };
}

describe("the working set of deals while catching up", () => {
  const store = createMemoryEventStore();
  beforeAll(async () => {
    await seedDemoData(store, { deals: 200, seed: 5, now });
  }, 60_000);

  it("grows by doubling while dropped deals are read again often, up to its ceiling, and reads fewer streams", async () => {
    const fixed = await replay(store, 2, 2);
    const growing = await replay(store, 2, 32);
    expect(fixed.bound).toBe(2);
    expect([4, 8, 16, 32]).toContain(growing.bound);
    expect(growing.mostHeld).toBeGreaterThan(2);
    expect(growing.streamReads).toBeLessThan(fixed.streamReads / 2);
    const capped = await replay(store, 2, 5);
    expect(capped.bound).toBe(5);
  });

  it("does not grow when it holds every deal active at once", async () => {
    const roomy = await replay(store, 500, 4_000);
    expect(roomy.bound).toBe(500);
    expect(roomy.streamReads).toBe(0);
  });

  it("drops the deal not touched for longest beyond its bound: one touched again since it came is kept", async () => {
    const deals = createMemoryEventStore();
    const created = (dealId: string) => ({
      type: "DealCreated" as const,
      occurredAt: now.toISOString(),
      data: {
        dealId,
        accountId: "acct-1",
        ownerRepId: "rep-1",
        name: dealId,
        amount: 1,
        stage: "discovery",
        expectedCloseDate: "2026-12-31",
      },
    });
    // In log order: a and b come; a is touched again; c comes, and one deal must go.
    await deals.append("deal-a", [created("a")]);
    await deals.append("deal-b", [created("b")]);
    await deals.append("deal-a", [
      { type: "DealAmountChanged", occurredAt: now.toISOString(), data: { dealId: "a", amount: 2 } },
    ]);
    await deals.append("deal-c", [created("c")]);
    const state = emptyGraph();
    const workingSet = new DealWorkingSet(deals, state, 2);
    for await (const event of deals.readAll({ after: 0 })) {
      await workingSet.prepare(event);
      applyEvent(state, event);
      workingSet.settle(event);
    }
    // b, untouched since it came, goes rather than a, the first to come.
    expect(Object.keys(state.deals).sort()).toEqual(["a", "c"]);
  });
});
