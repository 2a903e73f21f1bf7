/**
 * Import benchmark (issue 16). In one run: a generated Salesforce OpportunityHistory CSV of N rows imported by
 * `runImport` into an embedded store opened as the CLI opens it, versus the baseline: a raw node:sqlite insert of
 * the very events the import stored (copied row by row from its file) into a table created from the same schema
 * (`sqlite_master`, so the same columns and indexes as the store on this branch), with the same pragmas and batch
 * size. Each side runs in its own child process, which reports its peak RSS and the bytes it wrote to disk.
 * Usage: node test/bench/import.ts [--rows 1000000]
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openEventStoreAt } from "@revgraph/event-store/open";
import { runImport } from "../../services/cli/src/import/run.ts";
import { option, ratio, saveResults } from "./support.ts";

/** Events per transaction on both sides (the import's default batch). */
const batchEvents = 20_000;

/** What a child process measured about itself. */
interface ChildFigures {
  readonly seconds: number;
  readonly events: number;
  readonly peakRssBytes: number;
  readonly bytesWritten: number;
}

/** Bytes this process caused to be written to storage (Linux `/proc/self/io`). */
function bytesWritten(): number {
  const line = readFileSync("/proc/self/io", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("write_bytes:"));
  return Number(line?.split(":")[1] ?? Number.NaN);
}

function report(figures: Omit<ChildFigures, "peakRssBytes" | "bytesWritten">): void {
  const result: ChildFigures = { ...figures, peakRssBytes: process.resourceUsage().maxRSS * 1024, bytesWritten: bytesWritten() };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Child: `revgraph import` of the file into an embedded store in `dataDir`, opened as the CLI opens it. */
async function importChild(file: string, dataDir: string): Promise<void> {
  const started = performance.now();
  const store = await openEventStoreAt({ store: "sqlite", dataDir, bulkWrites: true });
  const summary = await runImport(store, { file, format: "salesforce-history", dryRun: false, json: true, batchEvents });
  await store.close();
  if (summary.rowsRejected > 0) throw new Error(`${summary.rowsRejected} rows rejected`);
  report({ seconds: (performance.now() - started) / 1000, events: summary.eventsWritten });
}

/** Child: the raw baseline. Reads batches of the imported rows (not timed) and inserts them (timed). */
function rawInsertChild(sourcePath: string, targetPath: string): void {
  const source = new DatabaseSync(sourcePath, { readOnly: true });
  const target = new DatabaseSync(targetPath);
  // The store's pragmas in bulk-write mode (see openSqliteEventStore / openEventStoreAt).
  target.exec("PRAGMA journal_mode = WAL");
  target.exec("PRAGMA synchronous = NORMAL");
  target.exec("PRAGMA cache_size = -65536");
  target.exec("PRAGMA wal_autocheckpoint = 50000");
  for (const { sql } of source.prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").all())
    target.exec(sql as string);
  const columns = (source.prepare("PRAGMA table_info(events)").all() as { name: string }[]).map((column) => column.name);
  const page = source.prepare(`SELECT ${columns.join(", ")} FROM events WHERE position > ? ORDER BY position LIMIT ?`);
  const insert = target.prepare(`INSERT INTO events (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
  let seconds = 0;
  let events = 0;
  let after = 0;
  for (;;) {
    const rows = page.all(after, batchEvents) as Record<string, string | number>[];
    if (rows.length === 0) break;
    const started = performance.now();
    target.exec("BEGIN IMMEDIATE");
    for (const row of rows) insert.run(...columns.map((column) => row[column] as string | number));
    target.exec("COMMIT");
    seconds += (performance.now() - started) / 1000;
    events += rows.length;
    after = rows.at(-1)?.position as number;
  }
  const started = performance.now();
  target.exec("PRAGMA wal_checkpoint(PASSIVE)");
  target.close();
  seconds += (performance.now() - started) / 1000;
  source.close();
  report({ seconds, events });
}

function runChild(...args: string[]): ChildFigures {
  const child = spawnSync(process.execPath, [import.meta.filename, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`child ${args[0]} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) as string) as ChildFigures;
}

const databaseBytes = (path: string) =>
  [path, `${path}-wal`].reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

const [mode, ...args] = process.argv.slice(2);
if (mode === "--child-import") await importChild(args[0] as string, args[1] as string);
else if (mode === "--child-raw") rawInsertChild(args[0] as string, args[1] as string);
else {
  const rows = option("rows", 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-import-"));
  const stages = ["Prospecting", "Qualification", "Value Proposition", "Negotiation/Review", "Closed Won"];
  const file = join(dir, "history.csv");
  // Written in chunks, so this process stays small while the children are measured.
  writeFileSync(
    file,
    "OpportunityId,OpportunityName,AccountId,OwnerId,CreatedDate,StageName,Amount,CloseDate,Probability,ForecastCategoryName\n",
  );
  let chunk: string[] = [];
  for (let row = 0; row < rows; row++) {
    const deal = Math.floor(row / stages.length);
    const step = row % stages.length;
    const at = new Date(Date.UTC(2024, 0, 1) + deal * 60_000 + step * 7 * 86_400_000).toISOString();
    const close = new Date(Date.UTC(2024, 3, 1) + deal * 60_000 + (step >= 3 ? 14 : 0) * 86_400_000).toISOString().slice(0, 10);
    chunk.push(
      `OPP${deal},Deal ${deal},ACC${deal % 5000},REP${deal % 300},${at},${stages[step]},${10_000 + (deal % 90) * 1000 + step * 500},${close},${step * 20},${step === 4 ? "Closed" : "Pipeline"}\n`,
    );
    if (chunk.length === 10_000 || row === rows - 1) {
      appendFileSync(file, chunk.join(""));
      chunk = [];
    }
  }
  console.log(`import benchmark: ${rows.toLocaleString("en-US")} history rows, node ${process.version}`);

  const imported = runChild("--child-import", file, join(dir, "data"));
  const importedDb = join(dir, "data", "revgraph.db");
  const importedSize = databaseBytes(importedDb);
  const raw = runChild("--child-raw", importedDb, join(dir, "raw.db"));
  const rawSize = databaseBytes(join(dir, "raw.db"));
  const line = (name: string, figures: ChildFigures, size: number) =>
    console.log(
      `  ${name.padEnd(44)} ${figures.events.toLocaleString("en-US").padStart(10)} events ${figures.seconds.toFixed(2).padStart(7)} s ${Math.round(
        figures.events / figures.seconds,
      )
        .toLocaleString("en-US")
        .padStart(
          9,
        )} events/s  peak RSS ${mib(figures.peakRssBytes)}, wrote ${mib(figures.bytesWritten)} for a ${mib(size)} database`,
    );
  line("revgraph import --format salesforce-history", imported, importedSize);
  line("raw node:sqlite insert of the same rows", raw, rawSize);
  console.log(
    `  import: ${Math.round(rows / imported.seconds).toLocaleString("en-US")} rows/s (${imported.events.toLocaleString("en-US")} events)`,
  );
  console.log("ratios:");
  ratio("import events/s ÷ raw insert events/s", imported.events / imported.seconds / (raw.events / raw.seconds), 0.5);
  ratio("import peak RSS ÷ 1 GiB", imported.peakRssBytes / 1024 ** 3, 1, false);
  ratio("import bytes written ÷ final database size", imported.bytesWritten / importedSize, 3, false);
  ratio("raw insert bytes written ÷ its database size", raw.bytesWritten / rawSize, 3, false);
  saveResults("import", { rows, imported, importedSize, raw, rawSize });
  rmSync(dir, { recursive: true, force: true });
}
