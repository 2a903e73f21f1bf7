/**
 * Deal risks and restatements from SQL (issue 13) against the warm in-memory engine, over a copy of a seeded store (the
 * read model writes its fact file into the data directory). In one run, one connection, at one `now`:
 *   - from the fact tables, the read model opened without the graph (as in the API's "org" mode, no deal is read from
 *     it): every risk (the `dealRisks` query), the risks of one account's deals (what `Deal.risks` asks for a deal), and
 *     the restatements of one KPI between two record times, ungrouped and by team;
 *   - then, with the graph replayed, the same from the warm engine (snapshots derived once, as in the old API), and
 *     the answers compared: the SQL risks must equal the engine's, the restatements' values and event sets too.
 * Usage: node --max-old-space-size=8000 test/bench/risks.ts --data <copy of a seeded store> [--rounds 10]
 */
import { join } from "node:path";
import { defaultConfig, type GraphState } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import {
  type DimensionFilter,
  dealRisks,
  type KpiQuery,
  type KpiScope,
  prepareQuery,
  type Restatement,
  restatements,
} from "@revgraph/kpis";
import { RevenueReadModel } from "@revgraph/read-model";
import { catchUpFacts, dataOption, measure, option, percentile, saveResults } from "./support.ts";

const data = dataOption("risks.ts --data <copy of a seeded store> [--rounds 10]");
const rounds = option("rounds", 10);
const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const riskPeriod = { period: "trailing-90d", timeZone: "UTC" };
const restated: Omit<KpiQuery, "knownAt"> = { kpis: ["win_rate"], period: "2026-Q3" };
const restatedByTeam: Omit<KpiQuery, "knownAt"> = { ...restated, groupBy: "team" };
const knownAtA = "2026-09-01T00:00:00.000Z";
const knownAtB = now.toISOString();

console.log(`deal risks and restatements over ${data} (figures taken on a shared, contended 2-core machine)`);
const store = openSqliteEventStore({ path: join(data, "revgraph.db") });
const head = await store.headPosition();
const factsPath = join(data, "read-model.risks-bench.duckdb");
const catchUp = await catchUpFacts(store, factsPath, head);
const model = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graphWhenNeeded: true });

/** p50 and p99 of `rounds` runs of `run`, and its last answer. */
async function rounded<T>(run: () => Promise<T> | T): Promise<{ p50: number; p99: number; answer: T }> {
  const times: number[] = [];
  let answer: T | undefined;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    answer = await run();
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), answer: answer as T };
}

const everyRiskSql = await rounded(() => model.dealRisks(riskPeriod, now));
const dealId = everyRiskSql.answer[0]?.dealId;
if (!dealId) throw new Error("no deal with a risk to measure Deal.risks on");
// The deal's account from its own stream (the model has no graph yet), as `Deal.risks` filters by it.
const created = (await store.readStream(`deal-${dealId}`))[0]?.data as { accountId: string };
const accountFilter: DimensionFilter = { account: [created.accountId] };
const dealRisksSql = await rounded(async () =>
  (await model.dealRisks({ ...riskPeriod, filter: accountFilter }, now)).filter((risk) => risk.dealId === dealId),
);
const restatementsSqlMs = await rounded(() => model.restatements(restated, knownAtA, knownAtB, now));
const restatementsByTeamSqlMs = await rounded(() => model.restatements(restatedByTeam, knownAtA, knownAtB, now));

// Peak RSS so far: the fact tables' answers alone, without the graph (DuckDB's buffers included).
const peakRssWithoutGraphMb = Math.round(process.resourceUsage().maxRSS / 1024);
let state: GraphState | undefined;
const replay = await measure("graph replayed (engine only)", head, async () => {
  state = await model.replayedState();
});
const graph = state as GraphState;
/** The engine's risks as the API computed them before: a fresh scope each time, snapshots shared per graph position. */
const engineRisks = (filter: DimensionFilter = {}) =>
  dealRisks(prepareQuery(graph, defaultConfig, { ...riskPeriod, filter, kpis: ["win_rate"] }, now).scopes[0]?.scope as KpiScope);
const firstEngineMs = await measure("engine risks, first (snapshots derived)", head, () => engineRisks());
const everyRiskEngine = await rounded(() => engineRisks());
const dealRisksEngine = await rounded(() => engineRisks(accountFilter).filter((risk) => risk.dealId === dealId));
const restatementsEngineMs = await rounded(() => restatements(graph, defaultConfig, restated, knownAtA, knownAtB, now));
const restatementsByTeamEngineMs = await rounded(() =>
  restatements(graph, defaultConfig, restatedByTeam, knownAtA, knownAtB, now),
);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
await model.close();
await store.close();

/** A restatement as compared: values to 12 digits, the events added and removed as sets. */
const comparable = (restatement: Restatement) => ({
  kpi: restatement.kpi,
  group: restatement.group?.key ?? null,
  changed: restatement.changed,
  before: restatement.before.value === null ? null : Number(restatement.before.value.toPrecision(12)),
  after: restatement.after.value === null ? null : Number(restatement.after.value.toPrecision(12)),
  added: [...restatement.addedEventIds].sort(),
  removed: [...restatement.removedEventIds].sort(),
});
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const figures = {
  events: head,
  now: now.toISOString(),
  catchUpSeconds: catchUp.seconds,
  graphReplaySeconds: replay.seconds,
  risks: everyRiskSql.answer.length,
  riskKinds: Object.fromEntries(
    ["stale", "evaluator_silent", "single_threaded", "slipped"].map((kind) => [
      kind,
      everyRiskSql.answer.filter((risk) => risk.kind === kind).length,
    ]),
  ),
  everyRiskSqlMs: { p50: everyRiskSql.p50, p99: everyRiskSql.p99 },
  everyRiskEngineFirstMs: firstEngineMs.seconds * 1000,
  everyRiskEngineWarmMs: { p50: everyRiskEngine.p50, p99: everyRiskEngine.p99 },
  dealRisksSqlMs: { p50: dealRisksSql.p50, p99: dealRisksSql.p99 },
  dealRisksEngineWarmMs: { p50: dealRisksEngine.p50, p99: dealRisksEngine.p99 },
  restatementsSqlMs: { p50: restatementsSqlMs.p50, p99: restatementsSqlMs.p99 },
  restatementsEngineWarmMs: { p50: restatementsEngineMs.p50, p99: restatementsEngineMs.p99 },
  restatementsByTeamSqlMs: { p50: restatementsByTeamSqlMs.p50, p99: restatementsByTeamSqlMs.p99 },
  restatementsByTeamEngineWarmMs: { p50: restatementsByTeamEngineMs.p50, p99: restatementsByTeamEngineMs.p99 },
  sameRisks: sameJson(everyRiskSql.answer, everyRiskEngine.answer),
  sameDealRisks: sameJson(dealRisksSql.answer, dealRisksEngine.answer),
  sameRestatements:
    sameJson(restatementsSqlMs.answer.map(comparable), restatementsEngineMs.answer.map(comparable)) &&
    sameJson(restatementsByTeamSqlMs.answer.map(comparable), restatementsByTeamEngineMs.answer.map(comparable)),
  peakRssWithoutGraphMb,
  peakRssMb,
};
console.log(JSON.stringify(figures, null, 2));
saveResults("risks", figures);
