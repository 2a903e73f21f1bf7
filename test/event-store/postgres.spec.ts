import { randomUUID } from "node:crypto";
import { collectEvents, StoreMissingError, verifyLog } from "@revgraph/event-store";
import { amountChanged, describeEventStoreConformance } from "@revgraph/event-store/conformance";
import { openPostgresEventStore } from "@revgraph/event-store/postgres";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";

describeEventStoreConformance("postgres", () => {
  const connectionString = inject("postgresUrl");
  const table = `events_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const open = () => openPostgresEventStore({ connectionString, table, poolSize: 4 });
  const sql = async (text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  return {
    open,
    connect: open,
    reopen: open,
    tamper: (position) =>
      sql(`UPDATE ${table} SET envelope = jsonb_set(envelope, '{data,amount}', '424242') WHERE position = $1`, [position]),
    dispose: () => sql(`DROP TABLE IF EXISTS ${table}; DROP TABLE IF EXISTS ${table}_head`),
  };
});

describe("PostgreSQL store: missing tables, tables made before the log chain", () => {
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: inject("postgresUrl") });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };

  it("with mustExist, refuses a missing table and creates nothing", async () => {
    const connectionString = inject("postgresUrl");
    const table = `events_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await expect(openPostgresEventStore({ connectionString, table, mustExist: true })).rejects.toThrow(StoreMissingError);
    await expect(openPostgresEventStore({ connectionString, table, mustExist: true })).rejects.toThrow(
      new RegExp(`^no revgraph store at .*\\(table ${table}\\)$`),
    );
  });

  it("migrates a table made before the log chain on open: the same log hashes as a table that always had them", async () => {
    const connectionString = inject("postgresUrl");
    const table = `events_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    try {
      const store = await openPostgresEventStore({ connectionString, table, poolSize: 2 });
      for (let index = 0; index < 30; index++) await store.append(`deal-${index % 4}`, [amountChanged(String(index % 4), index)]);
      const digest = await store.digest();
      const events = await collectEvents(store.readAll());
      await store.close();
      await sql(`DROP TABLE ${table}_head; ALTER TABLE ${table} DROP COLUMN log_hash`);
      const migrated = await openPostgresEventStore({ connectionString, table, poolSize: 2 });
      try {
        expect(await migrated.digest()).toEqual(digest);
        expect(await collectEvents(migrated.readAll())).toEqual(events);
        expect((await verifyLog(migrated.readRows(), { head: digest })).findings).toEqual([]);
      } finally {
        await migrated.close();
      }
    } finally {
      await sql(`DROP TABLE IF EXISTS ${table}; DROP TABLE IF EXISTS ${table}_head`);
    }
  });
});
