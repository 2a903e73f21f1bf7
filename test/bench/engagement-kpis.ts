/**
 * Engagement KPIs from SQL (issue 13), over a copy of a seeded store (the read model writes its fact file into the
 * data directory). In one run, grouped by team, uncached, values only, one connection, straight from the fact tables
 * (`computeKpisSql`, whatever the serving policy says):
 *   - the baseline: the scorecard of the compiled active KPIs that are neither engagement nor stage KPIs;
 *   - the same scorecard with the engagement KPIs added, and the engagement KPIs alone; each one alone;
 *   - the engagement KPIs at random asOf/knownAt;
 *   - the warm in-memory engine on the engagement KPIs, for the ratio.
 * Usage: node --max-old-space-size=12000 test/bench/engagement-kpis.ts --data <copy of a seeded store> [--rounds 10]
 */
import { join } from "node:path";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { computeKpis, type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import { computeKpisSql, FactStore, isCompiled, RevenueReadModel } from "@revgraph/read-model";
import { dataOption, engagementKpis, measure, option, percentile, saveResults, stageKpis } from "./support.ts";

const data = dataOption("engagement-kpis.ts --data <copy of a seeded store> [--rounds 10]");
const rounds = option("rounds", 10);
const now = new Date();
const others = [
  ...new Set(
    kpiDefinitions
      .filter((d) => d.status === "active" && isCompiled(d) && ![...engagementKpis, ...stageKpis].includes(d.id))
      .map((definition) => definition.id),
  ),
];
const scorecard = (kpis: readonly string[]): KpiQuery => ({ kpis, period: "2026-Q3", groupBy: "team" });

console.log(`engagement KPIs over ${data} (figures taken on a shared, contended 2-core machine)`);
const store = openSqliteEventStore({ path: join(data, "revgraph.db") });
const head = await store.headPosition();
const factsPath = join(data, "read-model.engagement-bench.duckdb");
let opened: RevenueReadModel | undefined;
const catchUp = await measure("read model caught up", head, async () => {
  opened = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath });
});
const model = opened as RevenueReadModel;
const engineTimes: number[] = [];
for (let round = 0; round < Math.min(rounds, 5); round++) {
  const started = performance.now();
  computeKpis(model.state, defaultConfig, scorecard(engagementKpis), now);
  engineTimes.push(performance.now() - started);
}
await model.close();
await store.close();

const facts = await FactStore.open({ path: factsPath, config: defaultConfig });

/** p50 and p99 of a grouped, values-only SQL answer to `kpis` over `rounds` rounds. */
async function timed(kpis: readonly string[], vary?: (round: number) => Partial<KpiQuery>) {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await computeKpisSql(facts.reader, facts, defaultConfig, { ...scorecard(kpis), ...vary?.(round) }, now, {
      eventIds: false,
    });
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

const baseline = await timed(others);
const withEngagement = await timed([...others, ...engagementKpis]);
const engagementAlone = await timed(engagementKpis);
const alone: Record<string, { p50: number; p99: number }> = {};
for (const kpi of engagementKpis) alone[kpi] = await timed([kpi]);
const random = await timed(engagementKpis, (round) => ({
  period: "2026-Q2",
  asOf: new Date(Date.parse("2026-01-01T00:00:00Z") + round * 9 * 86_400_000).toISOString(),
  knownAt: new Date(Date.parse("2026-03-01T00:00:00Z") + round * 7 * 86_400_000).toISOString(),
}));
const started = performance.now();
await computeKpisSql(facts.reader, facts, defaultConfig, scorecard(engagementKpis), now);
const sqlWithEventIdsMs = performance.now() - started;
facts.close();

const engine = { p50: percentile(engineTimes, 0.5), p99: percentile(engineTimes, 0.99) };
const figures = {
  events: head,
  catchUpSeconds: catchUp.seconds,
  otherKpis: others.length,
  scorecardWithoutEngagementKpisMs: baseline,
  scorecardWithEngagementKpisMs: withEngagement,
  addedByEngagementP50Ms: withEngagement.p50 - baseline.p50,
  engagementKpisSqlMs: engagementAlone,
  engagementKpisEngineMs: engine,
  engineOverSqlP50: engine.p50 / engagementAlone.p50,
  engagementKpiAloneMs: alone,
  engagementKpisRandomAsOfKnownAtMs: random,
  engagementKpisSqlWithEventIdsMs: sqlWithEventIdsMs,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(figures, null, 2));
saveResults("engagement-kpis", figures);
