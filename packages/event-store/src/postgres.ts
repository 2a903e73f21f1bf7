import type { NewEvent, RecordedEvent } from "@revgraph/events";
import pg from "pg";
import { appendResult, type PreparedEvent, planAppend, prepareEvents, requestTerms } from "./append-plan.ts";
import { StorageFaultError, StoreClosedError, StoreMissingError, TamperedEventError } from "./errors.ts";
import {
  chainLogHash,
  checkedEvent,
  checkpointDue,
  checkpointRequest,
  DEFAULT_CHECKPOINT_EVERY,
  GENESIS_LOG_HASH,
  type LogDigest,
  type StoredRow,
} from "./log-chain.ts";
import type {
  AppendOptions,
  AppendRequest,
  AppendResult,
  EventStore,
  ReadAllOptions,
  ReadRowsOptions,
  ReadStreamOptions,
  SubscribeOptions,
} from "./port.ts";
import { ChangeSignal, pollingSubscription } from "./subscription.ts";

/** Options for {@link openPostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /** libpq-style connection string, e.g. `postgres://user@127.0.0.1:5432/revgraph`. */
  readonly connectionString: string;
  /** Table name (default `revgraph_events`); lets several stores share one database. */
  readonly table?: string;
  readonly poolSize?: number;
  readonly clock?: () => Date;
  /** Fallback poll interval for live subscriptions, in ms (LISTEN/NOTIFY wakes them sooner). */
  readonly pollMs?: number;
  /** Refuse to open (with `StoreMissingError`) when the table does not exist, instead of creating it. For read-only use. */
  readonly mustExist?: boolean;
  /** Events between two checkpoint digests written into the log (default 10,000; 0 for none). */
  readonly checkpointEvery?: number;
}

/** A row as the queries below return it: indexed columns (bigints as text) and the envelope. */
interface PgRow {
  readonly position: string | number;
  readonly event_id: string;
  readonly stream_id: string;
  readonly stream_revision: string | number;
  readonly type: string;
  readonly hash: string;
  readonly log_hash: string | null;
  readonly envelope: RecordedEvent | string;
}

const rowColumns = "position, event_id, stream_id, stream_revision, type, hash, log_hash, envelope";

function storedColumns(row: PgRow) {
  return {
    position: Number(row.position),
    eventId: row.event_id,
    streamId: row.stream_id,
    streamRevision: Number(row.stream_revision),
    type: row.type,
    hash: row.hash,
  };
}

const eventOfRow = (row: PgRow): RecordedEvent => checkedEvent(storedColumns(row), row.envelope);

/** SQLSTATE classes of storage faults (disk full, I/O error, read-only) → their cause. */
const faultCodes: Readonly<Record<string, StorageFaultError["fault"]>> = {
  "53100": "disk full",
  "58030": "I/O error",
  "25006": "read-only storage",
};

/** The connection string without its password, for messages. */
function redacted(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    url.password = "";
    return url.toString();
  } catch {
    return "the configured PostgreSQL database";
  }
}

/** Every append takes this transaction-scoped advisory lock, so positions commit in order without gaps. */
const APPEND_LOCK_KEY = 0x7265_7667; // "revg"

/**
 * PostgreSQL event store through `pg`. Appends serialise on a transaction-scoped advisory lock and
 * NOTIFY on commit; subscriptions LISTEN for it, with polling as a fallback.
 */
