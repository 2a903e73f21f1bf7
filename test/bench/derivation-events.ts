/**
 * Derivation-events benchmark (issue 13: contributing events paged in SQL). Over an existing seeded store, in one run
 * and on one read model: what an auditor's first page costs, and what a grouped scorecard with every derivation's
 * event count costs,
 *   - the baseline: every contributing id aggregated into lists and shipped to JS (`eventIds: true`), then sliced and
 *     counted there;
 *   - paged: values only, then the exact count and one page (the first, and one in the middle) from SQL.
 * Usage: node --max-old-space-size=8192 test/bench/derivation-events.ts --data <copy of a seeded store> [--rounds 5]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import { isCompiled, RevenueReadModel } from "@revgraph/read-model";
import { dataOption, measure, option, saveResults } from "./support.ts";

const data = dataOption("derivation-events.ts --data <dir of a seeded store> [--rounds 5]");
const rounds = option("rounds", 5);
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-derivation-"));
const now = new Date();
const page = 50;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

console.log(`derivation events over ${data} (figures taken on a shared, contended 2-core machine)`);
const store = openSqliteEventStore({ path: join(data, "revgraph.db") });
const head = await store.headPosition();
let model: RevenueReadModel | undefined;
await measure("read model from an empty fact file", head, async () => {
  model = await RevenueReadModel.open({
    store,
    config: defaultConfig,
    follow: false,
    factsPath: join(dir, "read-model.bench.duckdb"),
  });
});
const live = model as RevenueReadModel;

/** Median milliseconds of `work` over the rounds. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return median(times);
}

const compiled = [...new Set(kpiDefinitions.filter((d) => d.status === "active" && isCompiled(d)).map((d) => d.id))];
const questions: { name: string; query: KpiQuery }[] = [
  { name: "open pipeline, first and middle page", query: { kpis: ["pipeline"], period: "2026-Q4" } },
  { name: "win rate 2026 by team, first and middle page", query: { kpis: ["win_rate"], period: "2026", groupBy: "team" } },
];
const figures: Record<string, unknown>[] = [];
for (const { name, query } of questions) {
  let count = 0;
  let listedPages: readonly string[] = [];
  let pagedPages: readonly string[] = [];
  const listed = await timed(async () => {
    const [result] = await live.computeKpis(query, now);
    const ids = result?.derivation.eventIds ?? [];
    count = ids.length;
    const middle = Math.floor(count / 2);
    listedPages = [...ids.slice(0, page), ...ids.slice(middle, middle + page)];
  });
  const paged = await timed(async () => {
    const [result] = await live.computeKpis(query, now, { eventIds: false });
    const middle = Math.floor(((await result?.contributing.count()) ?? 0) / 2);
    pagedPages = [
      ...((await result?.contributing.slice(0, page)) ?? []),
      ...((await result?.contributing.slice(middle, middle + page)) ?? []),
    ];
  });
  if (listedPages.join() !== pagedPages.join()) throw new Error(`${name}: the paged ids differ from the listed ones`);
  console.log(
    `  ${name.padEnd(48)} ${String(count).padStart(8)} ids  listed ${listed.toFixed(0).padStart(6)} ms  paged ${paged.toFixed(0).padStart(6)} ms  (${(listed / paged).toFixed(2)}× faster)`,
  );
  figures.push({ name, ids: count, listedMs: listed, pagedMs: paged });
}

const scorecard: KpiQuery = { kpis: compiled, period: "2026-Q3", groupBy: "team" };
let results = 0;
let listedTotal = 0;
let countedTotal = 0;
const listedCounts = await timed(async () => {
  const answer = await live.computeKpis(scorecard, now);
  results = answer.length;
  listedTotal = 0;
  for (const { derivation } of answer)
    listedTotal += derivation.eventIds.length + derivation.inputs.reduce((sum, input) => sum + input.eventCount, 0);
});
const pagedCounts = await timed(async () => {
  const answer = await live.computeKpis(scorecard, now, { eventIds: false });
  const counts = await Promise.all(
    answer.flatMap((result) => [
      result.contributing.count(),
      ...result.derivation.inputs.map((_, index) => result.contributing.inputCount(index)),
    ]),
  );
  countedTotal = counts.reduce((sum, count) => sum + count, 0);
});
if (listedTotal !== countedTotal) throw new Error(`scorecard: counted ${countedTotal} events, listed ${listedTotal}`);
console.log(
  `  ${`scorecard by team, every event count (${results} values)`.padEnd(48)}               listed ${listedCounts.toFixed(0).padStart(6)} ms  counted ${pagedCounts.toFixed(0).padStart(6)} ms  (${(listedCounts / pagedCounts).toFixed(2)}× faster)`,
);
figures.push({ name: "scorecard event counts", values: results, listedMs: listedCounts, countedMs: pagedCounts });
console.log(`  peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
saveResults("derivation-events", { head, rounds, figures });
await live.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
