import type { Column, Row } from "./columns.ts";

/**
 * A deal's list of rows derived from its facts (`deal_stays`, `deal_close_history`): columns `deal_id`, then `ord`
 * (1, 2, … in the list), …, `known_from` and `known_to` last, the record interval of log positions over which the row
 * is known. An event that changes the list ends the rows from the first that differs and adds their successors; no
 * row is rewritten in place. A row is a mutable array while its batch is open: its `known_to` may still be set.
 */
type ListRow = (string | number | null)[];

/** Changes to a table of deal row lists in one batch: new rows (open ones by deal, to end in the batch), ends of earlier rows. */
export interface DealRowListChanges {
  readonly inserted: ListRow[];
  readonly openByDeal: Map<string, ListRow[]>;
  readonly ended: Row[];
}

/** An empty batch of changes. */
export function noDealRowListChanges(): DealRowListChanges {
  return { inserted: [], openByDeal: new Map(), ended: [] };
}

/** Rows of a deal's list written earlier whose record interval ends: those of `ord` at or after `from_ord` still open. */
export const endedDealRowListColumns: readonly Column[] = [
  { name: "deal_id", type: "VARCHAR" },
  { name: "from_ord", type: "INTEGER" },
  { name: "known_to", type: "BIGINT" },
];

/**
 * Ends the record interval of the rows of `table` written earlier that `endedTable` names: each at the first position
 * that ended it (several events of one batch may end the same rows). Runs before the batch's new rows are written.
 */
export const endDealRowListSql = (table: string, endedTable: string) => `UPDATE ${table} SET known_to = e.known_to
FROM (
  SELECT r.deal_id, r.ord, min(e.known_to) AS known_to FROM ${table} r
  JOIN ${endedTable} e ON e.deal_id = r.deal_id AND r.ord >= e.from_ord
  WHERE r.known_to IS NULL GROUP BY r.deal_id, r.ord) e
WHERE ${table}.deal_id = e.deal_id AND ${table}.ord = e.ord AND ${table}.known_to IS NULL`;

const ORD = 1;

/** How many leading entries two lists share (by `same`). */
export function sharedPrefix<T>(before: readonly T[], after: readonly T[], same: (a: T, b: T) => boolean): number {
  let shared = 0;
  while (shared < before.length && shared < after.length && same(before[shared] as T, after[shared] as T)) shared++;
  return shared;
}

/**
 * Replaces a deal's rows from `ord` `fromOrd` on at `position`: the open rows of this batch end at once, those written
 * earlier on flush; `rows` (the successors, `ord` from `fromOrd`) are added.
 */
export function replaceDealRowsFrom(
  changes: DealRowListChanges,
  dealId: string,
  fromOrd: number,
  position: number,
  rows: readonly ListRow[],
): void {
  const open = (changes.openByDeal.get(dealId) ?? []).filter((row) => {
    if (Number(row[ORD]) < fromOrd) return true;
    row[row.length - 1] = position;
    return false;
  });
  changes.ended.push([dealId, fromOrd, position]);
  for (const row of rows) {
    changes.inserted.push(row);
    open.push(row);
  }
  changes.openByDeal.set(dealId, open);
}
