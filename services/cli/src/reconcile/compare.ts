import type { DealRecord, RejectedRow } from "./source.ts";

/** A deal field reconcile compares; `presence` when the deal is on one side only. */
export type DealField = "presence" | Exclude<keyof DealRecord, "dealId">;

/** One field of one deal that differs between the source and the store. */
export interface DealDifference {
  readonly dealId: string;
  readonly field: DealField;
  readonly source: string | number | null;
  readonly store: string | number | null;
}

/** One aggregate figure on both sides: deals per stage, amount per currency, wins or losses per quarter. */
export interface AggregateRow {
  readonly measure: "deals in stage" | "amount in currency" | "won in quarter" | "lost in quarter";
  readonly key: string;
  readonly source: number;
  readonly store: number;
  readonly matches: boolean;
}

/** Rows of one deal (or rows without a deal id) the import rejected: listed apart, never counted as differences. */
export interface RejectedDeal {
  readonly dealId: string | null;
  readonly rows: readonly number[];
  readonly reasons: readonly string[];
}

/** What reconcile found: faithful when no deal field and no aggregate differs. */
export interface ReconcileReport {
  readonly faithful: boolean;
  readonly deals: { readonly source: number; readonly store: number; readonly compared: number; readonly rejected: number };
  readonly differences: readonly DealDifference[];
  readonly aggregates: readonly AggregateRow[];
  readonly rejected: readonly RejectedDeal[];
}

const compared: readonly Exclude<DealField, "presence">[] = [
  "stage",
  "status",
  "amount",
  "currency",
  "expectedCloseDate",
  "createdDate",
  "closedDate",
  "changes",
];

/** Amounts are equal when they agree to the cent. */
function same(field: DealField, a: DealRecord[keyof DealRecord], b: DealRecord[keyof DealRecord]): boolean {
  if (field === "amount") return Math.abs(Number(a) - Number(b)) < 0.005;
  return a === b;
}

function quarterOf(date: string): string {
  return `${date.slice(0, 4)}-Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;
}

/** Per-key totals of the deals on one side. */
function totals(deals: readonly DealRecord[]): Map<string, number> {
  const result = new Map<string, number>();
  const add = (key: string, value: number) => result.set(key, (result.get(key) ?? 0) + value);
  for (const deal of deals) {
    add(`deals in stage|${deal.stage}`, 1);
    add(`amount in currency|${deal.currency}`, deal.amount);
    if (deal.status !== "open" && deal.closedDate) add(`${deal.status} in quarter|${quarterOf(deal.closedDate)}`, 1);
  }
  return result;
}

function aggregates(source: readonly DealRecord[], store: readonly DealRecord[]): AggregateRow[] {
  const left = totals(source);
  const right = totals(store);
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
  return keys.map((composite) => {
    const [measure, key] = composite.split("|") as [AggregateRow["measure"], string];
    const sourceValue = Math.round((left.get(composite) ?? 0) * 100) / 100;
    const storeValue = Math.round((right.get(composite) ?? 0) * 100) / 100;
    return { measure, key, source: sourceValue, store: storeValue, matches: Math.abs(sourceValue - storeValue) < 0.005 };
  });
}

function rejectedDeals(rows: readonly RejectedRow[]): RejectedDeal[] {
  const byDeal = new Map<string | null, { rows: number[]; reasons: string[] }>();
  for (const row of rows) {
    const entry = byDeal.get(row.dealId) ?? { rows: [], reasons: [] };
    entry.rows.push(row.row);
    entry.reasons.push(`row ${row.row}, column ${row.column}: ${row.reason}`);
    byDeal.set(row.dealId, entry);
  }
  return [...byDeal].map(([dealId, entry]) => ({ dealId, rows: entry.rows, reasons: entry.reasons }));
}

/**
 * Compares the deals a source export describes with the deals the store holds from it. Deals the import rejected are
 * left out of both sides and listed apart; `storeOnly` are deals the store has from this file that the source lacks.
 */
export function reconcileDeals(
  source: readonly DealRecord[],
  store: ReadonlyMap<string, DealRecord>,
  storeOnly: readonly DealRecord[],
  rejectedRows: readonly RejectedRow[],
): ReconcileReport {
  const rejected = rejectedDeals(rejectedRows);
  const rejectedIds = new Set(rejected.flatMap((entry) => (entry.dealId === null ? [] : [entry.dealId])));
  const kept = source.filter((deal) => !rejectedIds.has(deal.dealId));
  const differences: DealDifference[] = [];
  const stored: DealRecord[] = [];
  for (const deal of kept) {
    const held = store.get(deal.dealId);
    if (!held) {
      differences.push({ dealId: deal.dealId, field: "presence", source: "present", store: "missing" });
      continue;
    }
    stored.push(held);
    for (const field of compared)
      if (!same(field, deal[field], held[field]))
        differences.push({ dealId: deal.dealId, field, source: deal[field], store: held[field] });
  }
  for (const deal of storeOnly) {
    if (rejectedIds.has(deal.dealId)) continue;
    stored.push(deal);
    differences.push({ dealId: deal.dealId, field: "presence", source: "missing", store: "present" });
  }
  const figures = aggregates(kept, stored);
  return {
    faithful: differences.length === 0 && figures.every((row) => row.matches),
    deals: {
      source: kept.length,
      store: stored.length,
      compared: kept.length - differences.filter((entry) => entry.field === "presence" && entry.store === "missing").length,
      rejected: rejectedIds.size,
    },
    differences,
    aggregates: figures,
    rejected,
  };
}
