import { type DealCore, type DealFacts, dealCoreAt, dealIdOf, type GraphState, type RevenueConfig } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import type { Column, Row } from "./columns.ts";

/**
 * Deal versions, bitemporal: each row is a deal as it stood over a business-time interval
 * `[valid_from, valid_to)` (valid_to null: until further notice), as known over a record-time interval
 * `[known_from, known_to)` of log positions (known_to null: still known so), with the record times
 * (`recordedAt`) of those positions and the event that made the row known. A late or back-dated event never
 * rewrites a row: it ends the record interval of the rows it changes (`known_to`) and adds their successors.
 * "The deal as of business time A, as known at position K" is the one row with
 * `valid_from <= A < valid_to` and `known_from <= K < known_to` (`valid_from_ms` and `valid_to_ms` hold the business
 * times as epoch milliseconds, for queries).
 */
export const dealVersionColumns: readonly Column[] = [
  { name: "row_id", type: "BIGINT" },
  { name: "deal_id", type: "VARCHAR" },
  { name: "valid_from", type: "VARCHAR" },
  { name: "valid_to", type: "VARCHAR" },
  { name: "known_from", type: "BIGINT" },
  { name: "known_to", type: "BIGINT" },
  { name: "known_from_at", type: "VARCHAR" },
  { name: "known_to_at", type: "VARCHAR" },
  { name: "source_event_id", type: "VARCHAR" },
  { name: "account_id", type: "VARCHAR" },
  { name: "owner_rep_id", type: "VARCHAR" },
  { name: "amount", type: "DOUBLE" },
  { name: "currency", type: "VARCHAR" },
  { name: "amount_event_id", type: "VARCHAR" },
  { name: "stage", type: "VARCHAR" },
  { name: "stage_entered_at", type: "VARCHAR" },
  { name: "stage_entered_event_id", type: "VARCHAR" },
  { name: "status", type: "VARCHAR" },
  { name: "created_at", type: "VARCHAR" },
  { name: "created_ms", type: "DOUBLE" },
  { name: "created_event_id", type: "VARCHAR" },
  { name: "closed_at", type: "VARCHAR" },
  { name: "closed_ms", type: "DOUBLE" },
  { name: "closed_event_id", type: "VARCHAR" },
  { name: "closed_reason", type: "VARCHAR" },
  { name: "closed_competitor", type: "VARCHAR" },
  { name: "expected_close_date", type: "VARCHAR" },
  { name: "close_date_event_id", type: "VARCHAR" },
  { name: "pushes", type: "INTEGER" },
  { name: "probability", type: "DOUBLE" },
  { name: "probability_event_id", type: "VARCHAR" },
  { name: "forecast_category", type: "VARCHAR" },
  { name: "product", type: "VARCHAR" },
  { name: "lead_source", type: "VARCHAR" },
  { name: "segment", type: "VARCHAR" },
  { name: "name", type: "VARCHAR" },
  // `valid_from` and `valid_to` as epoch milliseconds: slices compare numbers rather than strings (many times faster).
  { name: "valid_from_ms", type: "BIGINT" },
  { name: "valid_to_ms", type: "BIGINT" },
];

/** Index of `known_to` and `known_to_at` in a row: the only values a row ever gets after it is made. */
const KNOWN_TO = 5;
const KNOWN_TO_AT = 7;
const VALID_FROM = 2;
const VALID_TO = 3;

/** The latest business time a version row names: its end, or its start when it is open-ended. */
export function lastTimeOf(row: Row): string {
  return String(row[VALID_TO] ?? row[VALID_FROM]);
}

/** A deal version row known now (its record interval still open). */
interface OpenRow {
  readonly rowId: number;
  readonly validFrom: string;
  readonly validTo: string | null;
}

/** The business times at which a deal's columns can change: every fact but roles, interactions and evidence. */
function breakpoints(facts: DealFacts): string[] {
  const times = new Set<string>();
  if (facts.created) times.add(facts.created.at);
  for (const list of [facts.stages, facts.amounts, facts.closeDates, facts.probabilities, facts.categories, facts.owners])
    for (const fact of list) times.add(fact.at);
  for (const fact of facts.outcomes) times.add(fact.at);
  return [...times].sort();
}

