import { DatabaseSync } from "node:sqlite";
import type { DealSummary } from "./deal-summary.ts";
import {
  columnDefinitions,
  dealSummaryColumns,
  fromRecord,
  PROJECTION,
  type ReadModelSink,
  toColumnValues,
  versionTable,
} from "./sink.ts";

/** Read models in an SQLite file (WAL, so readers are never blocked by the projector's transactions). */
export function openSqliteSink(path: string): ReadModelSink {
  const db = new DatabaseSync(path, { timeout: 10_000 });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
  db.exec(`CREATE TABLE IF NOT EXISTS projector_checkpoints (
      projection TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL, updated_at TEXT NOT NULL,
      PRIMARY KEY (projection, version));
    CREATE TABLE IF NOT EXISTS projector_active (projection TEXT PRIMARY KEY, version INTEGER NOT NULL);`);
  const transaction = <T>(work: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  };
  return {
    kind: "sqlite",
    async prepare(version) {
      db.exec(`CREATE TABLE IF NOT EXISTS ${versionTable(version)} (${columnDefinitions("sqlite")})`);
    },
    async checkpoint(version) {
      const row = db
        .prepare("SELECT position FROM projector_checkpoints WHERE projection = ? AND version = ?")
        .get(PROJECTION, version) as { position: number } | undefined;
      return row?.position ?? 0;
    },
    async versions() {
      return db
        .prepare("SELECT version, position FROM projector_checkpoints WHERE projection = ? ORDER BY version")
        .all(PROJECTION)
        .map((row) => ({ version: Number(row.version), checkpoint: Number(row.position) }));
    },
    async loadRows(version, dealIds) {
      const rows = new Map<string, DealSummary>();
      const select = db.prepare(`SELECT * FROM ${versionTable(version)} WHERE deal_id = ?`);
      for (const dealId of dealIds) {
        const record = select.get(dealId);
        if (record) rows.set(dealId, fromRecord(record));
      }
      return rows;
    },
    async commit(version, rows, position) {
      const upsert = db.prepare(
        `INSERT OR REPLACE INTO ${versionTable(version)} (${dealSummaryColumns.join(", ")}) VALUES (${dealSummaryColumns.map(() => "?").join(", ")})`,
      );
      const checkpoint = db.prepare(
        "INSERT OR REPLACE INTO projector_checkpoints (projection, version, position, updated_at) VALUES (?, ?, ?, ?)",
      );
      transaction(() => {
        for (const row of rows) upsert.run(...toColumnValues(row));
        checkpoint.run(PROJECTION, version, position, new Date().toISOString());
      });
    },
    async activeVersion() {
      const row = db.prepare("SELECT version FROM projector_active WHERE projection = ?").get(PROJECTION) as
        | { version: number }
        | undefined;
      return row?.version ?? null;
    },
    async activate(version) {
      const table = versionTable(version);
      transaction(() => {
        db.exec(`DROP VIEW IF EXISTS ${PROJECTION}; CREATE VIEW ${PROJECTION} AS SELECT * FROM ${table};`);
        db.prepare("INSERT OR REPLACE INTO projector_active (projection, version) VALUES (?, ?)").run(PROJECTION, version);
      });
    },
    async dump(version) {
      return db
        .prepare(`SELECT * FROM ${versionTable(version)} ORDER BY deal_id`)
        .all()
        .map(fromRecord);
    },
    async close() {
      db.close();
    },
  };
}
