import { randomUUID } from "node:crypto";
import { describeEventStoreConformance } from "@revgraph/event-store/conformance";
import { openPostgresEventStore } from "@revgraph/event-store/postgres";
import pg from "pg";
import { inject } from "vitest";

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
    dispose: () => sql(`DROP TABLE IF EXISTS ${table}`),
  };
});