export async function openPostgresEventStore(options: PostgresEventStoreOptions): Promise<EventStore> {
  const table = options.table ?? "revgraph_events";
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`invalid table name ${JSON.stringify(table)}`);
  const headTable = `${table}_head`;
  const channel = `${table}_appended`;
  const location = `${redacted(options.connectionString)} (table ${table})`;
  const clock = options.clock ?? (() => new Date());
  const checkpointEvery = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const asStorageFault = (error: unknown): unknown => {
    const code = (error as { code?: unknown } | null)?.code;
    const fault = typeof code === "string" ? faultCodes[code] : undefined;
    return fault ? new StorageFaultError(location, fault, (error as Error).message) : error;
  };
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 20 });
  try {
    await createOrMigrate(pool, table, headTable, options.mustExist ?? false, location);
  } catch (error) {
    await pool.end();
    throw asStorageFault(error);
  }
  const signal = new ChangeSignal();
  let listener: pg.Client | undefined;
  let listening: Promise<void> | undefined;
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new StoreClosedError("postgres");
  };
  function ensureListener(): Promise<void> {
    listening ??= (async () => {
      const client = new pg.Client({ connectionString: options.connectionString });
      listener = client;
      client.on("notification", () => signal.notify());
      client.on("error", () => {
        listening = undefined;
      });
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    })();
    return listening;
  }

  type HeadRow = {
    record: { position: string | number; log_hash: string; recorded_at: string | null } | null;
    last: { position: string | number; log_hash: string | null } | null;
  };
  const headQuery = `SELECT
      (SELECT row_to_json(h) FROM (SELECT position, log_hash, recorded_at FROM ${headTable} WHERE id = 1) h) AS record,
      (SELECT row_to_json(l) FROM (SELECT position, log_hash FROM ${table} ORDER BY position DESC LIMIT 1) l) AS last`;

  /** The head record, checked against the last row: a cut tail or an edited last row refuses further writes. */
  function checkedHead(row: HeadRow | undefined): LogDigest {
    const { record, last } = row ?? { record: null, last: null };
    const lastPosition = last ? Number(last.position) : null;
    if (!record) throw new TamperedEventError(lastPosition, null, "the log head record is missing");
    if (Number(record.position) !== (lastPosition ?? 0) || (last && record.log_hash !== last.log_hash)) {
      throw new TamperedEventError(
        Math.max(Number(record.position), lastPosition ?? 0),
        null,
        `the log head record (position ${Number(record.position)}) disagrees with the log's last row (position ${lastPosition ?? 0})`,
      );
    }
    return { position: Number(record.position), logHash: record.log_hash, recordedAt: record.recorded_at };
  }

  /** Plans and writes one request inside the open transaction, chaining each event onto `tip`. */
  async function writeRequest(
    client: pg.PoolClient,
    request: AppendRequest,
    events: readonly PreparedEvent[],
    tip: { head: LogDigest },
  ): Promise<AppendResult> {
    // One round trip for the whole lookup and one for the insert (with its NOTIFY).
    const lookup = await client.query<{ stored: PgRow[] | null; stream_head: PgRow | null }>(
      `SELECT
         (SELECT json_agg(r) FROM (SELECT ${rowColumns} FROM ${table} WHERE event_id = ANY($1::uuid[])) r) AS stored,
         (SELECT row_to_json(h) FROM (SELECT ${rowColumns} FROM ${table}
            WHERE stream_id = $2 ORDER BY stream_revision DESC LIMIT 1) h) AS stream_head`,
      [events.map((event) => event.id), request.streamId],
    );
    const { stored: storedRows, stream_head: streamHeadRow } = lookup.rows[0] ?? { stored: null, stream_head: null };
    const streamHead = streamHeadRow ? eventOfRow(streamHeadRow) : undefined;
    const streamRevision = streamHead?.streamRevision ?? -1;
    const plan = planAppend(events, {
      ...requestTerms(request),
      streamRevision,
      streamHeadHash: streamHead?.hash ?? null,
      headPosition: tip.head.position,
      lastRecordedAt: tip.head.recordedAt,
      stored: new Map((storedRows ?? []).map((row) => [row.event_id, eventOfRow(row)])),
      now: clock(),
    });
    if (plan.kind === "write") {
      const rows = plan.events;
      const logHashes = rows.map((event) => {
        const logHash = chainLogHash(tip.head.logHash, event.hash);
        tip.head = { position: event.globalPosition, logHash, recordedAt: event.recordedAt };
        return logHash;
      });
      await client.query(
        `WITH inserted AS (
           INSERT INTO ${table} (position, event_id, stream_id, stream_revision, type, recorded_at, hash, envelope, log_hash)
           SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[])
           RETURNING position)
         SELECT pg_notify($10, (SELECT max(position) FROM inserted)::text)`,
        [
          rows.map((event) => event.globalPosition),
          rows.map((event) => event.id),
          rows.map((event) => event.streamId),
          rows.map((event) => event.streamRevision),
          rows.map((event) => event.type),
          rows.map((event) => event.recordedAt),
          rows.map((event) => event.hash),
          rows.map((event) => JSON.stringify(event)),
          logHashes,
          channel,
        ],
      );
    }
    return appendResult(plan, plan.events.at(-1)?.streamRevision ?? streamRevision);
  }

  async function appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    ensureOpen();
    const prepared = requests.map((request) => prepareEvents(request.events));
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      // Lock and head in one round trip (a multi-statement query answers with one result per statement).
      const opened = (await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY}); ${headQuery}`,
      )) as unknown as pg.QueryResult<HeadRow>[];
      const before = checkedHead(opened.at(-1)?.rows[0]);
      const tip = { head: before };
      const results: AppendResult[] = [];
      for (const [index, request] of requests.entries()) {
        results.push(await writeRequest(client, request, prepared[index] as PreparedEvent[], tip));
      }
      if (checkpointDue(before.position, tip.head.position, checkpointEvery)) {
        const checkpoint = checkpointRequest(tip.head);
        await writeRequest(client, checkpoint, prepareEvents(checkpoint.events), tip);
      }
      const wrote = tip.head.position !== before.position;
      // The new head and the commit in one round trip: the values are a number, a hex digest and an ISO time the
      // store made itself, so they go in as literals (a multi-statement query takes no parameters).
      const { position, logHash, recordedAt } = tip.head;
      await client.query(
        wrote
          ? `UPDATE ${headTable} SET position = ${Math.trunc(position)}, log_hash = '${logHash.replace(/[^0-9a-f]/g, "")}', recorded_at = '${String(recordedAt).replace(/'/g, "")}' WHERE id = 1; COMMIT`
          : "COMMIT",
      );
      if (wrote) signal.notify();
      return results;
    } catch (error) {
      await client?.query("ROLLBACK").catch(() => {});
      throw asStorageFault(error);
    } finally {
      client?.release();
    }
  }

  async function* readAll(readOptions: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    ensureOpen();
    const batchSize = readOptions.batchSize ?? 5_000;
    let remaining = readOptions.maxCount ?? Number.POSITIVE_INFINITY;
    let after = readOptions.after ?? 0;
    // Filters run in SQL (types through the (type, position) index), so only matching rows are sent and parsed; a row
    // whose type column was altered is caught by a full read (`verify`), not by a filtered one.
    const { types, streamPrefix } = readOptions;
    if (types !== undefined && types.length === 0) return;
    const parameters: unknown[] = [];
    const conditions: string[] = [];
    if (types !== undefined) {
      parameters.push(types);
      conditions.push(`AND type = ANY($${parameters.length + 2}::text[])`);
    }
    if (streamPrefix !== undefined) {
      parameters.push(streamPrefix.length, streamPrefix);
      conditions.push(`AND left(stream_id, $${parameters.length + 1}) = $${parameters.length + 2}`);
    }
    const sql = `SELECT ${rowColumns} FROM ${table} WHERE position > $1 ${conditions.join(" ")} ORDER BY position ASC LIMIT $2`;
    while (remaining > 0 && !closed) {
      const page = await pool.query<PgRow>(sql, [after, batchSize, ...parameters]);
      for (const row of page.rows) {
        yield eventOfRow(row);
        if (--remaining === 0) return;
      }
      if (page.rows.length < batchSize) return;
      after = Number((page.rows.at(-1) as PgRow).position);
    }
  }

  async function* readRows(rowOptions: ReadRowsOptions = {}): AsyncGenerator<StoredRow> {
    ensureOpen();
    const batchSize = rowOptions.batchSize ?? 5_000;
    let after = rowOptions.after ?? 0;
    while (!closed) {
      const page = await pool.query<PgRow & { envelope: string }>(
        `SELECT position, event_id, stream_id, stream_revision, type, hash, log_hash, envelope::text AS envelope
         FROM ${table} WHERE position > $1 ORDER BY position ASC LIMIT $2`,
        [after, batchSize],
      );
      for (const row of page.rows) yield { ...storedColumns(row), logHash: row.log_hash, envelope: row.envelope };
      if (page.rows.length < batchSize) return;
      after = Number((page.rows.at(-1) as PgRow).position);
    }
  }

  return {
    kind: "postgres",
    async append(streamId: string, events: readonly NewEvent[], appendOptions: AppendOptions = {}) {
      return (await appendMany([{ streamId, events, ...appendOptions }]))[0] as AppendResult;
    },
    appendMany,
    async readStream(streamId: string, readOptions: ReadStreamOptions = {}) {
      ensureOpen();
      const backwards = readOptions.direction === "backwards";
      const result = await pool.query<PgRow>(
        `SELECT ${rowColumns} FROM ${table} WHERE stream_id = $1 AND stream_revision ${backwards ? "<=" : ">="} $2
         ORDER BY stream_revision ${backwards ? "DESC" : "ASC"} LIMIT $3`,
        [streamId, readOptions.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0), readOptions.maxCount ?? null],
      );
      return result.rows.map(eventOfRow);
    },
    async readEventsById(ids: readonly string[]) {
      ensureOpen();
      const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
      if (valid.length === 0) return [];
      const result = await pool.query<PgRow>(`SELECT ${rowColumns} FROM ${table} WHERE event_id = ANY($1::uuid[])`, [valid]);
      const byId = new Map(result.rows.map((row) => [row.event_id, eventOfRow(row)]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    async streamRevision(streamId: string) {
      ensureOpen();
      const result = await pool.query<{ revision: string | null }>(
        `SELECT max(stream_revision) AS revision FROM ${table} WHERE stream_id = $1`,
        [streamId],
      );
      const revision = result.rows[0]?.revision;
      return revision === null || revision === undefined ? -1 : Number(revision);
    },
    readAll,
    readRows,
    async headPosition() {
      ensureOpen();
      const result = await pool.query<{ position: string | null }>(`SELECT max(position) AS position FROM ${table}`);
      return Number(result.rows[0]?.position ?? 0);
    },
    async digest() {
      ensureOpen();
      return checkedHead((await pool.query<HeadRow>(headQuery)).rows[0]);
    },
    subscribeToAll(subscribeOptions: SubscribeOptions = {}) {
      ensureOpen();
      ensureListener().catch(() => {
        listening = undefined;
      });
      return pollingSubscription(readAll, signal, subscribeOptions, options.pollMs ?? 1_000);
    },
    async close() {
      if (closed) return;
      closed = true;
      signal.notify();
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}

/**
 * Creates the events table and its head record, or adds the log chain to a table written before it (every row's log
 * hash in position order, then the head record). Runs under the append lock, so concurrent openers and writers wait.
 */
async function createOrMigrate(pool: pg.Pool, table: string, headTable: string, mustExist: boolean, location: string) {
  const client = await pool.connect();
  try {
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY})`);
    const existing = await client.query<{ events: string | null; log_hash: boolean }>(
      `SELECT to_regclass($1)::text AS events,
              EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = 'log_hash') AS log_hash`,
      [table],
    );
    const { events, log_hash: hasLogHash } = existing.rows[0] ?? { events: null, log_hash: false };
    if (!events && mustExist) throw new StoreMissingError(location);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${table} (
        position        bigint PRIMARY KEY,
        event_id        uuid   NOT NULL UNIQUE,
        stream_id       text   NOT NULL,
        stream_revision bigint NOT NULL,
        type            text   NOT NULL,
        recorded_at     text   NOT NULL,
        hash            text   NOT NULL,
        envelope        jsonb  NOT NULL,
        log_hash        text,
        UNIQUE (stream_id, stream_revision)
      );
      CREATE INDEX IF NOT EXISTS ${table}_type_position ON ${table} (type, position);
      CREATE TABLE IF NOT EXISTS ${headTable} (
        id          int    PRIMARY KEY CHECK (id = 1),
        position    bigint NOT NULL,
        log_hash    text   NOT NULL,
        recorded_at text
      )`);
    if (events && !hasLogHash) {
      await client.query(`ALTER TABLE ${table} ADD COLUMN log_hash text`);
      let head: LogDigest = { position: 0, logHash: GENESIS_LOG_HASH, recordedAt: null };
      for (;;) {
        const page = await client.query<{ position: string; hash: string; recorded_at: string }>(
          `SELECT position, hash, recorded_at FROM ${table} WHERE position > $1 ORDER BY position LIMIT 10000`,
          [head.position],
        );
        const positions: number[] = [];
        const hashes: string[] = [];
        for (const row of page.rows) {
          const logHash = chainLogHash(head.logHash, row.hash);
          head = { position: Number(row.position), logHash, recordedAt: row.recorded_at };
          positions.push(head.position);
          hashes.push(logHash);
        }
        await client.query(
          `UPDATE ${table} SET log_hash = u.log_hash FROM unnest($1::bigint[], $2::text[]) AS u(position, log_hash)
           WHERE ${table}.position = u.position`,
          [positions, hashes],
        );
        if (page.rows.length < 10_000) break;
      }
      await client.query(`INSERT INTO ${headTable} (id, position, log_hash, recorded_at) VALUES (1, $1, $2, $3)`, [
        head.position,
        head.logHash,
        head.recordedAt,
      ]);
    }
    await client.query(
      `INSERT INTO ${headTable} (id, position, log_hash, recorded_at)
       SELECT 1, 0, $1, NULL WHERE NOT EXISTS (SELECT 1 FROM ${table}) AND NOT EXISTS (SELECT 1 FROM ${headTable})`,
      [GENESIS_LOG_HASH],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
