/**
 * Stage, slippage and risk KPIs from SQL (issue 13), over a copy of a seeded store (the read model writes its fact file
 * into the data directory). In one run, grouped by team, uncached, values only, one connection:
 *   - the baseline: the scorecard of every other compiled active KPI;
 *   - the same scorecard with the stage KPIs (stage conversion, time in stage, slippage, stale deals) added, and each
 *     stage KPI alone; ratios against the baseline;
 *   - the stage KPIs at random asOf/knownAt, and with their contributing event ids; the funnel;
 *   - then, with the graph replayed, the warm in-memory engine on the stage KPIs and the funnel, for the ratios, each
 *     in turn with the read model's own answer with the graph in memory, as the API gives it (SQL where
 *     `sqlServes`, which the figures record; the funnel from SQL whenever there are fact tables).
 * The read model is opened without the graph (as the CLI), so every compiled KPI is answered from SQL.
 * Usage: node --max-old-space-size=12000 test/bench/stage-kpis.ts --data <copy of the 100k store> [--rounds 20]
 */
import { join } from "node:path";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { computeKpis, funnel, type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import { isCompiled, RevenueReadModel } from "@revgraph/read-model";
import { catchUpFacts, dataOption, option, percentile, saveResults, stageKpis } from "./support.ts";

const data = dataOption("stage-kpis.ts --data <copy of a seeded store> [--rounds 20]");
const rounds = option("rounds", 20);
const now = new Date();
const others = [
  ...new Set(
    kpiDefinitions
      .filter((d) => d.status === "active" && isCompiled(d) && !stageKpis.includes(d.id))
      .map((definition) => definition.id),
  ),
];

console.log(`stage KPIs over ${data} (figures taken on a shared, contended 2-core machine)`);
const store = openSqliteEventStore({ path: join(data, "revgraph.db") });
const head = await store.headPosition();
const factsPath = join(data, "read-model.stage-bench.duckdb");
const catchUp = await catchUpFacts(store, factsPath, head);
// Opened at the head without the graph, the read model answers every compiled KPI from SQL (as the CLI does); the
// graph is replayed only for the engine's figure, after the SQL ones.
const model = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graphWhenNeeded: true });

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
const stagesOnly = await timed(stageKpis);
const alone: Record<string, { p50: number; p99: number }> = {};
for (const kpi of stageKpis) alone[kpi] = await timed([kpi]);
const random = await timed(stageKpis, {}, (round) => ({
  period: "2026-Q2",
  asOf: new Date(Date.parse("2026-01-01T00:00:00Z") + round * 9 * 86_400_000).toISOString(),
  knownAt: new Date(Date.parse("2026-03-01T00:00:00Z") + round * 7 * 86_400_000).toISOString(),
}));
/** p50 and p99 of `rounds` runs of `run`. */
async function rounded(run: () => unknown) {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}
const stageQuery: KpiQuery = { kpis: stageKpis, period: "2026-Q3", groupBy: "team" };
const sqlWithEventIdsMs = await rounded(() => model.computeKpis(stageQuery, now));
const funnelSqlMs = await rounded(() => model.funnel(stageQuery, now));
const state = await model.replayedState();
/** p50 and p99 of two answers run in turn, round by round, with the graph in memory (as in the API process). */
async function alternating(first: () => unknown, second: () => unknown) {
  const times: number[][] = [[], []];
  for (let round = 0; round < rounds; round++)
    for (const [index, run] of [first, second].entries()) {
      const started = performance.now();
      await run();
      times[index]?.push(performance.now() - started);
    }
  return times.map((list) => ({ p50: percentile(list, 0.5), p99: percentile(list, 0.99) }));
}
const [engineMs, servedWithGraphMs] = await alternating(
  () => computeKpis(state, defaultConfig, stageQuery, now),
  () => model.computeKpis(stageQuery, now, { eventIds: false }),
);
const [funnelEngineMs, funnelServedWithGraphMs] = await alternating(
  () => funnel(state, defaultConfig, stageQuery, now),
  () => model.funnel(stageQuery, now),
);
const servedFromSql = model.sqlServes(stageQuery);
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
  stageKpisServedFromSql: servedFromSql,
  stageKpisServedWithGraphMs: servedWithGraphMs,
  ratioServedWithGraphToEngineP50: (servedWithGraphMs?.p50 ?? 0) / (engineMs?.p50 ?? 1),
  stageKpisSqlWithEventIdsMs: sqlWithEventIdsMs,
  stageKpisAddToScorecardP50Ms: withStages.p50 - baseline.p50,
  stageKpisSqlMs: stagesOnly,
  ratioStageKpisSqlToEngineP50: stagesOnly.p50 / (engineMs?.p50 ?? 1),
  funnelSqlMs,
  funnelEngineMs,
  funnelServedWithGraphMs,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(figures, null, 2));
saveResults("stage-kpis", figures);
