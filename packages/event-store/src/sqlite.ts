import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLOutputValue, type StatementSync } from "node:sqlite";
import type { RecordedEvent } from "@revgraph/events";
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
  AppendRequest,
  AppendResult,
  EventStore,
  ReadAllOptions,
  ReadRowsOptions,
  ReadStreamOptions,
  SubscribeOptions,
} from "./port.ts";
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
  /** Refuse to open (with `StoreMissingError`) when the file holds no store, instead of creating one. For read-only use. */
  readonly mustExist?: boolean;
  /** Events between two checkpoint digests written into the log (default 10,000; 0 for none). */
  readonly checkpointEvery?: number;
  /**
   * Caps the database at this many pages (SQLite `max_page_count`): a write beyond it fails as on a full disk. A quota
   * for shared disks, and how the tests inject a full disk.
   */
  readonly maxPageCount?: number;
}

// `log_hash` chains every event to the one before it in global order; `log_head` is the head the last append left,
// so a cut tail shows. Stores made before the log chain lack both and are migrated on open (see `migrateLogChain`).
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
  log_hash        TEXT,
  UNIQUE (stream_id, stream_revision)
) STRICT;
CREATE TABLE IF NOT EXISTS log_head (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  position    INTEGER NOT NULL,
  log_hash    TEXT    NOT NULL,
  recorded_at TEXT
) STRICT;
INSERT INTO log_head (id, position, log_hash, recorded_at)
  SELECT 1, 0, '${GENESIS_LOG_HASH}', NULL WHERE NOT EXISTS (SELECT 1 FROM events) AND NOT EXISTS (SELECT 1 FROM log_head);