function versionValues(deal: DealCore): Row {
  const stay = deal.stays.at(-1);
  return [
    deal.accountId,
    deal.ownerRepId,
    deal.amount,
    deal.currency,
    deal.amountEventId,
    deal.stage,
    stay?.enteredAt ?? deal.createdAt,
    stay?.enteredEventId ?? deal.createdEventId,
    deal.status,
    deal.createdAt,
    Date.parse(deal.createdAt),
    deal.createdEventId,
    deal.closed?.at ?? null,
    deal.closed ? Date.parse(deal.closed.at) : null,
    deal.closed?.eventId ?? null,
    deal.closed?.reason ?? null,
    deal.closed?.competitor ?? null,
    deal.expectedCloseDate,
    deal.closeDateHistory.at(-1)?.eventId ?? deal.createdEventId,
    deal.pushes,
    deal.probability,
    deal.probabilityEventId,
    deal.forecastCategory,
    deal.product ?? null,
    deal.leadSource ?? null,
    deal.segment,
    deal.name,
  ];
}

/**
 * The open rows (`known_to` null) of each deal in a deal-version table, one row per deal: `deal_id`, and `rows`: each
 * row as `row_id,valid_from,valid_to` (`valid_to` empty when null), joined by `;` in `valid_from` order. Times are ISO
 * strings, which hold neither separator.
 */
export const packedOpenRowsSql = `SELECT deal_id, string_agg(concat_ws(',', row_id, valid_from, coalesce(valid_to, '')), ';' ORDER BY valid_from)
  AS rows FROM deal_versions WHERE known_to IS NULL GROUP BY deal_id`;

/** Changes to the deal-version table: new rows, and rows written earlier whose record interval ends. */
export interface DealVersionChanges {
  readonly inserted: Map<number, Row>;
  readonly ended: { rowId: number; knownTo: number; knownToAt: string }[];
}

/**
 * Keeps the deal-version table in step with the graph, event by event: for an event about a deal at business time
 * `t`, the rows known now whose interval reaches past `t` end, and the versions from the one covering `t` onwards are
 * derived again from the deal's facts. Holds the open rows of every deal (to know which to end).
 */
export class DealVersionProjection {
  readonly #config: RevenueConfig;
  /**
   * The open rows of every deal, as {@link packedOpenRowsSql} packs them: one string per deal rather than an object
   * per row, since every deal's are held (a million deals' rows as objects were a large share of a JavaScript heap).
   */
  readonly #packed = new Map<string, string>();
  /**
   * The values of each deal's last version (`valid_to` null) derived by this projection. An event at business time `t`
   * after that version's start ends it, and its successor from the same start has the same values (no fact before `t`
   * changed): they are taken from here rather than derived again. Empty for deals not derived since the table was
   * restored (they are derived).
   */
  readonly #lastValues = new Map<string, { readonly rowId: number; readonly values: Row }>();
  /** How many deals' last values {@link #lastValues} keeps: the most recently derived (they are derived again if gone). */
  readonly #lastValuesKept: number;
  #nextRowId: number;

  /**
   * `lastValuesKept` bounds the deals whose last version's values are kept (default 20,000: the deals events name
   * again soon; at a million deals every deal's row of values took gigabytes of heap).
   */
  constructor(config: RevenueConfig, lastValuesKept = 20_000) {
    this.#config = config;
    this.#nextRowId = 1;
    this.#lastValuesKept = lastValuesKept;
  }

  /**
   * Restores the open rows of a table written earlier, whose greatest row id is `maxRowId`: per deal, its rows packed
   * by {@link packedOpenRowsSql}, read when an event first names the deal (half a million rows at 100k deals: building
   * them all as objects took 2 s).
   */
  restore(packed: Iterable<{ dealId: string; rows: string }>, maxRowId: number): void {
    for (const { dealId, rows } of packed) this.#packed.set(dealId, rows);
    this.#nextRowId = Math.max(this.#nextRowId, maxRowId + 1);
  }

