import { seedDemoData } from "@revgraph/api/demo";
import { createMemoryEventStore } from "@revgraph/event-store";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness, NOW } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;

/** An amount the catalog accepted before it was bounded: two of them overflow any sum to Infinity. */
const HUGE = 1.5e308;

/**
 * A log written before the input bounds: a demo history, then two deals won and two open deals at amounts whose sums
 * (won revenue, pipeline, a rep's attainment) are not finite numbers.
 */
beforeAll(async () => {
  const store = createMemoryEventStore({ clock: () => NOW });
  await seedDemoData(store, { deals: 80, seed: 5, now: NOW });
  const seeded = await apiHarness(0, store);
  const open = (await seeded.dealsAsTheyStand()).filter((deal) => deal.status === "open");
  await seeded.readModel.close();
  const ownerOf = (deal: (typeof open)[number]) => deal.ownerRepId;
  const won = open.filter((deal) => open.filter((other) => ownerOf(other) === ownerOf(deal)).length >= 2);
  const winner = won[0] ? ownerOf(won[0]) : undefined;
  const wins = won.filter((deal) => ownerOf(deal) === winner).slice(0, 2);
  const grown = open.filter((deal) => !wins.includes(deal)).slice(0, 2);
  expect([wins.length, grown.length]).toEqual([2, 2]);
  for (const deal of wins)
    await store.append(`deal-${deal.id}`, [
      { type: "DealWon", occurredAt: "2026-11-10T00:00:00Z", data: { dealId: deal.id, amount: HUGE, currency: "USD" } },
    ]);
  for (const deal of grown)
    await store.append(`deal-${deal.id}`, [
      { type: "DealAmountChanged", occurredAt: "2026-11-10T00:00:00Z", data: { dealId: deal.id, amount: HUGE, currency: "USD" } },
    ]);
  api = await apiHarness(0, store);
}, 120_000);

describe("KPI figures that are not finite numbers (logs written before the input bounds)", () => {
  it("come back as null with a reason from the SQL path and the engine, never as a serialization error", async () => {
    for (const query of [
      `{ kpi(id: "average_deal_size", period: "2026-Q4") { value nullReason derivation { inputs { name value nullReason } } } }`,
      `{ scorecard(period: "2026-Q4") { kpiId value nullReason derivation { inputs { name value nullReason } } } }`,
    ]) {
      const { status, body } = await api.gql(api.tokens.exec, query);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      const rows = (body.data.kpi ?? body.data.scorecard) as {
        kpiId?: string;
        value: number | null;
        nullReason: string | null;
        derivation: { inputs: { name: string; value: number | null; nullReason: string | null }[] };
      }[];
      const averageDealSize = rows.find((row) => row.kpiId === undefined || row.kpiId === "average_deal_size");
      expect(averageDealSize).toMatchObject({ value: null, nullReason: expect.stringMatching(/finite/) });
      const inputs = rows.flatMap((row) => row.derivation.inputs);
      expect(inputs.filter((input) => input.nullReason !== null).length).toBeGreaterThan(0);
      for (const input of inputs) if (input.nullReason !== null) expect(input.value).toBeNull();
    }
  });

  it("answer a rep's attainment and the distribution's percentiles as null with a reason", async () => {
    const { status, body } = await api.gql(
      api.tokens.exec,
      `{ attainmentDistribution(period: "2026-Q4") { reps { repId won attainment nullReason } p90 nullReason } }`,
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const distribution = body.data.attainmentDistribution as {
      reps: { repId: string; won: number | null; attainment: number | null; nullReason: string | null }[];
      p90: number | null;
      nullReason: string | null;
    };
    const overflowing = distribution.reps.filter((rep) => rep.nullReason !== null);
    expect(overflowing.length).toBeGreaterThan(0);
    for (const rep of overflowing) expect(rep).toMatchObject({ won: null, nullReason: expect.stringMatching(/won/) });
    expect(distribution.reps.some((rep) => rep.nullReason === null && rep.won !== null)).toBe(true);
  });
});
