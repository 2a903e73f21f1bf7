/**
 * Event store benchmark (issue: foundation). In one run, on one machine:
 *   raw node:sqlite batched insert and raw read + JSON.parse of N events (the baseline),
 *   the revgraph SQLite adapter doing the same work (appendMany in batches; readAll),
 *   and Emmett's SQLite event store when installed (bash test/bench/setup-emmett.sh).
 * Usage: node test/bench/event-store.ts [--events 1000000] [--batch 10000]
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { groupByEventCount, verifyLog } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { generatedBatches, type Measurement, measure, option, ratio, rawRow, saveResults } from "./support.ts";

const targetEvents = option("events", 1_000_000);
const batchSize = option("batch", 10_000);
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-"));
console.log(
  `event store benchmark: ${targetEvents.toLocaleString("en-US")} events, ${batchSize.toLocaleString("en-US")} per append call, node ${process.version}`,
);
const { batches, events } = generatedBatches(targetEvents);
const calls = groupByEventCount(batches, batchSize);
const results: Record<string, Measurement> = {};

// Baseline: raw node:sqlite with the same pragmas as the adapter (WAL, synchronous NORMAL).
const rawDb = new DatabaseSync(join(dir, "raw.db"));
rawDb.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
rawDb.exec(
  "CREATE TABLE events (position INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL)",
);
const rawInsert = rawDb.prepare("INSERT INTO events (position, event_id, stream_id, type, data) VALUES (?, ?, ?, ?, ?)");
results.rawInsert = await measure("raw node:sqlite batched insert", events, () => {
  let position = 0;
  for (const call of calls) {
    rawDb.exec("BEGIN");
    for (const batch of call)
      for (const event of batch.events)
        rawInsert.run(++position, event.id ?? "", batch.streamId, event.type, rawRow(batch.streamId, event));
    rawDb.exec("COMMIT");
  }
});
results.rawRead = await measure("raw node:sqlite read + JSON.parse", events, () => {
  let count = 0;
  for (const row of rawDb.prepare("SELECT data FROM events ORDER BY position").iterate()) {
    if (JSON.parse(row.data as string)) count++;
  }
  if (count !== events) throw new Error(`raw read saw ${count} events`);
});
rawDb.close();

// The revgraph SQLite adapter: validation, hash chain, idempotency checks, envelopes.
const store = openSqliteEventStore({ path: join(dir, "revgraph.db"), durability: "normal" });
results.adapterAppend = await measure("revgraph SQLite adapter appendMany", events, async () => {
  for (const call of calls) await store.appendMany(call.map((batch) => ({ streamId: batch.streamId, events: batch.events })));
});
results.adapterRead = await measure("revgraph SQLite adapter readAll + decode + column check", events, async () => {
  let count = 0;
  // The store's own checkpoint digests (one per 10,000 events) come along; count only the events appended.
  for await (const event of store.readAll()) if (event.type !== "LogCheckpointed") count++;
  if (count !== events) throw new Error(`adapter read saw ${count} events`);
});
results.verify = await measure("revgraph verifyLog (every check) over readRows", events, async () => {
  const report = await verifyLog(store.readRows(), { head: await store.digest() });
  if (!report.ok) throw new Error(`verify found ${report.findings.length} findings`);
});
await store.close();

// Emmett's SQLite event store, when installed beside the bench.
const emmettDir = join(import.meta.dirname, ".emmett");
if (existsSync(join(emmettDir, "node_modules/@event-driven-io/emmett-sqlite"))) {
  const require = createRequire(join(emmettDir, "index.js"));
  const emmett = require("@event-driven-io/emmett-sqlite") as typeof import("./emmett-types.ts");
  const fileName = join(dir, "emmett.db");
  const emmettStore = emmett.getSQLiteEventStore({ fileName, schema: { autoMigration: "CreateOrUpdate" } });
  results.emmettAppend = await measure("Emmett SQLite appendToStream", events, async () => {
    for (const batch of batches)
      await emmettStore.appendToStream(
        batch.streamId,
        batch.events.map((event) => ({ type: event.type, data: event.data })),
      );
  });
  const connection = emmett.sqliteConnection({ fileName });
  results.emmettRead = await measure("Emmett SQLite readMessagesBatch", events, async () => {
    let after = 0n;
    let count = 0;
    for (;;) {
      const page = await emmett.readMessagesBatch(connection, { after, batchSize: 5_000 });
      count += page.messages.length;
      if (page.messages.length === 0) break;
      after = page.currentGlobalPosition;
    }
    if (count !== events) throw new Error(`Emmett read saw ${count} events`);
  });
  connection.close();
} else {
  console.log("  Emmett SQLite: not installed (bash test/bench/setup-emmett.sh installs it beside the bench)");
}

console.log("ratios:");
const ratios = {
  appendVsRaw: results.adapterAppend.perSecond / results.rawInsert.perSecond,
  readVsRaw: results.adapterRead.perSecond / results.rawRead.perSecond,
  verifyVsRaw: results.verify.perSecond / results.rawRead.perSecond,
  ...(results.emmettAppend ? { appendVsEmmett: results.adapterAppend.perSecond / results.emmettAppend.perSecond } : {}),
  ...(results.emmettRead ? { readVsEmmett: results.adapterRead.perSecond / results.emmettRead.perSecond } : {}),
};
ratio("adapter append ÷ raw insert", ratios.appendVsRaw, 0.5);
ratio("adapter read-all + decode ÷ raw read + parse", ratios.readVsRaw, 0.7);
ratio("verify ÷ raw read + parse", ratios.verifyVsRaw, 0.1);
if (ratios.appendVsEmmett !== undefined) ratio("adapter append ÷ Emmett append", ratios.appendVsEmmett, 1);
if (ratios.readVsEmmett !== undefined) ratio("adapter read ÷ Emmett read", ratios.readVsEmmett, 1);
saveResults("event-store", { events, batchSize, node: process.version, results, ratios });
rmSync(dir, { recursive: true, force: true });
