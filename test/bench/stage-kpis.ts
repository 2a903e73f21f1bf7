/**
 * Stage, slippage and risk KPIs from SQL (issue 13), over a copy of a seeded store (the read model writes its fact file
 * into the data directory). In one run, grouped by team, uncached, values only, one connection:
 *   - the baseline: the scorecard of every other compiled active KPI;
 *   - the same scorecard with the stage KPIs (stage conversion, time in stage, slippage, stale deals) added, and each
 *     stage KPI alone; ratios against the baseline;
 *   - the stage KPIs at random asOf/knownAt;
 *   - the in-memory engine on the stage KPIs (once), for the ratio.
 * Usage: node --max-old-space-size=12000 test/bench/stage-kpis.ts --data <copy of the 100k store> [--rounds 20]
 */
import { join } from "node:path";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { computeKpis, type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import { isCompiled, RevenueReadModel } from "@revgraph/read-model";
import { measure, option, saveResults } from "./support.ts";

const dataIndex = process.argv.indexOf("--data");
const data = dataIndex === -1 ? undefined : process.argv[dataIndex + 1];
if (!data) throw new Error("usage: stage-kpis.ts --data <copy of a seeded store> [--rounds 20]");
const rounds = option("rounds", 20);
const now = new Date();
const stageKpis = ["stage_conversion", "time_in_stage", "slippage_rate", "stale_deals"];
const others = [
  ...new Set(
    kpiDefinitions
      .filter((d) => d.status === "active" && isCompiled(d) && !stageKpis.includes(d.id))
      .map((definition) => definition.id),
  ),
];
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
};

console.log(`stage KPIs over ${data} (figures taken on a shared, contended 2-core machine)`);
const store = openSqliteEventStore({ path: join(data, "revgraph.db") });
const head = await store.headPosition();
let opened: RevenueReadModel | undefined;
const catchUp = await measure("read model caught up", head, async () => {
  opened = await RevenueReadModel.open({
    store,
    config: defaultConfig,
    follow: false,
    factsPath: join(data, "read-model.stage-bench.duckdb"),
  });
});
const model = opened as RevenueReadModel;

/** p50 and p99 of a grouped, values-only SQL answer to `kpis` over `rounds` rounds. */
async function timed(kpis: readonly string[], extra: Partial<KpiQuery> = {}, vary?: (round: number) => Partial<KpiQuery>) {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const query: KpiQuery = { kpis, period: "2026-Q3", groupBy: "team", ...extra, ...vary?.(round) };
    const started = performance.now();
    await model.computeKpis(query, now, { eventIds: false });
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

const baseline = await timed(others);
const withStages = await timed([...others, ...stageKpis]);
const alone: Record<string, { p50: number; p99: number }> = {};
for (const kpi of stageKpis) alone[kpi] = await timed([kpi]);
const random = await timed(stageKpis, {}, (round) => ({
  period: "2026-Q2",
  asOf: new Date(Date.parse("2026-01-01T00:00:00Z") + round * 9 * 86_400_000).toISOString(),
  knownAt: new Date(Date.parse("2026-03-01T00:00:00Z") + round * 7 * 86_400_000).toISOString(),
}));
let started = performance.now();
computeKpis(model.state, defaultConfig, { kpis: stageKpis, period: "2026-Q3", groupBy: "team" }, now);
const engineMs = performance.now() - started;
started = performance.now();
await model.computeKpis({ kpis: stageKpis, period: "2026-Q3", groupBy: "team" }, now);
const sqlWithEventIdsMs = performance.now() - started;
await model.close();
await store.close();

const figures = {
  events: head,
  catchUpSeconds: catchUp.seconds,
  otherKpis: others.length,
  scorecardWithoutStageKpisMs: baseline,
  scorecardWithStageKpisMs: withStages,
  ratioP50: withStages.p50 / baseline.p50,
  stageKpiAloneMs: alone,
  stageKpisRandomAsOfKnownAtMs: random,
  stageKpisEngineMs: engineMs,
  stageKpisSqlWithEventIdsMs: sqlWithEventIdsMs,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(figures, null, 2));
saveResults("stage-kpis", figures);
