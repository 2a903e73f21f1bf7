/**
 * Revenue graph benchmark (issue: revenue graph). In one run:
 *   1. N events into an embedded SQLite store, then raw node:sqlite read + JSON.parse of them (baseline)
 *      versus rebuilding every projection from the store (readAll + applyEvent), with peak RSS;
 *   2. the full scorecard (every active KPI, one quarter, grouped by team) at D deals: cold, then p50/p99.
 * Usage: node test/bench/projections.ts [--events 1000000] [--deals 100000] [--runs 30]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEvent, defaultConfig, emptyGraph } from "@revgraph/domain";
import { groupByEventCount } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { type RecordedEvent, validateEvent } from "@revgraph/events";
import { generateHistory } from "@revgraph/generator";
import { computeKpis, type DealUniverse, kpiDefinitions } from "@revgraph/kpis";
import { rebuildGraph } from "@revgraph/read-model";
import { BENCH_NOW, generatedBatches, measure, option, ratio, rawSqliteRead, saveResults } from "./support.ts";

const targetEvents = option("events", 1_000_000);
const deals = option("deals", 100_000);
const runs = option("runs", 30);
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-"));
console.log(
  `projection benchmark: ${targetEvents.toLocaleString("en-US")} events in SQLite; scorecard at ${deals.toLocaleString("en-US")} deals; node ${process.version}`,
);

const { batches, events } = generatedBatches(targetEvents);
const store = openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" });
await measure("load the store (appendMany)", events, async () => {
  for (const call of groupByEventCount(batches, 10_000))
    await store.appendMany(call.map((batch) => ({ streamId: batch.streamId, events: batch.events })));
});
batches.length = 0;
global.gc?.();

const rawRead = await rawSqliteRead(join(dir, "events.db"), events);
const rssBefore = process.memoryUsage().rss;
let peakRss = rssBefore;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
const rebuild = await measure("rebuild every projection from the store", events, async () => {
  const state = await rebuildGraph(store);
  if (state.position !== events) throw new Error("rebuild did not reach the head");
});
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
await store.close();
console.log(`  peak RSS during rebuild: ${(peakRss / 1024 / 1024).toFixed(0)} MB (process, including the benchmark's own data)`);
console.log("ratios:");
ratio("rebuild ÷ raw read + parse", rebuild.perSecond / rawRead.perSecond, 0.7);
global.gc?.();

// Scorecard at D deals: the graph built straight from the generator (validated like a store would).
let position = 0;
const graph = emptyGraph();
const build = await measure(`build the graph for ${deals.toLocaleString("en-US")} deals`, 0, () => {
  for (const batch of generateHistory({ deals, seed: 42, now: BENCH_NOW })) {
    for (const raw of batch.events) {
      const validated = validateEvent(raw, 0);
      position++;
      applyEvent(graph, {
        ...validated,
        id: validated.id as string,
        streamId: batch.streamId,
        streamRevision: 0,
        globalPosition: position,
        recordedAt: BENCH_NOW.toISOString(),
        prevHash: null,
        hash: "",
      } as RecordedEvent);
    }
  }
});
console.log(
  `  ${position.toLocaleString("en-US")} events, ${Object.keys(graph.deals).length.toLocaleString("en-US")} deals (${build.seconds.toFixed(1)} s)`,
);
const kpis = [
  ...new Set(kpiDefinitions.filter((definition) => definition.status === "active").map((definition) => definition.id)),
];
const query = { kpis, period: "2026-Q3", groupBy: "team" as const };
const universeCache = new Map<string, DealUniverse>();
const time = (work: () => unknown) => {
  const started = performance.now();
  work();
  return performance.now() - started;
};
const cold = time(() => computeKpis(graph, defaultConfig, query, BENCH_NOW, universeCache));
const warm: number[] = [];
for (let run = 0; run < runs; run++) warm.push(time(() => computeKpis(graph, defaultConfig, query, BENCH_NOW, universeCache)));
const uncached: number[] = [];
for (let run = 0; run < Math.min(runs, 5); run++) uncached.push(time(() => computeKpis(graph, defaultConfig, query, BENCH_NOW)));
const pct = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] as number;
console.log(
  `  scorecard (${kpis.length} KPIs × ${new Set(computeKpis(graph, defaultConfig, query, BENCH_NOW, universeCache).map((r) => r.group?.key)).size} teams):`,
);
console.log(`    cold (first query, builds deal snapshots): ${cold.toFixed(0)} ms`);
console.log(
  `    snapshots cached (same graph position):   p50 ${pct(warm, 0.5).toFixed(1)} ms, p99 ${pct(warm, 0.99).toFixed(1)} ms over ${runs} runs`,
);
console.log(
  `    no cache at all:                            p50 ${pct(uncached, 0.5).toFixed(0)} ms over ${uncached.length} runs`,
);
saveResults("projections", {
  events,
  rawRead,
  rebuild,
  rebuildVsRaw: rebuild.perSecond / rawRead.perSecond,
  peakRssMb: peakRss / 1024 / 1024,
  scorecard: {
    deals,
    graphEvents: position,
    kpis: kpis.length,
    coldMs: cold,
    warmP50Ms: pct(warm, 0.5),
    warmP99Ms: pct(warm, 0.99),
    uncachedP50Ms: pct(uncached, 0.5),
  },
});
rmSync(dir, { recursive: true, force: true });
