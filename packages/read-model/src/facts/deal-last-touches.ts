import { dealIdOf, type GraphState } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import type { Column, Row } from "./columns.ts";

/**
 * Each deal's latest touch, bitemporal: each row is the interaction the deal's latest touch (in (business time,
 * position) order, as the graph sorts a deal's interactions) was over a record-time interval `[known_from, known_to)`
 * of log positions (known_to null: still so). A touch that becomes the latest ends the previous row's interval and
 * adds its own; a back-dated touch behind the latest changes nothing. Rows are never rewritten otherwise.
 *
 * In a slice (asOf A, position K) a deal's last visible touch is the row known at K when its `touched_at` is at or
 * before A (it is the latest of all touches known at K, so of those visible); when it is after A, an earlier touch may
 * be the last visible one, and only then are the deal's touches (`deal_touches`) read. `touched_at` is the touch's
 * business time, `event_id` the event that logged it.
 */
export const dealLastTouchColumns: readonly Column[] = [
  { name: "deal_id", type: "VARCHAR" },
  { name: "touched_at", type: "VARCHAR" },
  { name: "event_id", type: "VARCHAR" },
  { name: "known_from", type: "BIGINT" },
  { name: "known_to", type: "BIGINT" },
];

/** Deals whose latest-touch row written earlier ends: at `known_to`. */
export const endedLastTouchColumns: readonly Column[] = [
  { name: "deal_id", type: "VARCHAR" },
  { name: "known_to", type: "BIGINT" },
];

const KNOWN_TO = 4;

/** Ends the record interval of the open rows that `ended_last_touches` names (runs before the batch's rows are written). */
export const endLastTouchesSql = `UPDATE deal_last_touches SET known_to = e.known_to
FROM (SELECT deal_id, min(known_to) AS known_to FROM ended_last_touches GROUP BY deal_id) e
WHERE deal_last_touches.deal_id = e.deal_id AND deal_last_touches.known_to IS NULL`;

/** Changes to the latest-touch table in one batch: new rows (the open one by deal), and ends of earlier rows. */
export interface DealLastTouchChanges {
  readonly inserted: (string | number | null)[][];
  readonly openByDeal: Map<string, (string | number | null)[]>;
  readonly ended: Row[];
}

/** An empty batch of latest-touch changes. */
export function noLastTouchChanges(): DealLastTouchChanges {
  return { inserted: [], openByDeal: new Map(), ended: [] };
}

/**
 * Keeps the latest-touch table in step with the graph, event by event: a logged interaction on a deal at position p
 * is the deal's latest touch when it is the last of the deal's interactions known at p (the graph keeps them in
 * (business time, position) order). It holds nothing between events beyond the batch's rows.
 */
export function applyLastTouch(state: GraphState, event: RecordedEvent, changes: DealLastTouchChanges): void {
  if (event.type !== "InteractionLogged") return;
  const dealId = dealIdOf(event.data);
  if (dealId === undefined) return;
  const touches = state.deals[dealId]?.interactions;
  if (!touches) return;
  const position = event.globalPosition;
  const latest = touches.findLast((touch) => touch.pos <= position);
  if (latest?.pos !== position) return;
  const open = changes.openByDeal.get(dealId);
  if (open) open[KNOWN_TO] = position;
  else changes.ended.push([dealId, position]);
  const row = [dealId, latest.at, latest.eventId, position, null];
  changes.inserted.push(row);
  changes.openByDeal.set(dealId, row);
}
