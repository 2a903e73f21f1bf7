import { writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { type EventStore, groupByEventCount } from "@revgraph/event-store";
import { stringify } from "csv-stringify/sync";
import { progress } from "../output.ts";
import { type Conversion, convertDeals, convertNdjson, convertSideTables, type RowProblem } from "./convert.ts";
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

function report(problem: RowProblem): string {
  return `${basename(problem.file)} row ${problem.row}, column ${problem.column}: ${problem.reason}${problem.dealId ? ` (deal ${problem.dealId} not imported)` : ""}`;
}

/**
 * Imports a file: converts every row first (nothing is written for a deal with a bad row), then writes
 * streams in atomic batches. The store leaves out events already stored (event ids derive from the
 * source content), so a re-run, or a run after a crash, ends in the same state as one clean run.
 */
export async function runImport(store: EventStore, options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const mapping = loadMapping(options.format, options.mapping);
  // The text and its parsed rows are only referenced inside these calls, so they can be freed once converted.
  let conversion: Conversion;
  if (options.format === "ndjson") {
    conversion = convertNdjson(options.file, readNdjsonLines(options.file, mapping.encoding));
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
    const converted = convertDeals(options.format, options.file, table.rows, mapping);
    const deals = {
      ...converted,
      problems: [...table.problems, ...converted.problems],
      rowsRead: converted.rowsRead + table.problems.length,
    };
    const firstDealByOwner = new Map<string, string>();
    for (const stream of deals.streams) {
      const created = stream.events[0]?.data as { ownerRepId?: string } | undefined;
      const date = deals.dealStartDates.get(stream.streamId.slice("deal-".length));
      if (
        created?.ownerRepId &&
        date &&
        (!firstDealByOwner.has(created.ownerRepId) || date < (firstDealByOwner.get(created.ownerRepId) as string))
      ) {
        firstDealByOwner.set(created.ownerRepId, date);
      }
    }
    const org = convertSideTables(
      options.format,
      { ...(accounts ? { accounts } : {}), ...(reps ? { reps } : {}) },
      mapping,
      firstDealByOwner,
    );
    conversion = {
      streams: [...org.streams, ...deals.streams],
      problems: [...(accounts?.problems ?? []), ...(reps?.problems ?? []), ...org.problems, ...deals.problems],
      rowsRead: deals.rowsRead + org.rowsRead + (accounts?.problems.length ?? 0) + (reps?.problems.length ?? 0),
      rejectedDeals: deals.rejectedDeals,
    };
  }
  let rejectsFile: string | null = null;
  if (conversion.problems.length > 0) {
    rejectsFile = options.rejects ?? `${options.file}.rejects.csv`;
    for (const problem of conversion.problems.slice(0, rejectsShown)) process.stderr.write(`rejected: ${report(problem)}\n`);
    if (conversion.problems.length > rejectsShown)
      process.stderr.write(`… and ${conversion.problems.length - rejectsShown} more in ${rejectsFile}\n`);
    writeFileSync(
      rejectsFile,
      stringify(
        conversion.problems.map((problem) => ({
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
  let written = 0;
  let present = 0;
  const total = conversion.streams.reduce((sum, stream) => sum + stream.events.length, 0);
  if (!options.dryRun) {
    const bar = progress("importing", total, options.json);
    for (const batch of groupByEventCount(conversion.streams, options.batchEvents ?? 20_000)) {
      const results = await store.appendMany(
        batch.map((stream) => ({ streamId: stream.streamId, events: stream.events, skipStored: true })),
      );
      const events = batch.reduce((sum, stream) => sum + stream.events.length, 0);
      const newlyWritten = results.reduce((sum, result) => sum + (result.idempotentReplay ? 0 : result.events.length), 0);
      written += newlyWritten;
      present += events - newlyWritten;
      bar.update(written + present);
    }
    bar.stop();
  }
  return {
    file: options.file,
    format: options.format,
    rowsRead: conversion.rowsRead,
    streams: new Set(conversion.streams.map((stream) => stream.streamId)).size,
    dealsRejected: conversion.rejectedDeals,
    rowsRejected: new Set(conversion.problems.map((problem) => `${problem.file}:${problem.row}`)).size,
    eventsWritten: written,
    eventsAlreadyPresent: present,
    dryRun: options.dryRun,
    rejectsFile,
    seconds: (performance.now() - started) / 1000,
  };
}
