import { type DealFacts, dealStays, END_OF_TIME, type GraphState, type RevenueConfig, type StageStay } from "@revgraph/domain";
import type { EventType, RecordedEvent } from "@revgraph/events";
import type { Column, Row } from "./columns.ts";

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

/** Stays of a deal written earlier whose record interval ends: those of `ord` at or after `from_ord` still open. */
export const endedStayColumns: readonly Column[] = [
  { name: "deal_id", type: "VARCHAR" },
  { name: "from_ord", type: "INTEGER" },
  { name: "known_to", type: "BIGINT" },
];

const ORD = 1;
const KNOWN_TO = 11;

/**
 * Ends the record interval of the stays written earlier that `ended_stays` names: each at the first position that
 * ended it (several events of one batch may end the same deal's stays). Runs before the batch's new stays are written.
 */
export const endStaysSql = `UPDATE deal_stays SET known_to = e.known_to
FROM (
  SELECT s.deal_id, s.ord, min(e.known_to) AS known_to FROM deal_stays s
  JOIN ended_stays e ON e.deal_id = s.deal_id AND s.ord >= e.from_ord
  WHERE s.known_to IS NULL GROUP BY s.deal_id, s.ord) e
WHERE deal_stays.deal_id = e.deal_id AND deal_stays.ord = e.ord AND deal_stays.known_to IS NULL`;

/** Changes to the stay table in one batch: new rows (open ones by deal, to end in the batch), and ends of earlier rows. */
export interface DealStayChanges {
  readonly inserted: (string | number | null)[][];
  readonly openByDeal: Map<string, (string | number | null)[][]>;
  readonly ended: Row[];
}

/** An empty batch of stay changes. */
export function noStayChanges(): DealStayChanges {
  return { inserted: [], openByDeal: new Map(), ended: [] };
}

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
  apply(state: GraphState, event: RecordedEvent, changes: DealStayChanges): void {
    if (!stepEvents.has(event.type)) return;
    const dealId = (event.data as { dealId?: unknown }).dealId;
    if (typeof dealId !== "string") return;
    const facts = state.deals[dealId];
    if (!facts) return;
    const position = event.globalPosition;
    const after = this.#staysAt(facts, position);
    let from = 0;
    if (event.type !== "DealCreated") {
      const before = this.#staysAt(facts, position - 1);
      while (from < before.length && from < after.length && sameStay(before[from] as StageStay, after[from] as StageStay)) from++;
      if (from === before.length && from === after.length) return;
    }
    this.#end(changes, dealId, from + 1, position);
    const open = changes.openByDeal.get(dealId) ?? [];
    const seen = new Set(after.slice(0, from).map((stay) => stay.stage));
    after.slice(from).forEach((stay, index) => {
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
      changes.inserted.push(row);
      open.push(row);
    });
    changes.openByDeal.set(dealId, open);
  }

  #staysAt(facts: DealFacts, maxPosition: number): StageStay[] {
    return dealStays(facts, { asOf: END_OF_TIME, maxPosition }, this.#config);
  }

  /** Ends the deal's stays from `fromOrd` at `position`: those of this batch at once, those written earlier on flush. */
  #end(changes: DealStayChanges, dealId: string, fromOrd: number, position: number): void {
    const open = changes.openByDeal.get(dealId);
    if (open)
      changes.openByDeal.set(
        dealId,
        open.filter((row) => {
          if (Number(row[ORD]) < fromOrd) return true;
          row[KNOWN_TO] = position;
          return false;
        }),
      );
    changes.ended.push([dealId, fromOrd, position]);
  }
}
