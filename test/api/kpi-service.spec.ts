import { KpiService } from "@revgraph/api";
import { defaultConfig } from "@revgraph/domain";
import { computeKpis, kpiDefinitions } from "@revgraph/kpis";
import { rebuildGraph } from "@revgraph/read-model";
import { describe, expect, it } from "vitest";
import { apiHarness, NOW } from "./harness.ts";

const kpis = [
  ...new Set(kpiDefinitions.filter((definition) => definition.status === "active").map((definition) => definition.id)),
];

/**
 * Values and derivations as plain data, for comparing answers computed different ways: values to 12 significant
 * digits (SQL adds in another order than the engine) and the set of contributing events (as the differential test).
 */
function answers(results: ReturnType<typeof computeKpis>) {
  return results.map((result) => ({
    kpi: result.definition.id,
    group: result.group,
    value: result.value === null ? null : Number(result.value.toPrecision(12)),
    eventIds: [...result.derivation.eventIds].sort(),
  }));
}

describe("KpiService", () => {
  it("answers exactly as the engine over a graph rebuilt from scratch, before and after new events", async () => {
    const api = await apiHarness(120);
    const service = new KpiService(api.readModel);
    const check = async () => {
      for (const query of [
        { period: "2026-Q4", kpis },
        { period: "2026-Q3", kpis, groupBy: "team" as const },
        { period: "2026-Q3", kpis, knownAt: NOW.toISOString() },
        { period: "2026-Q4", kpis, groupBy: "rep" as const, knownAt: NOW.toISOString() },
      ]) {
        // Every active KPI is compiled, and the API's read model answers all of them from its fact tables.
        expect(api.readModel.sqlServes(query)).toBe(true);
        const served = await service.compute(query, NOW);
        const rebuilt = computeKpis(await rebuildGraph(api.store), defaultConfig, query, KpiService.evaluationTime(NOW));
        expect(answers(served)).toEqual(answers(rebuilt));
      }
    };
    await check();
    // Later appends are recorded after NOW, so "known at NOW" keeps answering as before them.
    api.recordAt("2026-11-15T13:00:00Z");
    const open = (await api.dealsAsTheyStand()).filter((deal) => deal.status === "open").slice(0, 5);
    for (const [index, deal] of open.slice(0, 3).entries()) {
      const result = await api.store.append(`deal-${deal.id}`, [
        {
          type: "DealAmountChanged",
          occurredAt: "2026-11-10T00:00:00Z",
          data: { dealId: deal.id, amount: 1_000 + index, currency: "USD" },
        },
        {
          type: "DealWon",
          occurredAt: "2026-11-12T00:00:00Z",
          data: { dealId: deal.id, amount: 1_000 + index, currency: "USD" },
        },
      ]);
      await api.readModel.waitFor(result.positions.at(-1) ?? 0);
      await check();
    }
    // Back-dated into the past quarter: a loss, and a deal that existed all along but was recorded only now.
    const late = open.at(-1) as { id: string; accountId: string; ownerRepId: string };
    const backDated = await api.store.appendMany([
      {
        streamId: `deal-${late.id}`,
        events: [{ type: "DealLost", occurredAt: "2026-08-20T00:00:00Z", data: { dealId: late.id, reason: "pricing" } }],
      },
      {
        streamId: "deal-late-entry",
        events: [
          {
            type: "DealCreated",
            occurredAt: "2026-07-05T00:00:00Z",
            data: {
              dealId: "late-entry",
              accountId: late.accountId,
              ownerRepId: late.ownerRepId,
              name: "Recorded late",
              amount: 50_000,
              currency: "USD",
              stage: "discovery",
              expectedCloseDate: "2026-09-15",
            },
          },
          {
            type: "DealWon",
            occurredAt: "2026-09-01T00:00:00Z",
            data: { dealId: "late-entry", amount: 50_000, currency: "USD" },
          },
        ],
      },
    ]);
    await api.readModel.waitFor(backDated.at(-1)?.positions.at(-1) ?? 0);
    await check();
  });
});