`;

/**
 * Reads filtered by event type find their rows through this index (the position is the row id) instead of parsing every
 * row: replaying the org part of a graph of 100k deals reads 15% of the log. Created on open when missing (a one-time
 * migration of an older file).
 */
const typeIndex = "CREATE INDEX IF NOT EXISTS events_type_position ON events (type, position)";

/** A filtered read looks at this many positions per query, a multiple of its page size. */
const FILTERED_WINDOW_PAGES = 8;

/** What reads select: the indexed columns each envelope is checked against, and the envelope. */
const eventColumns = "position, event_id, stream_id, stream_revision, type, hash, envelope";
/** What verification reads: the same and the log hash. */
const rowColumns = `${eventColumns}, log_hash`;

type Row = Record<string, SQLOutputValue>;

function storedRow(row: Row): StoredRow {
  return {
    position: Number(row.position),
    eventId: String(row.event_id),
    streamId: String(row.stream_id),
    streamRevision: Number(row.stream_revision),
    type: String(row.type),
    hash: String(row.hash),
    logHash: typeof row.log_hash === "string" ? row.log_hash : null,
    envelope: String(row.envelope),
  };
}

const eventOfRow = (row: Row): RecordedEvent =>
  checkedEvent(
    {
      position: row.position as number,
      eventId: row.event_id as string,
      streamId: row.stream_id as string,
      streamRevision: row.stream_revision as number,
      type: row.type as string,
      hash: row.hash as string,
    },
    row.envelope as string,
  );

const faultPatterns: readonly [RegExp, StorageFaultError["fault"]][] = [
  [/database or disk is full|SQLITE_FULL/i, "disk full"],
  [/readonly database|read-only|SQLITE_READONLY/i, "read-only storage"],
  [/disk I\/O error|SQLITE_IOERR/i, "I/O error"],
  [/unable to open database file|SQLITE_CANTOPEN/i, "cannot open"],
];

/** File-system error codes (creating the data directory) → their cause. */
const fileSystemFaults: Readonly<Record<string, StorageFaultError["fault"]>> = {
  ENOSPC: "disk full",
  EROFS: "read-only storage",
  EACCES: "read-only storage",
  EPERM: "read-only storage",
  EIO: "I/O error",
  ENOTDIR: "cannot open",
};

/** The storage fault behind an SQLite or file-system error, naming the file; other errors pass through unchanged. */
function asStorageFault(path: string, error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const fileSystem = typeof code === "string" ? fileSystemFaults[code] : undefined;
  if (fileSystem) return new StorageFaultError(path, fileSystem, error.message);
  const match = faultPatterns.find(([pattern]) => pattern.test(error.message));
  return match ? new StorageFaultError(path, match[1], error.message) : error;
}

/** Adds the log chain to a store written before it: every row's log hash, in position order, and the head record. */
function migrateLogChain(db: DatabaseSync): void {
  const columns = db.prepare("PRAGMA table_info(events)").all();
  if (columns.some((column) => column.name === "log_hash")) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec("ALTER TABLE events ADD COLUMN log_hash TEXT");
    const page = db.prepare("SELECT position, hash, recorded_at FROM events WHERE position > ? ORDER BY position LIMIT 10000");
    const update = db.prepare("UPDATE events SET log_hash = ? WHERE position = ?");
    let head: LogDigest = { position: 0, logHash: GENESIS_LOG_HASH, recordedAt: null };
    for (;;) {
      const rows = page.all(head.position);
      for (const row of rows) {
        const logHash = chainLogHash(head.logHash, String(row.hash));
        update.run(logHash, Number(row.position));
        head = { position: Number(row.position), logHash, recordedAt: String(row.recorded_at) };
      }
      if (rows.length < 10_000) break;
    }
    db.prepare("INSERT OR REPLACE INTO log_head (id, position, log_hash, recorded_at) VALUES (1, ?, ?, ?)").run(
      head.position,
      head.logHash,
      head.recordedAt,
    );
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

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
  const { path } = options;
  const checkpointEvery = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  if (options.mustExist && (path === ":memory:" || !existsSync(path))) throw new StoreMissingError(path);
  const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 30_000);
  let db: DatabaseSync;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    if (options.mustExist && !db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get()) {
      db.close();
      throw new StoreMissingError(path);
    }
    // Switching to WAL and creating the schema need an exclusive lock that SQLite's busy handler does not
    // wait for when several processes open a new file at once: retry those steps until the timeout.
    retryWhileLocked(busyTimeoutMs, () => {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec(schema);
    });
    retryWhileLocked(busyTimeoutMs, () => migrateLogChain(db));
    retryWhileLocked(busyTimeoutMs, () => db.exec(typeIndex));
    db.exec(`PRAGMA synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
    // 64 MiB of page cache (SQLite's default is 2 MiB): the event-id index takes inserts at random places,
    // and a bulk append touches many of its pages.
    db.exec("PRAGMA cache_size = -65536");
    if (options.walAutocheckpointPages !== undefined) {
      db.exec(`PRAGMA wal_autocheckpoint = ${Math.trunc(options.walAutocheckpointPages)}`);
    }
    if (options.maxPageCount !== undefined) db.exec(`PRAGMA max_page_count = ${Math.trunc(options.maxPageCount)}`);
  } catch (error) {
    throw asStorageFault(path, error);
  }

  const statements = {
    byId: db.prepare(`SELECT ${eventColumns} FROM events WHERE event_id = ?`),
    streamHead: db.prepare(`SELECT ${eventColumns} FROM events WHERE stream_id = ? ORDER BY stream_revision DESC LIMIT 1`),
    streamRevision: db.prepare(
      "SELECT stream_revision AS revision FROM events WHERE stream_id = ? ORDER BY stream_revision DESC LIMIT 1",
    ),
    logHead: db.prepare(
      "SELECT position, recorded_at AS recordedAt, log_hash AS logHash FROM events ORDER BY position DESC LIMIT 1",
    ),
    headRecord: db.prepare("SELECT position, log_hash AS logHash, recorded_at AS recordedAt FROM log_head WHERE id = 1"),
    setHead: db.prepare("UPDATE log_head SET position = ?, log_hash = ?, recorded_at = ? WHERE id = 1"),
    insert: db.prepare(
      "INSERT INTO events (position, event_id, stream_id, stream_revision, type, recorded_at, hash, envelope, log_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    streamForwards: db.prepare(
      `SELECT ${eventColumns} FROM events WHERE stream_id = ? AND stream_revision >= ? ORDER BY stream_revision ASC LIMIT ?`,
    ),
    streamBackwards: db.prepare(
      `SELECT ${eventColumns} FROM events WHERE stream_id = ? AND stream_revision <= ? ORDER BY stream_revision DESC LIMIT ?`,
    ),
    page: db.prepare(`SELECT ${eventColumns} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`),
    rows: db.prepare(`SELECT ${rowColumns} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`),
  } satisfies Record<string, StatementSync>;

  const signal = new ChangeSignal();
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new StoreClosedError("sqlite");
  };
  const parseRows = (rows: readonly Row[]): RecordedEvent[] => rows.map(eventOfRow);

  /** The head record, checked against the last row: a cut tail or an edited last row refuses further writes. */
  function checkedHead(): LogDigest {
    const record = statements.headRecord.get() as { position: number; logHash: string; recordedAt: string | null } | undefined;
    const last = statements.logHead.get() as { position: number; recordedAt: string; logHash: string | null } | undefined;
    if (!record) throw new TamperedEventError(last?.position ?? null, null, "the log head record is missing");
    if (record.position !== (last?.position ?? 0) || (last && record.logHash !== last.logHash)) {
      throw new TamperedEventError(
        Math.max(record.position, last?.position ?? 0),
        null,
        `the log head record (position ${record.position}) disagrees with the log's last row (position ${last?.position ?? 0})`,
      );
    }
    return record;
  }

  /** Plans and writes one request inside the open transaction, chaining each event onto `tip`. */
  function writeRequest(request: AppendRequest, events: readonly PreparedEvent[], tip: { head: LogDigest }) {
    const stored = new Map<string, RecordedEvent>();
    for (const event of events) {
      const row = statements.byId.get(event.id);
      if (row) stored.set(event.id, eventOfRow(row));
    }
    const streamHeadRow = statements.streamHead.get(request.streamId);
    const streamHead = streamHeadRow ? eventOfRow(streamHeadRow) : undefined;
    const plan = planAppend(events, {
      ...requestTerms(request),
      streamRevision: streamHead?.streamRevision ?? -1,
      streamHeadHash: streamHead?.hash ?? null,
      headPosition: tip.head.position,
      lastRecordedAt: tip.head.recordedAt,
      stored,
      now: clock(),
    });
    if (plan.kind === "write") {
      for (const event of plan.events) {
        const logHash = chainLogHash(tip.head.logHash, event.hash);
        statements.insert.run(
          event.globalPosition,
          event.id,
          event.streamId,
          event.streamRevision,
          event.type,
          event.recordedAt,
          event.hash,
          JSON.stringify(event),
          logHash,
        );
        tip.head = { position: event.globalPosition, logHash, recordedAt: event.recordedAt };
      }
    }
    return appendResult(plan, plan.events.at(-1)?.streamRevision ?? streamHead?.streamRevision ?? -1);
  }

  function appendManySync(requests: readonly AppendRequest[]): AppendResult[] {
    const prepared = requests.map((request) => prepareEvents(request.events));
    try {
      db.exec("BEGIN IMMEDIATE");
      const before = checkedHead();
      const tip = { head: before };
      const results = requests.map((request, index) => writeRequest(request, prepared[index] as PreparedEvent[], tip));
      if (checkpointDue(before.position, tip.head.position, checkpointEvery)) {
        const checkpoint = checkpointRequest(tip.head);
        writeRequest(checkpoint, prepareEvents(checkpoint.events), tip);
      }
      const wrote = tip.head.position !== before.position;
      if (wrote) statements.setHead.run(tip.head.position, tip.head.logHash, tip.head.recordedAt);
      db.exec("COMMIT");
      if (wrote) signal.notify();
      return results;
    } catch (error) {
      try {
        if (db.isTransaction) db.exec("ROLLBACK");
      } catch {
        // SQLite rolls a transaction back by itself on some faults (a full disk); there is nothing left to undo.
      }
      throw asStorageFault(path, error);
    }
  }

  async function* readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    ensureOpen();
    if (options.types !== undefined || options.streamPrefix !== undefined) {
      yield* readFiltered(options);
      return;
    }
    const batchSize = options.batchSize ?? 5_000;
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let after = options.after ?? 0;
    while (remaining > 0 && !closed) {
      const rows = statements.page.all(after, batchSize);
      for (const event of parseRows(rows)) {
        yield event;
        if (--remaining === 0) return;
      }
      if (rows.length < batchSize) return;
      after = Number((rows.at(-1) as Row).position);
    }
  }

  /**
   * A read filtered in SQL: by type through the type index, by stream prefix on the stream column, one window of
   * positions per query (a type filter with a position range and no window would sort every later match per page). Only
   * the rows that match are parsed and checked; a row whose type column was altered is caught by a full read
   * (`verify`), not by a filtered one.
   */
  async function* readFiltered(options: ReadAllOptions): AsyncGenerator<RecordedEvent> {
    const types = options.types ?? [];
    const prefix = options.streamPrefix;
    if (options.types !== undefined && types.length === 0) return;
    const conditions = [
      "position > ? AND position <= ?",
      ...(options.types ? [`type IN (${types.map(() => "?").join(", ")})`] : []),
      ...(prefix === undefined ? [] : ["substr(stream_id, 1, ?) = ?"]),
    ];
    const window = db.prepare(`SELECT ${eventColumns} FROM events WHERE ${conditions.join(" AND ")} ORDER BY position ASC`);
    const filter = [...types, ...(prefix === undefined ? [] : [prefix.length, prefix])];
    const span = Math.max(1, (options.batchSize ?? 5_000) * FILTERED_WINDOW_PAGES);
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let after = options.after ?? 0;
    while (remaining > 0 && !closed) {
      const head = (statements.logHead.get() as { position: number } | undefined)?.position ?? 0;
      if (after >= head) return;
      const until = Math.min(head, after + span);
      for (const event of parseRows(window.all(after, until, ...filter))) {
        yield event;
        if (--remaining === 0) return;
      }
      after = until;
    }
  }

  async function* readRows(rowOptions: ReadRowsOptions = {}): AsyncGenerator<StoredRow> {
    ensureOpen();
    const batchSize = rowOptions.batchSize ?? 5_000;
    let after = rowOptions.after ?? 0;
    while (!closed) {
      const rows = statements.rows.all(after, batchSize);
      for (const row of rows) yield storedRow(row);
      if (rows.length < batchSize) return;
      after = Number((rows.at(-1) as Row).position);
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
        return row ? [eventOfRow(row)] : [];
      });
    },
    async streamRevision(streamId: string) {
      ensureOpen();
      return (statements.streamRevision.get(streamId) as { revision: number } | undefined)?.revision ?? -1;
    },
    readAll,
    readRows,
    async headPosition() {
      ensureOpen();
      return (statements.logHead.get() as { position: number } | undefined)?.position ?? 0;
    },
    async digest() {
      ensureOpen();
      return checkedHead();
    },
    subscribeToAll(subscribeOptions: SubscribeOptions = {}) {
      ensureOpen();
      return pollingSubscription(readAll, signal, subscribeOptions, options.pollMs ?? 50);
    },
    async close() {
      if (closed) return;
      closed = true;
      signal.notify();
      // Leave a small WAL behind for the other processes on this file (a passive checkpoint waits for no one). On a
      // full or failing disk the checkpoint cannot run: the committed events stay safe in the WAL, and closing goes on.
      try {
        if (options.walAutocheckpointPages !== undefined) db.exec("PRAGMA wal_checkpoint(PASSIVE)");
      } catch {
        // Nothing to do: the next writer or reader checkpoints the WAL.
      }
      try {
        db.close();
      } catch {
        // The handle is gone either way; close must not turn a reported fault into a second, uncaught one.
      }
    },
  };
}
