import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { amountChanged, describeEventStoreConformance } from "@revgraph/event-store/conformance";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { describe, expect, it } from "vitest";

describeEventStoreConformance("sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "revgraph-sqlite-"));
  const path = join(dir, "events.db");
  return {
    async open() {
      return openSqliteEventStore({ path, durability: "normal" });
    },
    async connect() {
      return openSqliteEventStore({ path, durability: "normal" });
    },
    async reopen() {
      return openSqliteEventStore({ path });
    },
    async tamper(position) {
      const db = new DatabaseSync(path);
      db.prepare("UPDATE events SET envelope = json_set(envelope, '$.data.amount', 424242) WHERE position = ?").run(position);
      db.close();
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("embedded SQLite store, bulk writer", () => {
  it("with a raised WAL checkpoint threshold, keeps batches in the WAL and checkpoints them on close", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-sqlite-bulk-"));
    const path = join(dir, "events.db");
    const server = openSqliteEventStore({ path });
    const bulk = openSqliteEventStore({ path, walAutocheckpointPages: 50_000 });
    try {
      await bulk.appendMany(
        Array.from({ length: 600 }, (_, deal) => ({
          streamId: `deal-${deal}`,
          events: Array.from({ length: 10 }, (_, step) => amountChanged(String(deal), step + 1)),
        })),
      );
      const walBefore = statSync(`${path}-wal`).size;
      const databaseBefore = statSync(path).size;
      expect(walBefore).toBeGreaterThan(databaseBefore);
      await bulk.close();
      expect(statSync(path).size).toBeGreaterThan(databaseBefore + walBefore / 4);
      expect(await server.headPosition()).toBe(6_000);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
