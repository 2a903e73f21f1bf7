import type { DealSummary } from "./deal-summary.ts";

/**
 * Where the projector writes: versioned `deal_summary_v<N>` tables, a checkpoint per version written in the same
 * transaction as the rows, and a `deal_summary` view over the active version (blue/green: build N+1 beside N, then
 * switch the view in one transaction).
 */
export interface ReadModelSink {
  readonly kind: "sqlite" | "postgres";
  /** Creates the version's table and the bookkeeping tables if missing. */
  prepare(version: number): Promise<void>;
  /** Global position of the last event this version has applied (0 = none). */
  checkpoint(version: number): Promise<number>;
  /** Every version that has a checkpoint, with it, in version order. */
  versions(): Promise<{ version: number; checkpoint: number }[]>;
  /** The stored rows of these deals. */
  loadRows(version: number, dealIds: readonly string[]): Promise<Map<string, DealSummary>>;
  /** Writes the rows and moves the checkpoint to `position`, in one transaction: both land or neither does. */
  commit(version: number, rows: readonly DealSummary[], position: number): Promise<void>;
  /** The version the `deal_summary` view serves, or null before the first switch. */
  activeVersion(): Promise<number | null>;
  /** Points the `deal_summary` view at this version (one transaction). */
  activate(version: number): Promise<void>;
  /** Every row of a version, ordered by deal id (for verification and tests). */
  dump(version: number): Promise<DealSummary[]>;
  close(): Promise<void>;
}

/** The read model's name: its view, and its rows in the checkpoint and active-version tables. */
export const PROJECTION = "deal_summary";

/** Column order shared by the SQLite and PostgreSQL sinks. */
export const dealSummaryColumns = [
  "deal_id",
  "name",
  "account_id",
  "owner_rep_id",
  "stage",
  "status",
  "amount",
  "currency",
  "expected_close_date",
  "product",
  "created_at",
  "closed_at",
  "loss_reason",
  "pushes",
  "engaged_contacts",
  "interactions",
  "last_interaction_at",
  "last_position",
  "detail",
] as const;

/** A row's column values in {@link dealSummaryColumns} order; `detail` keeps what has no column of its own. */
export function toColumnValues(row: DealSummary): (string | number | null)[] {
  return [
    row.dealId,
    row.name,
    row.accountId,
    row.ownerRepId,
    row.stage,
    row.status,
    row.amount,
    row.currency,
    row.expectedCloseDate,
    row.product,
    row.createdAt,
    row.closedAt,
    row.lossReason,
    row.pushes,
    row.engagedContacts.length,
    row.interactions,
    row.lastInteractionAt,
    row.lastPosition,
    JSON.stringify({ engagedContacts: row.engagedContacts, stageAt: row.stageAt }),
  ];
}

/** A stored record back into a row. */
export function fromRecord(record: Record<string, unknown>): DealSummary {
  const detail = (typeof record.detail === "string" ? JSON.parse(record.detail) : record.detail) as {
    engagedContacts: string[];
    stageAt: string;
  };
  const text = (key: string) => (record[key] === null ? null : String(record[key]));
  return {
    dealId: String(record.deal_id),
    name: String(record.name),
    accountId: String(record.account_id),
    ownerRepId: String(record.owner_rep_id),
    stage: String(record.stage),
    status: String(record.status) as DealSummary["status"],
    amount: Number(record.amount),
    currency: String(record.currency),
    expectedCloseDate: String(record.expected_close_date),
    product: text("product"),
    createdAt: String(record.created_at),
    closedAt: text("closed_at"),
    lossReason: text("loss_reason"),
    pushes: Number(record.pushes),
    engagedContacts: detail.engagedContacts,
    interactions: Number(record.interactions),
    lastInteractionAt: text("last_interaction_at"),
    stageAt: detail.stageAt,
    lastPosition: Number(record.last_position),
  };
}

/** The table of a read-model version; versions are positive integers, so the name is safe to interpolate. */
export function versionTable(version: number): string {
  if (!Number.isSafeInteger(version) || version < 1)
    throw new RangeError(`read-model version must be a positive integer, got ${version}`);
  return `deal_summary_v${version}`;
}

/** Column types per dialect, in {@link dealSummaryColumns} order. */
export function columnDefinitions(dialect: "sqlite" | "postgres"): string {
  const numeric = dialect === "postgres" ? "NUMERIC" : "REAL";
  const json = dialect === "postgres" ? "JSONB" : "TEXT";
  const types: Record<(typeof dealSummaryColumns)[number], string> = {
    deal_id: "TEXT PRIMARY KEY",
    name: "TEXT NOT NULL",
    account_id: "TEXT NOT NULL",
    owner_rep_id: "TEXT NOT NULL",
    stage: "TEXT NOT NULL",
    status: "TEXT NOT NULL",
    amount: `${numeric} NOT NULL`,
    currency: "TEXT NOT NULL",
    expected_close_date: "TEXT NOT NULL",
    product: "TEXT",
    created_at: "TEXT NOT NULL",
    closed_at: "TEXT",
    loss_reason: "TEXT",
    pushes: "INTEGER NOT NULL",
    engaged_contacts: "INTEGER NOT NULL",
    interactions: "INTEGER NOT NULL",
    last_interaction_at: "TEXT",
    last_position: "BIGINT NOT NULL",
    detail: `${json} NOT NULL`,
  };
  return dealSummaryColumns.map((column) => `${column} ${types[column]}`).join(", ");
}
