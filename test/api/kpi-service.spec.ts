import { KpiService } from "@revgraph/api";
import { defaultConfig } from "@revgraph/domain";
import { computeKpis, kpiDefinitions } from "@revgraph/kpis";
import { rebuildGraph } from "@revgraph/read-model";
import { describe, expect, it } from "vitest";
import { apiHarness, NOW } from "./harness.ts";

const kpis = [
  ...new Set(kpiDefinitions.filter((definition) => definition.status === "active").map((definition) => definition.id)),
];

/** Values and derivations as plain data, for comparing answers computed different ways. */
function answers(results: ReturnType<typeof computeKpis>) {
  return results.map((result) => ({
    kpi: result.definition.id,
    group: result.group,
    value: result.value,
    eventIds: result.derivation.eventIds,
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
      ]) {
        const served = service.compute(query, NOW);
        const rebuilt = computeKpis(await rebuildGraph(api.store), defaultConfig, query, KpiService.evaluationTime(NOW));
        expect(answers(served)).toEqual(answers(rebuilt));
      }
    };
    await check();
    const open = [...api.readModel.currentDeals().values()].filter((deal) => deal.status === "open").slice(0, 3);
    for (const [index, deal] of open.entries()) {
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
    }
    await check();
  });
});
