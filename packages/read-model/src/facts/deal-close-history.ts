import { type DealFacts, dealCoreAt, dealIdOf, END_OF_TIME, type GraphState, type RevenueConfig } from "@revgraph/domain";
import type { EventType, RecordedEvent } from "@revgraph/events";
import type { Column } from "./columns.ts";
import { type DealRowListChanges, replaceDealRowsFrom, sharedPrefix } from "./deal-row-lists.ts";

/**
 * Deal close-date histories, bitemporal: each row is one expected close date of a deal (`ord` 1: the creation's, then
 * the changes and closes' dates in (business time, position) order), as the graph derives the deal's close-date history
 * from every fact known over a record-time interval `[known_from, known_to)` of log positions (known_to null: still
 * known so). `set_at` is the business time of the event that set it, `while_open_from` the earliest business time as
 * of which the deal counts as open while it held the date (set while open, or reopened before the next date was set;
 * null: never). A late or back-dated fact never rewrites a row: it ends the record interval of the rows from the first
 * one it changes (`known_to`) and adds their successors.
 *
 * A history as of business time A is a prefix: the rows known at K with `ord = 1` or `set_at <= A`, each held while
 * open as of A when `while_open_from <= A` (only the last of them can be reopened after A; the others' next date is
 * set by A).
 */
export const dealCloseHistoryColumns: readonly Column[] = [
  { name: "deal_id", type: "VARCHAR" },
  { name: "ord", type: "INTEGER" },
  { name: "date", type: "VARCHAR" },
  { name: "set_at", type: "VARCHAR" },
  { name: "event_id", type: "VARCHAR" },
  { name: "while_open_from", type: "VARCHAR" },
  { name: "known_from", type: "BIGINT" },
  { name: "known_to", type: "BIGINT" },
];

/** The events that change a deal's close-date history: its dates, and the outcomes that close and reopen it. */
const closeDateEvents: ReadonlySet<EventType> = new Set([
  "DealCreated",
  "DealCloseDateChanged",
  "DealWon",
  "DealLost",
  "DealReopened",
]);

/** One close-date entry as stored (without the deal and the record interval). */
interface CloseDateRow {
  readonly date: string;
  readonly setAt: string;
  readonly eventId: string;
  readonly whileOpenFrom: string | null;
}

const sameRow = (a: CloseDateRow, b: CloseDateRow) =>
  a.date === b.date && a.setAt === b.setAt && a.eventId === b.eventId && a.whileOpenFrom === b.whileOpenFrom;

/**
 * Keeps the close-date table in step with the graph, event by event, as {@link DealStayProjection} keeps the stays:
 * for an event that changes a deal's close-date history at position p, the history known before it and after it are
 * derived with the graph's `dealCoreAt` and compared, and the rows from the first that differs end at p and are added
 * again as derived at p. It holds nothing between events.
 */
export class DealCloseHistoryProjection {
  readonly #config: RevenueConfig;

  constructor(config: RevenueConfig) {
    this.#config = config;
  }

  /** Applies one event (already applied to `state`), recording row changes in `changes`. */
  apply(state: GraphState, event: RecordedEvent, changes: DealRowListChanges): void {
    if (!closeDateEvents.has(event.type)) return;
    const dealId = dealIdOf(event.data);
    if (dealId === undefined) return;
    const facts = state.deals[dealId];
    if (!facts) return;
    const position = event.globalPosition;
    const before = this.#historyAt(facts, position - 1);
    const after = this.#historyAt(facts, position);
    const from = sharedPrefix(before, after, sameRow);
    if (from === before.length && from === after.length) return;
    const rows = after
      .slice(from)
      .map((entry, index) => [
        dealId,
        from + index + 1,
        entry.date,
        entry.setAt,
        entry.eventId,
        entry.whileOpenFrom,
        position,
        null,
      ]);
    replaceDealRowsFrom(changes, dealId, from + 1, position, rows);
  }

  /**
   * The deal's close-date history known at `maxPosition`, each entry with the earliest business time as of which it is
   * held while open: found by asking the graph as of the entry's own time (or the creation's, when later) and then as
   * of each later reopening, the only times at which the answer can change (it never changes back).
   */
  #historyAt(facts: DealFacts, maxPosition: number): CloseDateRow[] {
    const snapshot = dealCoreAt(facts, { asOf: END_OF_TIME, maxPosition }, this.#config);
    if (!snapshot) return [];
    const createdAt = snapshot.createdAt;
    const reopenings = facts.outcomes
      .filter((outcome) => outcome.kind === "reopened" && outcome.pos <= maxPosition)
      .map((outcome) => outcome.at);
    return snapshot.closeDateHistory.map((entry, index) => {
      let whileOpenFrom: string | null = null;
      if (entry.whileOpen) {
        // ISO instants compare as strings: the later of the entry's time and the creation's.
        const first = [entry.at, createdAt].sort()[1] as string;
        for (const asOf of [first, ...reopenings.filter((at) => at > first)]) {
          const held = dealCoreAt(facts, { asOf, maxPosition }, this.#config)?.closeDateHistory[index]?.whileOpen;
          if (held) {
            whileOpenFrom = asOf;
            break;
          }
        }
      }
      return { date: entry.date, setAt: entry.at, eventId: entry.eventId, whileOpenFrom };
    });
  }
}
