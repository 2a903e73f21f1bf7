import { DuckDBInstance } from "@duckdb/node-api";
import { factTableNames } from "@revgraph/read-model";

/** Every fact table whose rows a build must reproduce exactly, and the stored position. */
export const factTables = [...factTableNames, "read_model_position"];

/** Every row of every fact table, and the stored position, as text (the file must be closed by its writer). */
export async function factContents(path: string): Promise<Record<string, string>> {
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  const result: Record<string, string> = {};
  const queries = {
    ...Object.fromEntries(factTables.map((table) => [table, `SELECT * FROM ${table} ORDER BY ALL`])),
    // The record log keeps one row per record time and transaction: what it answers is the last position per time.
    record_log: "SELECT recorded_at, max(position) FROM record_log GROUP BY recorded_at ORDER BY ALL",
    // deal_current holds exactly the versions open in both times.
    open_versions: "SELECT * FROM deal_versions WHERE valid_to IS NULL AND known_to IS NULL ORDER BY ALL",
  };
  for (const [table, sql] of Object.entries(queries))
    result[table] = JSON.stringify((await connection.runAndReadAll(sql)).getRowObjectsJson());
  connection.closeSync();
  instance.closeSync();
  return result;
}
