import type { DuckDBConnection } from "@duckdb/node-api";
import { memoryLimit, setMemoryLimit } from "../facts/fact-store.ts";

/** Rows of a query as plain objects. */
export type QueryRows = Record<string, unknown>[];

/** True for DuckDB's refusal of a query that does not fit in its memory limit (the addon's errors may come from another realm). */
const outOfMemory = (error: unknown) =>
  typeof error === "object" && error !== null && "message" in error && String(error.message).startsWith("Out of Memory Error");

/**
 * Runs a read-only KPI query. The fact store serves under a memory limit (`DEFAULT_MEMORY_LIMIT`) that values-only
 * questions fit in; one that lists every event id of large groups may not (at 100k deals, the engagement KPIs by team
 * with their event ids need about 2 GB). DuckDB refuses such a query before it answers anything: it runs once more
 * under DuckDB's own limit (80% of the machine's memory), and the serving limit is put back after it.
 */
export async function readRows(connection: DuckDBConnection, sql: string): Promise<QueryRows> {
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } catch (error) {
    if (!outOfMemory(error)) throw error;
    const serving = await memoryLimit(connection);
    // RESET names DuckDB's own limit but does not apply it (DuckDB 1.5): it is read, then set.
    await connection.run("RESET memory_limit");
    await setMemoryLimit(connection, await memoryLimit(connection));
    try {
      return (await connection.runAndReadAll(sql)).getRowObjectsJS();
    } finally {
      await setMemoryLimit(connection, serving);
    }
  }
}
