import { canonicalJson, type RecordedEvent } from "@revgraph/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "./config.ts";
import {
  adoptDeal,
  applyEvent,
  dealsChangedSince,
  emptyGraph,
  forgetDeals,
  type GraphState,
  listOf,
  projectGraph,
} from "./graph.ts";
import { dealAt, timeSlice } from "./snapshot.ts";
import { eventLog } from "./testing.ts";

type Step =
  | { kind: "stage"; to: string }
  | { kind: "amount"; amount: number }
  | { kind: "close"; date: string }
  | { kind: "won" }
  | { kind: "lost" }
  | { kind: "reopen" }
  | { kind: "role"; contact: string }
  | { kind: "interaction"; contacts: string[] };

const stages = defaultConfig.stages.map((stage) => stage.id);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("stage" as const), to: fc.constantFrom(...stages) }),
  fc.record({ kind: fc.constant("amount" as const), amount: fc.integer({ min: 0, max: 2_000_000 }) }),
  fc.record({
    kind: fc.constant("close" as const),
    date: fc.constantFrom("2026-02-01", "2026-03-15", "2026-05-01", "2026-08-30"),
  }),
  fc.constant({ kind: "won" as const }),
  fc.constant({ kind: "lost" as const }),
  fc.constant({ kind: "reopen" as const }),
  fc.record({ kind: fc.constant("role" as const), contact: fc.constantFrom("c1", "c2", "c3") }),
  fc.record({ kind: fc.constant("interaction" as const), contacts: fc.subarray(["c1", "c2", "c3", "c4"]) }),
);
/** A deal's steps, each with a business-time offset in hours (arrival order may differ from business order). */
const history = fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), step, fc.integer({ min: 1, max: 24 * 120 })), {
  maxLength: 40,
});

function build(entries: [string, Step, number][]): RecordedEvent[] {
  const log = eventLog();
  const base = Date.parse("2026-01-01T00:00:00Z");
  for (const deal of ["a", "b", "c"]) {
    log.add(
      `deal-${deal}`,
      "DealCreated",
      {
        dealId: deal,
        accountId: "x",
        ownerRepId: "r",
        name: deal,
        amount: 1000,
        stage: "discovery",
        expectedCloseDate: "2026-03-01",
      },
      new Date(base).toISOString(),
    );
  }
  entries.forEach(([deal, change, hours], index) => {
    const at = new Date(base + hours * 3_600_000).toISOString();
    const data = { dealId: deal };
    const stream = `deal-${deal}`;
    if (change.kind === "stage") log.add(stream, "DealStageChanged", { ...data, from: "discovery", to: change.to }, at);
    if (change.kind === "amount") log.add(stream, "DealAmountChanged", { ...data, amount: change.amount }, at);
    if (change.kind === "close") log.add(stream, "DealCloseDateChanged", { ...data, expectedCloseDate: change.date }, at);
    if (change.kind === "won") log.add(stream, "DealWon", { ...data, amount: 5 }, at);
    if (change.kind === "lost") log.add(stream, "DealLost", { ...data, reason: "timing" }, at);
    if (change.kind === "reopen") log.add(stream, "DealReopened", { ...data, stage: "negotiation" }, at);
    if (change.kind === "role")
      log.add(stream, "ContactRoleAssigned", { ...data, contactId: change.contact, role: "champion" }, at);
    if (change.kind === "interaction") {
      log.add(
        stream,
        "InteractionLogged",
        {
          interactionId: `i${index}`,
          accountId: "x",
          dealId: deal,
          repId: "r",
          kind: "call",
          direction: "outbound",
          contactIds: change.contacts,
        },
        at,
      );
    }
  });
  return log.events;
}

/** What a deal looks like in business terms, without log positions. */
function businessView(state: GraphState) {
  const slice = timeSlice(state);
  return Object.values(state.deals).map((facts) => {
    const deal = dealAt(state, facts, slice, defaultConfig);
    return (
      deal && {
        stage: deal.stage,
        status: deal.status,
        amount: deal.amount,
        expectedCloseDate: deal.expectedCloseDate,
        pushes: deal.pushes,
        stays: deal.stays.map((stay) => [stay.stage, stay.enteredAt, stay.leftAt]),
        engaged: deal.engagedContactIds,
      }
    );
  });
}

describe("revenue graph projection", () => {
  it("rebuild from scratch equals the state maintained incrementally from any snapshot, byte for byte", () => {
    fc.assert(
      fc.property(history, fc.nat(), (entries, cut) => {
        const events = build(entries);
        const split = cut % (events.length + 1);
        const rebuilt = projectGraph(events);
        const snapshot = JSON.parse(JSON.stringify(projectGraph(events.slice(0, split)))) as GraphState;
        const resumed = projectGraph(events.slice(split), snapshot);
        expect(canonicalJson(resumed)).toBe(canonicalJson(rebuilt));
      }),
      { numRuns: 200 },
    );
  });

  it("gives the same business view whatever order back-dated events arrive in", () => {
    fc.assert(
      fc.property(history, (entries) => {
        const arrival = projectGraph(build(entries));
        const businessOrder = projectGraph(build([...entries].sort((a, b) => a[2] - b[2])));
        expect(businessView(arrival)).toEqual(businessView(businessOrder));
      }),
      { numRuns: 200 },
    );
  });

  it("starts empty", () => {
    expect(canonicalJson(projectGraph([]))).toBe(canonicalJson(emptyGraph()));
  });

  it("ignores the store's checkpoint digests: only the position moves, not business time or any fact", () => {
    fc.assert(
      fc.property(history, (entries) => {
        const events = build(entries);
        // Recorded (and stamped) after every business event: a checkpoint must still not move business time.
        const stored = eventLog("2027-06-01T00:00:00.000Z").add(
          "revgraph-checkpoints",
          "LogCheckpointed",
          { position: events.length, logHash: "a".repeat(64) },
          "2027-06-01T00:00:00Z",
        );
        const checkpoint = { ...stored, globalPosition: events.length + 1 } as RecordedEvent;
        const without = projectGraph(events);
        const withCheckpoint = projectGraph([...events, checkpoint]);
        expect(withCheckpoint.position).toBe(events.length + 1);
        const facts = ({ position: _position, recordLog: _recordLog, ...rest }: GraphState) => canonicalJson(rest);
        expect(facts(withCheckpoint)).toBe(facts(without));
      }),
      { numRuns: 50 },
    );
  });
});

