import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { memoryLimit, setMemoryLimit } from "../facts/fact-store.ts";
import { readRows } from "./read-rows.ts";

// Needs more than the 32 MB limit below: a list of two million numbers, built in one aggregate.
const large = "SELECT len(list(range)) AS n FROM range(2000000)";

describe("readRows", () => {
  it("answers a query DuckDB refuses under the serving memory limit, and puts the limit back", async () => {
    const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
    const connection = await instance.connect();
    await setMemoryLimit(connection, "32MB");
    const serving = await memoryLimit(connection);
    await expect(connection.runAndReadAll(large)).rejects.toThrow(/^Out of Memory Error/);
    expect(await readRows(connection, large)).toEqual([{ n: 2_000_000n }]);
    expect(await memoryLimit(connection)).toBe(serving);
    await expect(readRows(connection, "SELECT * FROM no_such_table")).rejects.toThrow(/no_such_table/);
    connection.closeSync();
    instance.closeSync();
  });
});