  /** The open rows of a deal, in `valid_from` order. */
  #openRows(dealId: string): OpenRow[] {
    const packed = this.#packed.get(dealId);
    if (!packed) return [];
    return packed.split(";").map((row) => {
      const [rowId, validFrom, validTo] = row.split(",") as [string, string, string];
      return { rowId: Number(rowId), validFrom, validTo: validTo === "" ? null : validTo };
    });
  }

  /** Applies one event (already applied to `state`), recording row changes in `changes`. */
  apply(state: GraphState, event: RecordedEvent, changes: DealVersionChanges): void {
    const dealId = dealIdOf(event.data);
    if (dealId === undefined) return;
    const facts = state.deals[dealId];
    if (!facts || !this.#changesColumns(event)) return;
    // A new creation can move every version (the deal's start); any other fact only those from its business time on.
    const from = event.type === "DealCreated" ? "" : event.occurredAt;
    const open = this.#openRows(dealId);
    const kept: OpenRow[] = [];
    let restartAt: string | null = null;
    let restartRowId: number | null = null;
    for (const row of open) {
      if (row.validTo !== null && row.validTo <= from) {
        kept.push(row);
        continue;
      }
      if (restartAt === null || row.validFrom < restartAt) {
        restartAt = row.validFrom;
        restartRowId = row.rowId;
      }
      const pending = changes.inserted.get(row.rowId);
      if (pending) {
        const ended = [...pending];
        ended[KNOWN_TO] = event.globalPosition;
        ended[KNOWN_TO_AT] = event.recordedAt;
        changes.inserted.set(row.rowId, ended);
      } else changes.ended.push({ rowId: row.rowId, knownTo: event.globalPosition, knownToAt: event.recordedAt });
    }
    const times = breakpoints(facts).filter((at) => at >= (restartAt === null ? from : restartAt < from ? restartAt : from));
    const slice = { asOf: "", maxPosition: event.globalPosition };
    const last = this.#lastValues.get(dealId);
    const versions: { at: string; values: Row }[] = [];
    for (const at of times) {
      if (at === restartAt && at < from && last !== undefined && last.rowId === restartRowId) {
        versions.push({ at, values: last.values });
        continue;
      }
      const deal = dealCoreAt(facts, { ...slice, asOf: at }, this.#config);
      if (deal) versions.push({ at, values: versionValues(deal) });
    }
    versions.forEach((version, index) => {
      const validTo = versions[index + 1]?.at ?? null;
      const rowId = this.#nextRowId++;
      kept.push({ rowId, validFrom: version.at, validTo });
      if (validTo === null) this.#keepLastValues(dealId, { rowId, values: version.values });
      changes.inserted.set(rowId, [
        rowId,
        dealId,
        version.at,
        validTo,
        event.globalPosition,
        null,
        event.recordedAt,
        null,
        event.id,
        ...version.values,
        Date.parse(version.at),
        validTo === null ? null : Date.parse(validTo),
      ]);
    });
    kept.sort((a, b) => (a.validFrom < b.validFrom ? -1 : 1));
    this.#packed.set(dealId, kept.map((row) => `${row.rowId},${row.validFrom},${row.validTo ?? ""}`).join(";"));
  }

  /** Keeps a deal's last values as the most recent, dropping the least recent beyond {@link #lastValuesKept}. */
  #keepLastValues(dealId: string, last: { readonly rowId: number; readonly values: Row }): void {
    this.#lastValues.delete(dealId);
    this.#lastValues.set(dealId, last);
    if (this.#lastValues.size <= this.#lastValuesKept) return;
    const oldest = this.#lastValues.keys().next();
    if (!oldest.done) this.#lastValues.delete(oldest.value);
  }

  /** Roles, interactions and gate evidence change no column of a version. */
  #changesColumns(event: RecordedEvent): boolean {
    return !(
      event.type === "ContactRoleAssigned" ||
      event.type === "ContactRoleRemoved" ||
      event.type === "InteractionLogged" ||
      event.type === "GateEvidenceRecorded"
    );
  }
}
