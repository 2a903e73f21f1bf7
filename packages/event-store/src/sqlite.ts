import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { RecordedEvent } from "@revgraph/events";
import { appendResult, matchesFilter, type PreparedEvent, planAppend, prepareEvents } from "./append-plan.ts";
import { StoreClosedError } from "./errors.ts";
import type { AppendRequest, AppendResult, EventStore, ReadAllOptions, ReadStreamOptions, SubscribeOptions } from "./port.ts";
import { ChangeSignal, pollingSubscription } from "./subscription.ts";

/** Options for {@link openSqliteEventStore}. */
export interface SqliteEventStoreOptions {
  /** Database file; its folder is created if missing. `:memory:` for a private in-memory database. */
  readonly path: string;
  /** Clock for `recordedAt`; defaults to the system clock. */
  readonly clock?: () => Date;
  /** How long a writer waits for another process's write lock, in ms (default 30,000). */
  readonly busyTimeoutMs?: number;
  /** How often a live subscription looks for events written by other processes, in ms (default 50). */
  readonly pollMs?: number;
  /**
   * `full` (default) syncs the WAL on every commit, so an acknowledged append survives power loss;
   * `normal` survives a killed process but may lose the last commits on power loss.
   */
  readonly durability?: "full" | "normal";
  /**
   * WAL size, in pages, that triggers a checkpoint (SQLite's default is 1,000, about 4 MiB). Bulk writers raise it:
   * index pages touched by every batch are then copied into the database once per checkpoint, not once per batch.
   * The store checkpoints on close, which also syncs the WAL. A long-running server should keep the default.
   */
  readonly walAutocheckpointPages?: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
  position        INTEGER PRIMARY KEY,
  event_id        TEXT    NOT NULL UNIQUE,
  stream_id       TEXT    NOT NULL,
  stream_revision INTEGER NOT NULL,
  type            TEXT    NOT NULL,
  recorded_at     TEXT    NOT NULL,
  hash            TEXT    NOT NULL,
  envelope        TEXT    NOT NULL,
  UNIQUE (stream_id, stream_revision)
) STRICT;
`;

function retryWhileLocked(timeoutMs: number, work: () => void): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      work();
      return;
    } catch (error) {
      const locked = error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message);
      if (!locked || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
    }
  }
}

/**
 * The embedded event store: one SQLite file (WAL mode) through `node:sqlite`. Several processes may
 * open the same file; writers serialise on SQLite's write lock (`BEGIN IMMEDIATE`), so positions are
 * committed in order and concurrent appends never lose an update.
 */
export function openSqliteEventStore(options: SqliteEventStoreOptions): EventStore {
  const clock = options.clock ?? (() => new Date());
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 30_000);
  const db = new DatabaseSync(options.path);
  db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  // Switching to WAL and creating the schema need an exclusive lock that SQLite's busy handler does not
  // wait for when several processes open a new file at once: retry those steps until the timeout.
  retryWhileLocked(busyTimeoutMs, () => {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(schema);
  });
  db.exec(`PRAGMA synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
  // 64 MiB of page cache (SQLite's default is 2 MiB): the event-id index takes inserts at random places,
  // and a bulk append touches many of its pages.
  db.exec("PRAGMA cache_size = -65536");
  if (options.walAutocheckpointPages !== undefined) {
    db.exec(`PRAGMA wal_autocheckpoint = ${Math.trunc(options.walAutocheckpointPages)}`);
  }

  const statements = {
    byId: db.prepare("SELECT envelope FROM events WHERE event_id = ?"),
    streamHead: db.prepare(
      "SELECT stream_revision AS revision, hash FROM events WHERE stream_id = ? ORDER BY stream_revision DESC LIMIT 1",
    ),
    logHead: db.prepare("SELECT position, recorded_at AS recordedAt FROM events ORDER BY position DESC LIMIT 1"),
    insert: db.prepare(
      "INSERT INTO events (position, event_id, stream_id, stream_revision, type, recorded_at, hash, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    streamForwards: db.prepare(
      "SELECT envelope FROM events WHERE stream_id = ? AND stream_revision >= ? ORDER BY stream_revision ASC LIMIT ?",
    ),
    streamBackwards: db.prepare(
      "SELECT envelope FROM events WHERE stream_id = ? AND stream_revision <= ? ORDER BY stream_revision DESC LIMIT ?",
    ),
    page: db.prepare("SELECT envelope FROM events WHERE position > ? ORDER BY position ASC LIMIT ?"),
  } satisfies Record<string, StatementSync>;

  const signal = new ChangeSignal();
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new StoreClosedError("sqlite");
  };
  const parseRows = (rows: readonly Record<string, unknown>[]): RecordedEvent[] =>
    rows.map((row) => JSON.parse(row.envelope as string) as RecordedEvent);

  function appendManySync(requests: readonly AppendRequest[]): AppendResult[] {
    const prepared = requests.map((request) => prepareEvents(request.events));
    db.exec("BEGIN IMMEDIATE");
    try {
      let wrote = false;
      const results = requests.map((request, index) => {
        const events = prepared[index] as PreparedEvent[];
        const stored = new Map<string, RecordedEvent>();
        for (const event of events) {
          const row = statements.byId.get(event.id);
          if (row) stored.set(event.id, JSON.parse(row.envelope as string) as RecordedEvent);
        }
        const streamHead = statements.streamHead.get(request.streamId) as { revision: number; hash: string } | undefined;
        const logHead = statements.logHead.get() as { position: number; recordedAt: string } | undefined;
        const plan = planAppend(events, {
          streamId: request.streamId,
          expected: request.expectedRevision ?? "any",
          skipStored: request.skipStored ?? false,
          recordedAt: request.recordedAt,
          trustRecordedAt: request.trustRecordedAt,
          streamRevision: streamHead?.revision ?? -1,
          streamHeadHash: streamHead?.hash ?? null,
          headPosition: logHead?.position ?? 0,
          lastRecordedAt: logHead?.recordedAt ?? null,
          stored,
          now: clock(),
        });
        if (plan.kind === "write") {
          wrote = true;
          for (const event of plan.events) {
            statements.insert.run(
              event.globalPosition,
              event.id,
              event.streamId,
              event.streamRevision,
              event.type,
              event.recordedAt,
              event.hash,
              JSON.stringify(event),
            );
          }
        }
        return appendResult(plan, plan.events.at(-1)?.streamRevision ?? streamHead?.revision ?? -1);
      });
      db.exec("COMMIT");
      if (wrote) signal.notify();
      return results;
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  }

  async function* readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    ensureOpen();
    const batchSize = options.batchSize ?? 5_000;
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let after = options.after ?? 0;
    const filtered = options.types !== undefined || options.streamPrefix !== undefined;
    while (remaining > 0 && !closed) {
      const page = parseRows(statements.page.all(after, batchSize));
      for (const event of page) {
        if (filtered && !matchesFilter(event, options)) continue;
        yield event;
        if (--remaining === 0) return;
      }
      if (page.length < batchSize) return;
      after = (page.at(-1) as RecordedEvent).globalPosition;
    }
  }

  return {
    kind: "sqlite",
    async append(streamId, events, appendOptions = {}) {
      ensureOpen();
      return appendManySync([{ streamId, events, ...appendOptions }])[0] as AppendResult;
    },
    async appendMany(requests) {
      ensureOpen();
      return appendManySync(requests);
    },
    async readStream(streamId: string, readOptions: ReadStreamOptions = {}) {
      ensureOpen();
      const limit = readOptions.maxCount ?? -1;
      if (readOptions.direction === "backwards") {
        return parseRows(statements.streamBackwards.all(streamId, readOptions.fromRevision ?? Number.MAX_SAFE_INTEGER, limit));
      }
      return parseRows(statements.streamForwards.all(streamId, readOptions.fromRevision ?? 0, limit));
    },
    async readEventsById(ids: readonly string[]) {
      ensureOpen();
      return ids.flatMap((id) => {
        const row = statements.byId.get(id);
        return row ? [JSON.parse(row.envelope as string) as RecordedEvent] : [];
      });
    },
    async streamRevision(streamId: string) {
      ensureOpen();
      return (statements.streamHead.get(streamId) as { revision: number } | undefined)?.revision ?? -1;
    },
    readAll,
    async headPosition() {
      ensureOpen();
      return (statements.logHead.get() as { position: number } | undefined)?.position ?? 0;
    },
    subscribeToAll(subscribeOptions: SubscribeOptions = {}) {
      ensureOpen();
      return pollingSubscription(readAll, signal, subscribeOptions, options.pollMs ?? 50);
    },
    async close() {
      if (closed) return;
      closed = true;
      signal.notify();
      // Leave a small WAL behind for the other processes on this file (a passive checkpoint waits for no one).
      if (options.walAutocheckpointPages !== undefined) db.exec("PRAGMA wal_checkpoint(PASSIVE)");
      db.close();
    },
  };
}
