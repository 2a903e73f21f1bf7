import pg from "pg";
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

/** Read models in PostgreSQL, shared by every API instance and any SQL consumer. */
export async function openPostgresSink(connectionString: string): Promise<ReadModelSink> {
  const pool = new pg.Pool({ connectionString, max: 4 });
  await pool.query(`CREATE TABLE IF NOT EXISTS projector_checkpoints (
      projection TEXT NOT NULL, version INTEGER NOT NULL, position BIGINT NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (projection, version));
    CREATE TABLE IF NOT EXISTS projector_active (projection TEXT PRIMARY KEY, version INTEGER NOT NULL);`);
  const transaction = async (work: (client: pg.PoolClient) => Promise<void>) => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await work(client);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  };
  const updates = dealSummaryColumns
    .filter((column) => column !== "deal_id")
    .map((column) => `${column} = EXCLUDED.${column}`)
    .join(", ");
  return {
    kind: "postgres",
    async prepare(version) {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${versionTable(version)} (${columnDefinitions("postgres")})`);
    },
    async checkpoint(version) {
      const { rows } = await pool.query<{ position: string }>(
        "SELECT position FROM projector_checkpoints WHERE projection = $1 AND version = $2",
        [PROJECTION, version],
      );
      return Number(rows[0]?.position ?? 0);
    },
    async versions() {
      const { rows } = await pool.query<{ version: number; position: string }>(
        "SELECT version, position FROM projector_checkpoints WHERE projection = $1 ORDER BY version",
        [PROJECTION],
      );
      return rows.map((row) => ({ version: Number(row.version), checkpoint: Number(row.position) }));
    },
    async loadRows(version, dealIds) {
      const { rows } = await pool.query(`SELECT * FROM ${versionTable(version)} WHERE deal_id = ANY($1)`, [dealIds]);
      return new Map<string, DealSummary>(rows.map((record) => [String(record.deal_id), fromRecord(record)]));
    },
    async commit(version, rows, position) {
      const table = versionTable(version);
      await transaction(async (client) => {
        const width = dealSummaryColumns.length;
        for (let start = 0; start < rows.length; start += 500) {
          const chunk = rows.slice(start, start + 500);
          const placeholders = chunk.map(
            (_, row) => `(${dealSummaryColumns.map((__, column) => `$${row * width + column + 1}`).join(", ")})`,
          );
          await client.query(
            `INSERT INTO ${table} (${dealSummaryColumns.join(", ")}) VALUES ${placeholders.join(", ")} ON CONFLICT (deal_id) DO UPDATE SET ${updates}`,
            chunk.flatMap(toColumnValues),
          );
        }
        await client.query(
          `INSERT INTO projector_checkpoints (projection, version, position, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (projection, version) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at`,
          [PROJECTION, version, position],
        );
      });
    },
    async activeVersion() {
      const { rows } = await pool.query<{ version: number }>("SELECT version FROM projector_active WHERE projection = $1", [
        PROJECTION,
      ]);
      return rows[0]?.version ?? null;
    },
    async activate(version) {
      const table = versionTable(version);
      await transaction(async (client) => {
        await client.query(`DROP VIEW IF EXISTS ${PROJECTION}`);
        await client.query(`CREATE VIEW ${PROJECTION} AS SELECT * FROM ${table}`);
        await client.query(
          "INSERT INTO projector_active (projection, version) VALUES ($1, $2) ON CONFLICT (projection) DO UPDATE SET version = EXCLUDED.version",
          [PROJECTION, version],
        );
      });
    },
    async dump(version) {
      const { rows } = await pool.query(`SELECT * FROM ${versionTable(version)} ORDER BY deal_id`);
      return rows.map(fromRecord);
    },
    async close() {
      await pool.end();
    },
  };
}
