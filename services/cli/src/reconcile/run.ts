import { existsSync } from "node:fs";
import { basename } from "node:path";
import { dealAt, dealIdOf, defaultConfig, isValidTimeZone, projectGraph, type RevenueConfig, timeSlice } from "@revgraph/domain";
import { collectEvents, type EventStore } from "@revgraph/event-store";
import type { EventType } from "@revgraph/events";
import { InvalidArgumentError } from "commander";
import { DateTime } from "luxon";
import { loadMapping, MappingError } from "../import/mapping.ts";
import { printTable } from "../output.ts";
import { type ReconcileReport, reconcileDeals } from "./compare.ts";
import { type DealFormat, type DealRecord, readRejectedRows, readSourceDeals } from "./source.ts";

/** What to reconcile: the export, how it was imported, and where the import wrote its rejected rows. */
export interface ReconcileOptions {
  readonly file: string;
  readonly format: DealFormat;
  readonly mapping?: string;
  /** Default `<file>.rejects.csv`, where `revgraph import` writes them. */
  readonly rejects?: string;
}

/** The report, with what it was run on. */
export type ReconcileResult = ReconcileReport & { readonly file: string; readonly format: DealFormat };

/** Events that change a deal's stage, amount or close date after its creation (one instant may hold several). */
const changeTypes: ReadonlySet<EventType> = new Set<EventType>([
  "DealStageChanged",
  "DealAmountChanged",
  "DealCloseDateChanged",
  "DealWon",
  "DealLost",
  "DealReopened",
]);

function localDate(instant: string, timeZone: string): string {
  return DateTime.fromISO(instant, { zone: "utc" }).setZone(timeZone).toISODate() ?? instant.slice(0, 10);
}

/** The deals the store holds, as of everything recorded, and which of them were created from this export. */
async function storeDeals(
  store: EventStore,
  options: ReconcileOptions,
  timeZone: string,
  config: RevenueConfig,
): Promise<{ byId: Map<string, DealRecord>; fromFile: Set<string> }> {
  const events = await collectEvents(store.readAll({ streamPrefix: "deal-" }));
  const state = projectGraph(events);
  const slice = timeSlice(state);
  const changeInstants = new Map<string, Set<string>>();
  const fromFile = new Set<string>();
  for (const event of events) {
    const dealId = dealIdOf(event.data);
    if (dealId === undefined) continue;
    if (event.type === "DealCreated" && event.source?.system === options.format && event.source.file === basename(options.file))
      fromFile.add(dealId);
    if (!changeTypes.has(event.type)) continue;
    const instants = changeInstants.get(dealId) ?? new Set<string>();
    instants.add(event.occurredAt);
    changeInstants.set(dealId, instants);
  }
  const byId = new Map<string, DealRecord>();
  for (const [dealId, facts] of Object.entries(state.deals)) {
    const deal = dealAt(state, facts, slice, config);
    if (!deal) continue;
    byId.set(dealId, {
      dealId,
      stage: deal.stage,
      status: deal.status,
      amount: deal.amount,
      currency: deal.currency,
      expectedCloseDate: deal.expectedCloseDate,
      createdDate: localDate(deal.createdAt, timeZone),
      closedDate: deal.closed ? localDate(deal.closed.at, timeZone) : null,
      changes: changeInstants.get(dealId)?.size ?? 0,
    });
  }
  return { byId, fromFile };
}

/**
 * Reconciles a deal export with the store: reads the export a second way (DuckDB, see `source.ts`), the store's
 * deals from the log, and compares them per deal and in aggregate. Pure reading: writes nothing.
 */
export async function runReconcile(
  store: EventStore,
  options: ReconcileOptions,
  config: RevenueConfig = defaultConfig,
): Promise<ReconcileResult> {
  if (!existsSync(options.file)) throw new InvalidArgumentError(`${options.file}: no such file`);
  const mapping = loadMapping(options.format, options.mapping);
  if (!isValidTimeZone(mapping.timeZone))
    throw new MappingError(`mapping: key timeZone: unknown time zone ${JSON.stringify(mapping.timeZone)}`);
  const source = await readSourceDeals(options.file, options.format, mapping, config);
  const rejectsFile = options.rejects ?? `${options.file}.rejects.csv`;
  if (options.rejects && !existsSync(rejectsFile)) throw new InvalidArgumentError(`--rejects ${rejectsFile}: no such file`);
  const rejected = existsSync(rejectsFile) ? await readRejectedRows(rejectsFile, options.file) : [];
  const { byId, fromFile } = await storeDeals(store, options, mapping.timeZone, config);
  const inSource = new Set(source.map((deal) => deal.dealId));
  const storeOnly = [...fromFile].filter((id) => !inSource.has(id)).flatMap((id) => byId.get(id) ?? []);
  return { file: options.file, format: options.format, ...reconcileDeals(source, byId, storeOnly, rejected) };
}

/** Prints a reconcile report as text tables. */
export function printReconcile(result: ReconcileResult): void {
  const { deals } = result;
  console.log(
    `${result.faithful ? "faithful" : "NOT faithful"}: ${deals.source} deals in ${basename(result.file)} (${result.format}), ${deals.store} in the store, ${result.differences.length} difference(s), ${deals.rejected} deal(s) rejected by the import`,
  );
  if (result.differences.length > 0) {
    console.log("\ndifferences per deal");
    printTable(result.differences.map((entry) => ({ ...entry })));
  }
  console.log("\naggregates");
  printTable(result.aggregates.map((row) => ({ ...row, matches: row.matches ? "yes" : "NO" })));
  if (result.rejected.length > 0) {
    console.log("\nrejected by the import (not differences)");
    printTable(
      result.rejected.map((entry) => ({
        deal: entry.dealId ?? "(no deal id)",
        rows: entry.rows.join(" "),
        reasons: entry.reasons.join("; "),
      })),
    );
  }
}
