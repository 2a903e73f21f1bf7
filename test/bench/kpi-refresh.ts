/**
 * KPI refresh benchmark (issue: GraphQL API). A dashboard's scorecard after each new event: the API's KpiService over
 * a read model of D generated deals as the API opens it (a fact file, the org part of the graph), all active KPIs for
 * the current and the previous quarter, values only (as the API's `scorecard` asks). The cold first answer of the
 * same query, in the same run, is the baseline; after an event the fact tables hold it once it is announced, and the
 * same statement runs again.
 * Usage: node test/bench/kpi-refresh.ts [--deals 40000] [--rounds 4]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KpiService } from "@revgraph/api";
import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig } from "@revgraph/domain";
import { createMemoryEventStore } from "@revgraph/event-store";
import { kpiDefinitions } from "@revgraph/kpis";
import { RevenueReadModel } from "@revgraph/read-model";
import { BENCH_NOW, option, ratio, saveResults } from "./support.ts";

const deals = option("deals", 40_000);
const rounds = option("rounds", 4);
const kpis = [
  ...new Set(kpiDefinitions.filter((definition) => definition.status === "active").map((definition) => definition.id)),
];
const periods = ["2026-Q4", "2026-Q3"] as const;

console.log(`KPI refresh benchmark: ${deals.toLocaleString("en-US")} deals, ${rounds} events, node ${process.version}`);
const store = createMemoryEventStore();
let started = performance.now();
await seedDemoData(store, { deals, seed: 42, now: BENCH_NOW });
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-refresh-"));
const readModel = await RevenueReadModel.open({
  store,
  config: defaultConfig,
  factsPath: join(dir, "read-model.duckdb"),
  graph: "org",
});
console.log(`  seeded and caught up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const service = new KpiService(readModel);
let dealId: string | undefined;
for await (const event of store.readAll({ after: 0 }))
  if (event.type === "DealCreated") {
    dealId = (event.data as { dealId: string }).dealId;
    break;
  }
if (!dealId) throw new Error("the seeded log has no deal");

const timings: Record<(typeof periods)[number], number[]> = { "2026-Q4": [], "2026-Q3": [] };
for (let round = 0; round <= rounds; round++) {
  for (const period of periods) {
    started = performance.now();
    await service.compute({ kpis, period, timeZone: "UTC", filter: {} }, BENCH_NOW, { eventIds: false });
    timings[period].push(performance.now() - started);
  }
  const appended = await store.append(`deal-${dealId}`, [
    {
      type: "GateEvidenceRecorded",
      occurredAt: BENCH_NOW.toISOString(),
      data: { dealId, gate: "pain_statement", evidence: `refresh ${round}` },
    },
  ]);
  await readModel.waitFor(appended.positions[0] as number);
}

interface PeriodSummary {
  readonly coldMs: number;
  readonly afterEventMs: readonly number[];
  readonly medianAfterEventMs: number;
}
const summarise = (period: (typeof periods)[number]): PeriodSummary => {
  const [cold = 0, ...after] = timings[period];
  const sorted = [...after].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(
    `  ${period}: cold ${Math.round(cold)} ms; after each new event ${sorted.map(Math.round).join(", ")} ms (median ${Math.round(median)} ms)`,
  );
  return { coldMs: cold, afterEventMs: after, medianAfterEventMs: median };
};
const summary = { "2026-Q4": summarise("2026-Q4"), "2026-Q3": summarise("2026-Q3") };
console.log("ratios:");
for (const period of periods) {
  ratio(`${period} after an event ÷ cold first answer`, summary[period].medianAfterEventMs / summary[period].coldMs, 1, false);
}
saveResults("kpi-refresh", { deals, rounds, summary });
await readModel.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
