import {
  type DealFacts,
  dealIdOf,
  dealStays,
  END_OF_TIME,
  type GraphState,
  type RevenueConfig,
  type StageStay,
} from "@revgraph/domain";
import type { EventType, RecordedEvent } from "@revgraph/events";
import type { Column } from "./columns.ts";
import { type DealRowListChanges, replaceDealRowsFrom, sharedPrefix } from "./deal-row-lists.ts";

/**
 * Deal stage stays, bitemporal: each row is one stay of a deal in a stage, as the graph derives it from every step
 * of the deal known over a record-time interval `[known_from, known_to)` of log positions (known_to null: still known
 * so). `ord` is the stay's place in the deal's stays (1: the creation's stage, first even when a back-dated step
 * comes before the creation; then a stay per stage change to another stage and per outcome, in (business time,
 * position) order). `left_at` is when the next stay began (null: the deal is still there), `first_in_stage` 1 for
 * the deal's first stay in its stage. A late or back-dated step never rewrites a row: it ends the record interval of
 * the stays from the first one it changes (`known_to`) and adds their successors.
 *
 * Stays as of business time A are a prefix: the stays known at K with `ord = 1` or `entered_at <= A`, each left at
 * `left_at` when that is at or before A (else still open at A). Business times are also held as epoch milliseconds.
 */
export const dealStayColumns: readonly Column[] = [
  { name: "deal_id", type: "VARCHAR" },
  { name: "ord", type: "INTEGER" },
  { name: "stage", type: "VARCHAR" },
  { name: "entered_at", type: "VARCHAR" },
  { name: "entered_ms", type: "BIGINT" },
  { name: "entered_event_id", type: "VARCHAR" },
  { name: "left_at", type: "VARCHAR" },
  { name: "left_ms", type: "BIGINT" },
  { name: "left_event_id", type: "VARCHAR" },
  { name: "first_in_stage", type: "INTEGER" },
  { name: "known_from", type: "BIGINT" },
  { name: "known_to", type: "BIGINT" },
];

/** The events that add a step to a deal's stage timeline. */
const stepEvents: ReadonlySet<EventType> = new Set(["DealCreated", "DealStageChanged", "DealWon", "DealLost", "DealReopened"]);

const sameStay = (a: StageStay, b: StageStay) =>
  a.stage === b.stage &&
  a.enteredAt === b.enteredAt &&
  a.enteredEventId === b.enteredEventId &&
  a.leftAt === b.leftAt &&
  a.leftEventId === b.leftEventId;

/**
 * Keeps the stay table in step with the graph, event by event: for a step of a deal at position p, the deal's stays
 * known before it (derived from its facts up to p - 1) and after it are compared, and the stays from the first that
 * differs end at p and are added again as derived at p. A creation (the deal's latest `created` is its creation)
 * ends and adds them all. It holds nothing between events: the graph has every fact, so a process restarted at a
 * stored position derives the same rows.
 */
export class DealStayProjection {
  readonly #config: RevenueConfig;

  constructor(config: RevenueConfig) {
    this.#config = config;
  }

  /** Applies one event (already applied to `state`), recording row changes in `changes`. */
  apply(state: GraphState, event: RecordedEvent, changes: DealRowListChanges): void {
    if (!stepEvents.has(event.type)) return;
    const dealId = dealIdOf(event.data);
    if (dealId === undefined) return;
    const facts = state.deals[dealId];
    if (!facts) return;
    const position = event.globalPosition;
    const after = this.#staysAt(facts, position);
    let from = 0;
    if (event.type !== "DealCreated") {
      const before = this.#staysAt(facts, position - 1);
      from = sharedPrefix(before, after, sameStay);
      if (from === before.length && from === after.length) return;
    }
    const seen = new Set(after.slice(0, from).map((stay) => stay.stage));
    const rows = after.slice(from).map((stay, index) => {
      const row = [
        dealId,
        from + index + 1,
        stay.stage,
        stay.enteredAt,
        Date.parse(stay.enteredAt),
        stay.enteredEventId,
        stay.leftAt,
        stay.leftAt === null ? null : Date.parse(stay.leftAt),
        stay.leftEventId,
        seen.has(stay.stage) ? 0 : 1,
        position,
        null,
      ];
      seen.add(stay.stage);
      return row;
    });
    replaceDealRowsFrom(changes, dealId, from + 1, position, rows);
  }

  #staysAt(facts: DealFacts, maxPosition: number): StageStay[] {
    return dealStays(facts, { asOf: END_OF_TIME, maxPosition }, this.#config);
  }
}
