import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { collectEvents, StorageFaultError, StoreMissingError, verifyLog } from "@revgraph/event-store";
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

describe("embedded SQLite store: faults, missing stores, stores made before the log chain", () => {
  const temp = () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-sqlite-faults-"));
    return { path: join(dir, "events.db"), dispose: () => rmSync(dir, { recursive: true, force: true }) };
  };

  it("on a full disk, fails the whole append naming the path, keeps what was committed, and closes without throwing", async () => {
    const { path, dispose } = temp();
    const store = openSqliteEventStore({ path, maxPageCount: 40 });
    try {
      await store.append("deal-small", [amountChanged("small", 1)]);
      const before = await store.digest();
      const big = Array.from({ length: 2_000 }, (_, index) => amountChanged("big", index));
      const failed = store.append("deal-big", big);
      await expect(failed).rejects.toBeInstanceOf(StorageFaultError);
      await expect(failed).rejects.toThrow(`storage fault at ${path}: disk full`);
      expect(await store.digest()).toEqual(before);
      expect(await store.streamRevision("deal-big")).toBe(-1);
      expect((await verifyLog(store.readRows(), { head: before })).findings).toEqual([]);
    } finally {
      await expect(store.close()).resolves.toBeUndefined();
      dispose();
    }
  });

  it("with mustExist, refuses a missing file or one without a store, and creates nothing", () => {
    const { path, dispose } = temp();
    try {
      expect(() => openSqliteEventStore({ path, mustExist: true })).toThrow(StoreMissingError);
      expect(() => openSqliteEventStore({ path, mustExist: true })).toThrow(`no revgraph store at ${path}`);
      new DatabaseSync(path).close();
      expect(() => openSqliteEventStore({ path, mustExist: true })).toThrow(StoreMissingError);
    } finally {
      dispose();
    }
  });

  it("migrates a store made before the log chain on open: the same log hashes as a store that always had them", async () => {
    const { path, dispose } = temp();
    try {
      const store = openSqliteEventStore({ path });
      for (let index = 0; index < 30; index++) await store.append(`deal-${index % 4}`, [amountChanged(String(index % 4), index)]);
      const digest = await store.digest();
      const events = await collectEvents(store.readAll());
      await store.close();
      const db = new DatabaseSync(path);
      db.exec("DROP TABLE log_head; ALTER TABLE events DROP COLUMN log_hash");
      db.close();
      const migrated = openSqliteEventStore({ path });
      try {
        expect(await migrated.digest()).toEqual(digest);
        expect(await collectEvents(migrated.readAll())).toEqual(events);
        expect((await verifyLog(migrated.readRows(), { head: digest })).findings).toEqual([]);
        await migrated.append("deal-0", [amountChanged("0", 99)]);
        expect((await verifyLog(migrated.readRows(), { head: await migrated.digest() })).ok).toBe(true);
      } finally {
        await migrated.close();
      }
    } finally {
      dispose();
    }
  });
});