describe("listOf", () => {
  it("stays equal to Object.values as entries are added and replaced between reads, array-index-like ids included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("i-1", "i-2", "i-3", "i-4", "i-5", "7", "12"), fc.boolean()), { maxLength: 40 }),
        (writes) => {
          const log = eventLog();
          const state = emptyGraph();
          for (const [index, [interactionId, read]] of writes.entries()) {
            const event = log.add(
              "account-a",
              "InteractionLogged",
              {
                interactionId,
                accountId: "a",
                repId: `rep-${index}`,
                kind: "call",
                direction: "outbound",
                contactIds: [],
              },
              "2026-03-01T00:00:00Z",
            );
            applyEvent(state, event);
            if (read) expect(listOf(state, "interactions")).toEqual(Object.values(state.interactions));
          }
          expect(listOf(state, "interactions")).toEqual(Object.values(state.interactions));
        },
      ),
    );
  });
});

/** A deal of 10 USD created on its own stream on 2026-01-05, in account "a", owned by rep "r". */
function dealCreated(log: ReturnType<typeof eventLog>, dealId: string) {
  return log.add(
    `deal-${dealId}`,
    "DealCreated",
    {
      dealId,
      accountId: "a",
      ownerRepId: "r",
      name: dealId,
      amount: 10,
      currency: "USD",
      stage: "discovery",
      expectedCloseDate: "2026-06-30",
    },
    "2026-01-05T00:00:00Z",
  );
}

describe("dealsChangedSince", () => {
  it("names the deals with facts added after a position, and gives up when an interaction is logged again", () => {
    const log = eventLog();
    const state = emptyGraph();
    const created = (dealId: string) => dealCreated(log, dealId);
    const interaction = (interactionId: string, dealId: string) =>
      log.add(
        "account-a",
        "InteractionLogged",
        {
          interactionId,
          accountId: "a",
          dealId,
          repId: "r",
          kind: "call",
          direction: "outbound",
          contactIds: [],
        },
        "2026-01-06T00:00:00Z",
      );
    for (const event of [created("d1"), created("d2")]) applyEvent(state, event);
    const before = state.position;
    expect(dealsChangedSince(state, before)).toEqual(new Set());
    for (const event of [created("d3"), interaction("i1", "d1")]) applyEvent(state, event);
    expect(dealsChangedSince(state, before)).toEqual(new Set(["d3", "d1"]));
    expect(dealsChangedSince(state, state.position)).toEqual(new Set());
    const beforeRelog = state.position;
    applyEvent(state, interaction("i1", "d2"));
    expect(dealsChangedSince(state, beforeRelog)).toBeNull();
    expect(dealsChangedSince(state, state.position)).toEqual(new Set());
  });
});

describe("a working set of deals (adoptDeal, forgetDeals)", () => {
  it("moves a deal folded elsewhere in and drops it again, keeping lists and the latest logging of an interaction", () => {
    const log = eventLog();
    const created = (dealId: string) => dealCreated(log, dealId);
    const logged = (interactionId: string, dealId: string, contactIds: string[]) =>
      log.add(
        `deal-${dealId}`,
        "InteractionLogged",
        { interactionId, accountId: "a", dealId, repId: "r", kind: "call", direction: "outbound", contactIds },
        "2026-01-06T00:00:00Z",
      );
    const events = [created("d1"), logged("i1", "d1", ["c1"]), created("d2"), logged("i1", "d2", ["c2"])];
    const whole = projectGraph(events);
    const state = emptyGraph();
    expect(listOf(state, "deals")).toEqual([]);
    // d2 (with the later logging of i1) is loaded first, then d1: i1 keeps d2's logging, as in the whole graph.
    adoptDeal(state, projectGraph(events.filter((event) => event.streamId === "deal-d2")), "d2");
    adoptDeal(state, projectGraph(events.filter((event) => event.streamId === "deal-d1")), "d1");
    expect(listOf(state, "deals")).toEqual(Object.values(state.deals));
    expect(canonicalJson(state.deals)).toBe(canonicalJson(whole.deals));
    expect(canonicalJson(state.interactions)).toBe(canonicalJson(whole.interactions));
    expect(state.position).toBe(0);
    expect(state.recordLog).toEqual([]);
    expect(dealsChangedSince(state, 0)).toBeNull();
    forgetDeals(state, ["d2"]);
    expect(Object.keys(state.deals)).toEqual(["d1"]);
    expect(listOf(state, "deals")).toEqual([state.deals.d1]);
    // i1's latest logging named d2: it goes with d2.
    expect(state.interactions).toEqual({});
    expect(dealsChangedSince(state, 0)).toBeNull();
  });
});
