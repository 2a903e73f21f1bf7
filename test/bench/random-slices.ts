/**
 * Random asOf/knownAt KPI queries from the fact tables (issue 13: p99 ≤ 300 ms at 100k deals, uncached). Over a seeded
 * store whose fact file is at the head of the log (for example the one `restart.ts` leaves in its data directory), in
 * a process that serves from SQL without the graph (`graphWhenNeeded`, as the CLI opens it):
 *   - the baseline: each query's KPI, period and grouping at the head of the log (no asOf, no knownAt);
 *   - the same questions with a random asOf (business time) and, in half of them, a random knownAt (record time);
 *   - the full scorecard (every active compiled KPI by team) with a random asOf and knownAt, as `read-model.ts` times
 *     it at random asOf dates.
 * Queries are drawn with a fixed seed (fast-check), values only, as a dashboard asks them.
 * Usage: node test/bench/random-slices.ts --data <dir of a seeded store> [--facts read-model.restart.duckdb]
 *   [--queries 200] [--scorecards 10]
 */
import { join } from "node:path";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import { isCompiled, RevenueReadModel } from "@revgraph/read-model";
import fc from "fast-check";
import { ceiling, dataOption, option, percentile, ratio, saveResults, textOption } from "./support.ts";

const data = dataOption("random-slices.ts --data <dir of a seeded store> [--facts <file in it>]");
const factsPath = join(data, textOption("facts") ?? "read-model.restart.duckdb");
const queries = option("queries", 200);
const scorecards = option("scorecards", 10);

const store = openSqliteEventStore({ path: join(data, "revgraph.db") });
const model = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graphWhenNeeded: true });
let now = new Date();
for await (const event of store.readAll({ after: model.position - 1, maxCount: 1 })) now = new Date(event.recordedAt);
const kpis = [...new Set(kpiDefinitions.filter((d) => d.status === "active" && isCompiled(d)).map((d) => d.id))];
const day = (from: string, to: string) =>
  fc.integer({ min: Date.parse(from), max: Date.parse(to) }).map((ms) => new Date(ms - (ms % 86_400_000)).toISOString());
const nowIso = now.toISOString();
const asked = fc.sample(
  fc.noBias(
    fc.record({
      kpi: fc.constantFrom(...kpis),
      period: fc.constantFrom("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2025", "2026-06"),
      groupBy: fc.constantFrom(undefined, "team" as const, "rep" as const, "segment" as const, "region" as const),
      asOf: day("2025-01-01", nowIso),
      knownAt: fc.option(day("2025-06-01", nowIso), { nil: undefined }),
    }),
  ),
  { numRuns: queries, seed: 13 },
);

/** Times one values-only KPI question. */
async function timed(query: KpiQuery): Promise<number> {
  const started = performance.now();
  await model.computeKpis(query, now, { eventIds: false });
  return performance.now() - started;
}

const atHead: number[] = [];
const sliced: { ms: number; query: KpiQuery }[] = [];
for (const { kpi, period, groupBy, asOf, knownAt } of asked) {
  const base: KpiQuery = { kpis: [kpi], period, ...(groupBy ? { groupBy } : {}) };
  atHead.push(await timed(base));
  const query: KpiQuery = { ...base, asOf, ...(knownAt ? { knownAt } : {}) };
  sliced.push({ ms: await timed(query), query });
}
const scorecardTimes: number[] = [];
for (const { asOf, knownAt } of asked.slice(0, scorecards))
  scorecardTimes.push(await timed({ kpis, period: "2026-Q2", groupBy: "team", asOf, knownAt: knownAt ?? nowIso }));
await model.close();
await store.close();

const slicedTimes = sliced.map((entry) => entry.ms);
const figures = {
  position: model.position,
  queries,
  atHeadMs: { p50: percentile(atHead, 0.5), p99: percentile(atHead, 0.99) },
  randomSliceMs: { p50: percentile(slicedTimes, 0.5), p99: percentile(slicedTimes, 0.99), max: Math.max(...slicedTimes) },
  slowest: [...sliced].sort((a, b) => b.ms - a.ms).slice(0, 5),
  scorecardRandomSliceMs: { p50: percentile(scorecardTimes, 0.5), p99: percentile(scorecardTimes, 0.99) },
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(figures, null, 2));
ceiling("random asOf/knownAt KPI query p99", figures.randomSliceMs.p99, 300);
ratio("random slice p50 ÷ the same query at the head p50", figures.randomSliceMs.p50 / figures.atHeadMs.p50, 3, false);
ceiling(`scorecard (${kpis.length} KPIs × teams) with a random slice p50`, figures.scorecardRandomSliceMs.p50, 300);
saveResults("random-slices", figures);
