import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { defaultConfig } from "@revgraph/domain";
import {
  DEFAULT_CATCH_UP_MEMORY_LIMIT,
  DEFAULT_MEMORY_LIMIT,
  FactStore,
  memoryLimit,
  setMemoryLimit,
} from "@revgraph/read-model";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "revgraph-fact-memory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** DuckDB's memory limit as the store's connections see it. */
const limitOf = (facts: FactStore) => memoryLimit(facts.reader);

/** A size as DuckDB prints it back once set ("2GB" reads "1.8 GiB"); without one, DuckDB's own limit. */
async function printed(size?: string): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  if (size) await setMemoryLimit(connection, size);
  const limit = await memoryLimit(connection);
  connection.closeSync();
  instance.closeSync();
  return limit;
}

describe("a fact store's DuckDB memory limits", () => {
  it("serves under its limit, catches up under the catch-up limit, and serves under its limit again after", async () => {
    const facts = await FactStore.open({
      path: join(dir, "set.duckdb"),
      config: defaultConfig,
      memoryLimit: "300MB",
      catchUpMemoryLimit: "700MB",
    });
    try {
      expect(await limitOf(facts)).toBe(await printed("300MB"));
      await facts.beginCatchUp();
      expect(await limitOf(facts)).toBe(await printed("700MB"));
      await facts.endCatchUp();
      expect(await limitOf(facts)).toBe(await printed("300MB"));
    } finally {
      facts.close();
    }
  });

  it("defaults to the documented limits for a file, neither of them DuckDB's own (80% of the machine's memory)", async () => {
    const facts = await FactStore.open({ path: join(dir, "default.duckdb"), config: defaultConfig });
    try {
      const serving = await limitOf(facts);
      expect(serving).toBe(await printed(DEFAULT_MEMORY_LIMIT));
      await facts.beginCatchUp();
      const catchingUp = await limitOf(facts);
      expect(catchingUp).toBe(await printed(DEFAULT_CATCH_UP_MEMORY_LIMIT));
      expect([serving, catchingUp]).not.toContain(await printed());
      await facts.endCatchUp();
    } finally {
      facts.close();
    }
  });
});
