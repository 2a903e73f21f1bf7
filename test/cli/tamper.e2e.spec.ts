import { randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { hashEnvelope } from "@revgraph/event-store";
import type { RecordedEvent } from "@revgraph/events";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "../support/postgres-database.ts";
import { revgraph, workspace } from "./cli-harness.ts";

/** One stored row's indexed columns, to pick what to tamper with. */
interface Row {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
}

/** SQL access to one copy of a store, SQLite file or PostgreSQL database, the same for every case. */
interface Storage {
  readonly dialect: "sqlite" | "postgres";
  readonly table: string;
  /** The one-row table holding the head the last append left. */
  readonly headTable: string;
  run(sql: string, params?: (string | number)[]): Promise<void>;
  rows(): Promise<Row[]>;
  envelope(position: number): Promise<RecordedEvent>;
  /** CLI arguments that point revgraph at this copy. */
  readonly args: readonly string[];
  dispose(): Promise<void>;
}

/** Where a case must be named in `verify`'s output. */
interface Expected {
  readonly position: number;
  readonly eventId?: string;
  readonly text: RegExp;
}

interface TamperCase {
  readonly name: string;
  readonly only?: Storage["dialect"];
  apply(storage: Storage, rows: readonly Row[]): Promise<Expected[]>;
}

const at = (rows: readonly Row[], position: number) => rows[position - 1] as Row;
const middle = 120;

/** A `DealWon` that is the last event of its stream but not the last row of the log. */
function lastWonOfAStream(rows: readonly Row[]): Row {
  const lastOfStream = new Map<string, Row>();
  for (const row of rows) lastOfStream.set(row.streamId, row);
  const won = rows.find((row) => row.type === "DealWon" && lastOfStream.get(row.streamId) === row && row.position < rows.length);
  if (!won) throw new Error("the seeded store has no DealWon closing its stream");
  return won;
}

const cases: readonly TamperCase[] = [
  {
    name: "a field of an envelope edited",
    async apply(storage, rows) {
      await storage.run(
        storage.dialect === "sqlite"
          ? `UPDATE ${storage.table} SET envelope = json_set(envelope, '$.actor', 'mallory') WHERE position = ${middle}`
          : `UPDATE ${storage.table} SET envelope = jsonb_set(envelope, '{actor}', '"mallory"') WHERE position = ${middle}`,
      );
      return [{ position: middle, eventId: at(rows, middle).eventId, text: /content hash mismatch/ }];
    },
  },
  {
    name: "the envelopes of two rows swapped",
    async apply(storage, rows) {
      const other = middle + 200;
      const [first, second] = [await storage.envelope(middle), await storage.envelope(other)];
      await storage.run(`UPDATE ${storage.table} SET envelope = $1 WHERE position = ${middle}`, [JSON.stringify(second)]);
      await storage.run(`UPDATE ${storage.table} SET envelope = $1 WHERE position = ${other}`, [JSON.stringify(first)]);
      return [
        { position: middle, eventId: at(rows, other).eventId, text: /column position is \d+ but the envelope says \d+/ },
        { position: other, eventId: at(rows, middle).eventId, text: /column position is \d+ but the envelope says \d+/ },
      ];
    },
  },
  {
    name: "the last event of a stream (a DealWon) deleted",
    async apply(storage, rows) {
      const won = lastWonOfAStream(rows);
      await storage.run(`DELETE FROM ${storage.table} WHERE position = ${won.position}`);
      return [{ position: won.position + 1, text: new RegExp(`position ${won.position} is missing`) }];
    },
  },
  {
    name: "the last row of the log deleted",
    async apply(storage, rows) {
      await storage.run(`DELETE FROM ${storage.table} WHERE position = ${rows.length}`);
      return [{ position: rows.length, text: /head record/ }];
    },
  },
  {
    name: "the event_id column changed",
    async apply(storage, rows) {
      await storage.run(
        `UPDATE ${storage.table} SET event_id = '00000000-0000-4000-8000-00000000beef' WHERE position = ${middle}`,
      );
      return [
        {
          position: middle,
          eventId: at(rows, middle).eventId,
          text: /column event_id is "00000000-0000-4000-8000-00000000beef"/,
        },
      ];
    },
  },
  {
    name: "the stream_id column changed",
    async apply(storage, rows) {
      await storage.run(`UPDATE ${storage.table} SET stream_id = 'deal-elsewhere' WHERE position = ${middle}`);
      return [{ position: middle, eventId: at(rows, middle).eventId, text: /column stream_id is "deal-elsewhere"/ }];
    },
  },
  {
    name: "the hash column flipped",
    async apply(storage, rows) {
      await storage.run(
        `UPDATE ${storage.table} SET hash = CASE WHEN substr(hash, 1, 1) = 'a' THEN 'b' ELSE 'a' END || substr(hash, 2) WHERE position = ${middle}`,
      );
      return [{ position: middle, eventId: at(rows, middle).eventId, text: /column hash is/ }];
    },
  },
  {
    name: "the stored JSON made invalid by one byte",
    only: "sqlite",
    async apply(storage, rows) {
      await storage.run(
        // The opening brace: whatever the envelope holds, one byte there makes it invalid JSON.
        `UPDATE ${storage.table} SET envelope = '#' || substr(envelope, 2) WHERE position = ${middle}`,
      );
      return [{ position: middle, eventId: at(rows, middle).eventId, text: /not a valid JSON object/ }];
    },
  },
  {
    name: "a row inserted after the last",
    async apply(storage, rows) {
      const copy = await storage.envelope(middle);
      const head = rows.length;
      await storage.run(
        `INSERT INTO ${storage.table} (position, event_id, stream_id, stream_revision, type, recorded_at, hash, envelope, log_hash)
         VALUES (${head + 1}, '00000000-0000-4000-8000-0000000000a1', $1, 999, $2, $3, $4, $5, $6)`,
        [copy.streamId, copy.type, copy.recordedAt, copy.hash, JSON.stringify(copy), "0".repeat(64)],
      );
      return [{ position: head + 1, text: /column position is \d+ but the envelope says/ }];
    },
  },
  {
    name: "an event rewritten with its own hash recomputed",
    async apply(storage, rows) {
      const { hash: _old, ...envelope } = await storage.envelope(middle);
      const forged = { ...envelope, actor: "mallory" };
      const hash = hashEnvelope(forged);
      await storage.run(`UPDATE ${storage.table} SET envelope = $1, hash = $2 WHERE position = ${middle}`, [
        JSON.stringify({ ...forged, hash }),
        hash,
      ]);
      return [{ position: middle, eventId: at(rows, middle).eventId, text: /log hash does not chain/ }];
    },
  },
];

/** The SQL of a case in SQLite's parameter style (`?`) when the copy is an SQLite file. */
const sqliteParams = (sql: string) => sql.replace(/\$\d+/g, "?");

async function sqliteStorage(source: string): Promise<Storage> {
  const { dir } = workspace();
  mkdirSync(join(dir, "data"));
  const path = join(dir, "data", "revgraph.db");
  copyFileSync(source, path);
  const db = new DatabaseSync(path);
  return {
    dialect: "sqlite",
    table: "events",
    headTable: "log_head",
    async run(sql, params = []) {
      db.prepare(sqliteParams(sql)).run(...params);
    },
    async rows() {
      return db
        .prepare("SELECT position, event_id AS eventId, stream_id AS streamId, type FROM events ORDER BY position")
        .all() as unknown as Row[];
    },
    async envelope(position) {
      return JSON.parse(String(db.prepare("SELECT envelope FROM events WHERE position = ?").get(position)?.envelope));
    },
    args: ["--data", join(dir, "data")],
    async dispose() {
      db.close();
    },
  };
}

/** Runs one statement on the cluster's maintenance database. */
async function onCluster(clusterUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A copy of the seeded database (`CREATE DATABASE … TEMPLATE`), dropped on dispose. */
async function postgresStorage(clusterUrl: string, template: string): Promise<Storage> {
  const name = `tamper_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await onCluster(clusterUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    dialect: "postgres",
    table: "revgraph_events",
    headTable: "revgraph_events_head",
    async run(sql, params = []) {
      await client.query(sql, params);
    },
    async rows() {
      const result = await client.query<{ position: string; eventId: string; streamId: string; type: string }>(
        `SELECT position, event_id AS "eventId", stream_id AS "streamId", type FROM revgraph_events ORDER BY position`,
      );
      return result.rows.map((row) => ({ ...row, position: Number(row.position) }));
    },
    async envelope(position) {
      const result = await client.query<{ envelope: RecordedEvent }>("SELECT envelope FROM revgraph_events WHERE position = $1", [
        position,
      ]);
      return result.rows[0]?.envelope as RecordedEvent;
    },
    args: ["--store", "postgres", "--database-url", url.toString()],
    async dispose() {
      await client.end();
      await onCluster(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

const seeded = { deals: "25", seed: "3" };

describe.each(["sqlite", "postgres"] as const)("tampering with a real %s store: verify exits 4 naming the event", (dialect) => {
  let open: () => Promise<Storage>;
  let cleanUp: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const { dir } = workspace();
    if (dialect === "sqlite") {
      expect(revgraph(dir, "seed", "--deals", seeded.deals, "--seed", seeded.seed).code).toBe(0);
      open = () => sqliteStorage(join(dir, "data", "revgraph.db"));
      return;
    }
    const clusterUrl = inject("postgresUrl");
    const template = await createTestDatabase(clusterUrl, "tamper_seed");
    const seed = revgraph(dir, "--store", "postgres", "--database-url", template.url, "seed", "--deals", seeded.deals);
    expect(seed.code, seed.stderr).toBe(0);
    open = () => postgresStorage(clusterUrl, new URL(template.url).pathname.slice(1));
    cleanUp = template.drop;
  }, 120_000);
  afterAll(() => cleanUp());

  it("a clean copy verifies, with its digest", async () => {
    const storage = await open();
    try {
      const { dir } = workspace();
      const result = revgraph(dir, ...storage.args, "--json", "verify");
      expect(result.code, result.stderr).toBe(0);
      const digest = revgraph(dir, ...storage.args, "--json", "digest").json();
      expect(result.json()).toMatchObject({
        ok: true,
        findings: [],
        digest: { position: digest.position, logHash: digest.logHash },
      });
    } finally {
      await storage.dispose();
    }
  });

  for (const tamper of cases.filter((candidate) => !candidate.only || candidate.only === dialect)) {
    it(tamper.name, async () => {
      const storage = await open();
      try {
        const expected = await tamper.apply(storage, await storage.rows());
        const { dir } = workspace();
        const text = revgraph(dir, ...storage.args, "verify");
        expect(text.code, text.stderr).toBe(4);
        const json = revgraph(dir, ...storage.args, "--json", "verify");
        expect(json.code).toBe(4);
        const findings = json.json().findings as { position: number | null; eventId: string | null; reason: string }[];
        for (const finding of expected) {
          expect(text.stdout).toContain(`position ${finding.position}`);
          if (finding.eventId) expect(text.stdout).toContain(`position ${finding.position}, event ${finding.eventId}`);
          expect(findings.some((found) => found.position === finding.position && finding.text.test(found.reason))).toBe(true);
        }
      } finally {
        await storage.dispose();
      }
    }, 60_000);
  }

  it("reading swapped rows (export, replay, kpi) stops with exit 4 naming the position instead of returning fewer events", async () => {
    const storage = await open();
    try {
      await cases[1]?.apply(storage, await storage.rows());
      const { dir } = workspace();
      for (const command of [
        ["export", "events"],
        ["replay", "--until", "100000"],
        ["kpi", "win_rate", "--period", "2026-Q1"],
      ]) {
        const result = revgraph(dir, ...storage.args, ...command);
        expect(result.code, `${command.join(" ")}: ${result.stderr}`).toBe(4);
        expect(result.stderr).toMatch(new RegExp(`^revgraph: tampering detected at position ${middle} .*\\n$`));
      }
    } finally {
      await storage.dispose();
    }
  }, 60_000);

  it("a log cut back with its head record rewritten passes verify alone, and fails against a digest saved before", async () => {
    const storage = await open();
    try {
      const { dir, file } = workspace();
      const saved = file("digest.json", revgraph(dir, ...storage.args, "--json", "digest").stdout);
      const head = (await storage.rows()).length;
      const keep = head - 10;
      await storage.run(`DELETE FROM ${storage.table} WHERE position > ${keep}`);
      await storage.run(
        `UPDATE ${storage.headTable} SET position = ${keep}, log_hash = (SELECT log_hash FROM ${storage.table} WHERE position = ${keep})`,
      );
      expect(revgraph(dir, ...storage.args, "verify").code).toBe(0);
      const proof = revgraph(dir, ...storage.args, "verify", "--digest", saved);
      expect(proof.code).toBe(4);
      expect(proof.stdout).toContain(
        `the log was cut back: the saved digest is at position ${head}, the log ends at position ${keep}`,
      );
      const current = revgraph(dir, ...storage.args, "--json", "digest").stdout;
      const extended = revgraph(dir, ...storage.args, "verify", "--digest", current);
      expect(extended.code).toBe(0);
      expect(extended.stdout).toContain(`the log extends the saved digest at position ${keep}`);
    } finally {
      await storage.dispose();
    }
  }, 60_000);
});
