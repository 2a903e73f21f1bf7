/**
 * A child process of the read-model benchmark: what a process costs that serves compiled KPIs from a fact file already
 * at the head of the log, without the in-memory graph (`graphWhenNeeded`, as the CLI's `kpi` opens it). Prints one
 * JSON line: the time to open the store and the fact file, the grouped scorecard's time, and the process's peak RSS.
 * Usage: node test/bench/read-model-facts-only.ts <store path> <facts path> <KPI ids, comma-separated>
 */
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { RevenueReadModel } from "@revgraph/read-model";

const [storePath, factsPath, kpiList] = process.argv.slice(2);
if (!storePath || !factsPath || !kpiList) throw new Error("usage: read-model-facts-only.ts <store> <facts> <kpis>");
let started = performance.now();
const store = openSqliteEventStore({ path: storePath });
const model = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graphWhenNeeded: true });
const openMs = performance.now() - started;
started = performance.now();
await model.computeKpis({ kpis: kpiList.split(","), period: "2026-Q3", groupBy: "team" }, new Date(), { eventIds: false });
const scorecardMs = performance.now() - started;
await model.close();
await store.close();
process.stdout.write(
  `${JSON.stringify({ openMs, scorecardMs, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
