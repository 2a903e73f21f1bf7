/**
 * Projector benchmark (issue: beyond one machine). In one run, over the same SQLite event log:
 *   1. raw node:sqlite read + JSON.parse of every event (baseline),
 *   2. the projector building deal_summary from scratch into an SQLite read-model file
 *      (read after the checkpoint, fold, commit rows + checkpoint per batch),
 *   3. the same into PostgreSQL, on a throwaway local cluster (or REVGRAPH_BENCH_PG_URL), with --postgres.
 * Usage: node test/bench/projector.ts [--events 1000000] [--batch 1000] [--postgres]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { groupByEventCount } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { openPostgresSink, openSqliteSink, Projector, type ReadModelSink } from "@revgraph/projector";
import { startPostgresCluster } from "../support/postgres-cluster.ts";
import { generatedBatches, measure, option, ratio, rawSqliteRead, saveResults } from "./support.ts";

const targetEvents = option("events", 1_000_000);
const batchSize = option("batch", 1_000);
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-projector-"));
console.log(
  `projector benchmark: ${targetEvents.toLocaleString("en-US")} events, ${batchSize} per transaction; node ${process.version}`,
);

const { batches, events } = generatedBatches(targetEvents);
const store = openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" });
for (const call of groupByEventCount(batches, 10_000))
  await store.appendMany(call.map((batch) => ({ streamId: batch.streamId, events: batch.events })));
batches.length = 0;

const rawRead = await rawSqliteRead(join(dir, "events.db"), events);

async function project(name: string, sink: ReadModelSink) {
  const result = await measure(name, events, async () => {
    const projector = new Projector({ store, sink, version: 1, batchSize });
    await projector.catchUp();
    if (projector.position !== events) throw new Error(`projector stopped at ${projector.position}`);
  });
  const rows = (await sink.dump(1)).length;
  console.log(`  ${rows.toLocaleString("en-US")} deal_summary rows`);
  await sink.close();
  return result;
}

const sqlite = await project("projector → SQLite deal_summary", openSqliteSink(join(dir, "read-models.db")));
const cluster = process.argv.includes("--postgres") && !process.env.REVGRAPH_BENCH_PG_URL ? await startPostgresCluster() : null;
const pgUrl = process.env.REVGRAPH_BENCH_PG_URL ?? cluster?.connectionString;
const postgres = pgUrl ? await project("projector → PostgreSQL deal_summary", await openPostgresSink(pgUrl)) : null;
await cluster?.stop();
console.log("ratios:");
ratio("projector (SQLite) ÷ raw read + parse", sqlite.perSecond / rawRead.perSecond, 0.5);
if (postgres) ratio("projector (PostgreSQL) ÷ raw read + parse", postgres.perSecond / rawRead.perSecond, 0.5);
saveResults("projector", { events, batchSize, rawRead, sqlite, postgres });
await store.close();
rmSync(dir, { recursive: true, force: true });
