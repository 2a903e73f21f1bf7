import { writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { EventStore } from "@revgraph/event-store";
import { stringify } from "csv-stringify/sync";
import { progress } from "../output.ts";
import {
  convertDeals,
  convertNdjson,
  convertSideTables,
  dealConversionReport,
  type RowProblem,
  type StreamBatch,
} from "./convert.ts";
import { dealFields, type ImportFormat, loadMapping, sideTableFields } from "./mapping.ts";
import { checkColumns, readCsv, readNdjsonLines, type SourceRow } from "./rows.ts";

/** Rejected rows printed on stderr; the rest are counted and left to the rejects file. */
const rejectsShown = 20;

/** Options of `revgraph import`. */
export interface ImportOptions {
  readonly file: string;
  readonly format: ImportFormat;
  readonly mapping?: string;
  readonly dryRun: boolean;
  readonly rejects?: string;
  readonly json: boolean;
  /** Events per atomic write (default 20,000). */
  readonly batchEvents?: number;
}

/** What an import did. */
export interface ImportSummary {
  readonly file: string;
  readonly format: ImportFormat;
  readonly rowsRead: number;
  readonly streams: number;
  readonly dealsRejected: number;
  readonly rowsRejected: number;
  readonly eventsWritten: number;
  readonly eventsAlreadyPresent: number;
  readonly dryRun: boolean;
  readonly rejectsFile: string | null;
  readonly seconds: number;
}

function describe(problem: RowProblem): string {
  return `${basename(problem.file)} row ${problem.row}, column ${problem.column}: ${problem.reason}${problem.dealId ? ` (deal ${problem.dealId} not imported)` : ""}`;
}

/** Appends streams in atomic batches of about `batchEvents` events as they come, counting what was new. */
class BatchWriter {
  readonly #store: EventStore;
  readonly #batchEvents: number;
  readonly #dryRun: boolean;
  readonly #bar: ReturnType<typeof progress>;
  #pending: StreamBatch[] = [];
  #pendingEvents = 0;
  #rows = 0;
  streams = 0;
  written = 0;
  present = 0;
  constructor(store: EventStore, batchEvents: number, dryRun: boolean, bar: ReturnType<typeof progress>) {
    this.#store = store;
    this.#batchEvents = batchEvents;
    this.#dryRun = dryRun;
    this.#bar = bar;
  }

  async add(stream: StreamBatch): Promise<void> {
    this.#pending.push(stream);
    this.#pendingEvents += stream.events.length;
    if (this.#pendingEvents >= this.#batchEvents) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingEvents = 0;
    if (batch.length === 0) return;
    this.streams += batch.length;
    this.#rows += batch.reduce((sum, stream) => sum + stream.rows.length, 0);
    if (!this.#dryRun) {
      const results = await this.#store.appendMany(
        batch.map((stream) => ({ streamId: stream.streamId, events: stream.events, skipStored: true })),
      );
      const events = batch.reduce((sum, stream) => sum + stream.events.length, 0);
      const newlyWritten = results.reduce((sum, result) => sum + (result.idempotentReplay ? 0 : result.events.length), 0);
      this.written += newlyWritten;
      this.present += events - newlyWritten;
    }
    this.#bar.update(this.#rows);
  }
}

/**
 * Imports a file. Rows are read and checked first; deals are then converted one at a time (nothing is written
 * for a deal with a bad row) and written in atomic batches as they come, so only the rows, not every event, are
 * held in memory; organisation streams from side tables follow the deals. The store leaves out events already
 * stored (event ids derive from the source content), so a re-run, or a run after a crash, ends in the same state
 * as one clean run.
 */
export async function runImport(store: EventStore, options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const mapping = loadMapping(options.format, options.mapping);
  let problems: RowProblem[];
  let rowsRead: number;
  let rejectedDeals: number;
  let writer: BatchWriter;
  const batchEvents = options.batchEvents ?? 20_000;
  if (options.format === "ndjson") {
    const conversion = convertNdjson(options.file, readNdjsonLines(options.file, mapping.encoding));
    writer = new BatchWriter(store, batchEvents, options.dryRun, progress("importing", conversion.rowsRead, options.json));
    for (const stream of conversion.streams) await writer.add(stream);
    ({ problems, rowsRead, rejectedDeals } = conversion);
  } else {
    const side = (name: "accounts" | "reps"): { file: string; rows: SourceRow[]; problems: RowProblem[] } | undefined => {
      const config = mapping.sideTables[name];
      if (!config) return undefined;
      // Relative to the mapping file's folder (a side table is named in the mapping); an absolute path as it is.
      const path = resolve(options.mapping ? dirname(options.mapping) : dirname(options.file), config.file);
      const sideTable = readCsv(path, mapping.encoding, config.delimiter ?? mapping.delimiter);
      checkColumns(
        sideTable,
        sideTableFields[name].map((field) => config.columns[field] ?? field),
      );
      return { file: path, rows: sideTable.rows, problems: sideTable.problems };
    };
    const accounts = side("accounts");
    const reps = side("reps");
    const table = readCsv(options.file, mapping.encoding, mapping.delimiter);
    checkColumns(
      table,
      dealFields.map((field) => mapping.columns[field] ?? field),
    );
    const sideRows = (accounts?.rows.length ?? 0) + (reps?.rows.length ?? 0);
    writer = new BatchWriter(
      store,
      batchEvents,
      options.dryRun,
      progress("importing", table.rows.length + sideRows, options.json),
    );
    const report = dealConversionReport();
    const firstDealByOwner = new Map<string, string>();
    for (const stream of convertDeals(options.format, options.file, table.rows, mapping, report)) {
      const created = stream.events[0]?.data as { ownerRepId?: string } | undefined;
      const date = report.dealStartDates.get(stream.streamId.slice("deal-".length));
      const known = created?.ownerRepId ? firstDealByOwner.get(created.ownerRepId) : undefined;
      if (created?.ownerRepId && date && (known === undefined || date < known)) firstDealByOwner.set(created.ownerRepId, date);
      await writer.add(stream);
    }
    const org = convertSideTables(
      options.format,
      { ...(accounts ? { accounts } : {}), ...(reps ? { reps } : {}) },
      mapping,
      firstDealByOwner,
    );
    for (const stream of org.streams) await writer.add(stream);
    problems = [...(accounts?.problems ?? []), ...(reps?.problems ?? []), ...org.problems, ...table.problems, ...report.problems];
    rowsRead =
      table.rows.length + table.problems.length + org.rowsRead + (accounts?.problems.length ?? 0) + (reps?.problems.length ?? 0);
    rejectedDeals = report.rejectedDeals;
  }
  await writer.flush();
  let rejectsFile: string | null = null;
  if (problems.length > 0) {
    rejectsFile = options.rejects ?? `${options.file}.rejects.csv`;
    for (const problem of problems.slice(0, rejectsShown)) process.stderr.write(`rejected: ${describe(problem)}\n`);
    if (problems.length > rejectsShown) process.stderr.write(`… and ${problems.length - rejectsShown} more in ${rejectsFile}\n`);
    writeFileSync(
      rejectsFile,
      stringify(
        problems.map((problem) => ({
          file: basename(problem.file),
          row: problem.row,
          column: problem.column,
          reason: problem.reason,
          deal: problem.dealId ?? "",
        })),
        { header: true },
      ),
    );
  }
  return {
    file: options.file,
    format: options.format,
    rowsRead,
    streams: writer.streams,
    dealsRejected: rejectedDeals,
    rowsRejected: new Set(problems.map((problem) => `${problem.file}:${problem.row}`)).size,
    eventsWritten: writer.written,
    eventsAlreadyPresent: writer.present,
    dryRun: options.dryRun,
    rejectsFile,
    seconds: (performance.now() - started) / 1000,
  };
}
