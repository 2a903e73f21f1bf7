import type { NewEvent, RecordedEvent } from "@revgraph/events";
import pg from "pg";
import { appendResult, matchesFilter, type PreparedEvent, planAppend, prepareEvents } from "./append-plan.ts";
import { StoreClosedError } from "./errors.ts";
import type {
  AppendOptions,
  AppendRequest,
  AppendResult,
  EventStore,
  ReadAllOptions,
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
  const channel = `${table}_appended`;
  const clock = options.clock ?? (() => new Date());
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 20 });
  await pool.query(`
    CREATE TABLE IF NOT EXISTS ${table} (
      position        bigint PRIMARY KEY,
      event_id        uuid   NOT NULL UNIQUE,
      stream_id       text   NOT NULL,
      stream_revision bigint NOT NULL,
      type            text   NOT NULL,
      recorded_at     text   NOT NULL,
      hash            text   NOT NULL,
      envelope        jsonb  NOT NULL,
      UNIQUE (stream_id, stream_revision)
    )`);
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

  async function appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    ensureOpen();
    const prepared = requests.map((request) => prepareEvents(request.events));
    const client = await pool.connect();
    try {
      // Per request, one round trip for the whole lookup and one for the insert (with its NOTIFY).
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY})`);
      let wrote = false;
      const results: AppendResult[] = [];
      for (const [index, request] of requests.entries()) {
        const events = prepared[index] as PreparedEvent[];
        const lookup = await client.query<{
          stored: RecordedEvent[] | null;
          stream_head: { revision: number; hash: string } | null;
          log_head: { position: number; recorded_at: string } | null;
        }>(
          `SELECT
             (SELECT json_agg(envelope) FROM ${table} WHERE event_id = ANY($1::uuid[])) AS stored,
             (SELECT row_to_json(h) FROM (SELECT stream_revision AS revision, hash FROM ${table}
                WHERE stream_id = $2 ORDER BY stream_revision DESC LIMIT 1) h) AS stream_head,
             (SELECT row_to_json(l) FROM (SELECT position, recorded_at FROM ${table} ORDER BY position DESC LIMIT 1) l) AS log_head`,
          [events.map((event) => event.id), request.streamId],
        );
        const { stored: storedEvents, stream_head: streamHead, log_head: logHead } = lookup.rows[0] ?? {};
        const streamRevision = streamHead ? Number(streamHead.revision) : -1;
        const plan = planAppend(events, {
          streamId: request.streamId,
          expected: request.expectedRevision ?? "any",
          skipStored: request.skipStored ?? false,
          recordedAt: request.recordedAt,
          trustRecordedAt: request.trustRecordedAt,
          streamRevision,
          streamHeadHash: streamHead?.hash ?? null,
          headPosition: logHead ? Number(logHead.position) : 0,
          lastRecordedAt: logHead?.recorded_at ?? null,
          stored: new Map((storedEvents ?? []).map((event) => [event.id, event])),
          now: clock(),
        });
        if (plan.kind === "write") {
          wrote = true;
          const rows = plan.events;
          await client.query(
            `WITH inserted AS (
               INSERT INTO ${table} (position, event_id, stream_id, stream_revision, type, recorded_at, hash, envelope)
               SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
               RETURNING position)
             SELECT pg_notify($9, (SELECT max(position) FROM inserted)::text)`,
            [
              rows.map((event) => event.globalPosition),
              rows.map((event) => event.id),
              rows.map((event) => event.streamId),
              rows.map((event) => event.streamRevision),
              rows.map((event) => event.type),
              rows.map((event) => event.recordedAt),
              rows.map((event) => event.hash),
              rows.map((event) => JSON.stringify(event)),
              channel,
            ],
          );
        }
        results.push(appendResult(plan, plan.events.at(-1)?.streamRevision ?? streamRevision));
      }
      await client.query("COMMIT");
      if (wrote) signal.notify();
      return results;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async function* readAll(readOptions: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    ensureOpen();
    const batchSize = readOptions.batchSize ?? 5_000;
    let remaining = readOptions.maxCount ?? Number.POSITIVE_INFINITY;
    let after = readOptions.after ?? 0;
    const filtered = readOptions.types !== undefined || readOptions.streamPrefix !== undefined;
    while (remaining > 0 && !closed) {
      const page = await pool.query<{ envelope: RecordedEvent }>(
        `SELECT envelope FROM ${table} WHERE position > $1 ORDER BY position ASC LIMIT $2`,
        [after, batchSize],
      );
      for (const { envelope } of page.rows) {
        if (filtered && !matchesFilter(envelope, readOptions)) continue;
        yield envelope;
        if (--remaining === 0) return;
      }
      if (page.rows.length < batchSize) return;
      after = (page.rows.at(-1) as { envelope: RecordedEvent }).envelope.globalPosition;
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
      const result = await pool.query<{ envelope: RecordedEvent }>(
        `SELECT envelope FROM ${table} WHERE stream_id = $1 AND stream_revision ${backwards ? "<=" : ">="} $2
         ORDER BY stream_revision ${backwards ? "DESC" : "ASC"} LIMIT $3`,
        [streamId, readOptions.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0), readOptions.maxCount ?? null],
      );
      return result.rows.map((row) => row.envelope);
    },
    async readEventsById(ids: readonly string[]) {
      ensureOpen();
      const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
      if (valid.length === 0) return [];
      const result = await pool.query<{ envelope: RecordedEvent }>(
        `SELECT envelope FROM ${table} WHERE event_id = ANY($1::uuid[])`,
        [valid],
      );
      const byId = new Map(result.rows.map((row) => [row.envelope.id, row.envelope]));
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
    async headPosition() {
      ensureOpen();
      const result = await pool.query<{ position: string | null }>(`SELECT max(position) AS position FROM ${table}`);
      return Number(result.rows[0]?.position ?? 0);
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
