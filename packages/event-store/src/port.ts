import type { NewEvent, RecordedEvent } from "@revgraph/events";
import type { LogDigest, StoredRow } from "./log-chain.ts";

/** What the caller believes about the stream's current state when appending. */
export type ExpectedRevision = "any" | "no_stream" | "stream_exists" | number;

/** Outcome of a successful append. */
export interface AppendResult {
  /** The stream's revision after the append: pass it as `expectedRevision` next time. */
  readonly nextExpectedRevision: number;
  /** Global positions of the appended events, in order. */
  readonly positions: readonly number[];
  /** The stored events (for a no-op retry, the ones stored earlier). */
  readonly events: readonly RecordedEvent[];
  /** True when every event id was already stored with the same content, so nothing was written. */
  readonly idempotentReplay: boolean;
}

/** Options for {@link EventStore.append}. */
export interface AppendOptions {
  readonly expectedRevision?: ExpectedRevision;
}

/** One stream's part of an {@link EventStore.appendMany} call. */
export interface AppendRequest extends AppendOptions {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  /**
   * When some of the events are already stored (same id, same content), leave those out and append
   * the rest, instead of failing with `PartialReplayError`. For imports of overlapping sources.
   * An id stored with other content still fails with `IdempotencyConflictError`.
   */
  readonly skipStored?: boolean;
  /**
   * The record time of each event, in the order of `events` (ISO-8601 with `Z` or an offset), for seeding and for
   * imports that carry the source system's timestamps. Honoured only when `trustRecordedAt` is true; each time must
   * not be after the store's clock nor before the log's latest record time (nor an earlier event's of the same
   * append), so the events known at any record time stay a prefix of the log. Without it, events are recorded now.
   */
  readonly recordedAt?: readonly string[];
  /** The caller vouches for `recordedAt` (seeding, imports with source timestamps); API commands never set it. */
  readonly trustRecordedAt?: boolean;
}

/** Options for {@link EventStore.readStream}. */
export interface ReadStreamOptions {
  readonly direction?: "forwards" | "backwards";
  /** First revision to return (inclusive); default the start (forwards) or the end (backwards). */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

/** Filter shared by {@link EventStore.readAll} and {@link EventStore.subscribeToAll}. */
export interface AllFilter {
  readonly types?: readonly string[];
  readonly streamPrefix?: string;
}

/** Options for {@link EventStore.readAll}. */
export interface ReadAllOptions extends AllFilter {
  /** Return events with a global position strictly after this one (default 0: from the start). */
  readonly after?: number;
  readonly maxCount?: number;
  /** Events are read from the store in pages of this size (default 5,000). */
  readonly batchSize?: number;
}

/** Options for {@link EventStore.readRows}. */
export interface ReadRowsOptions {
  /** Rows with a position strictly after this one (default 0). */
  readonly after?: number;
  /** Rows are read in pages of this size (default 5,000). */
  readonly batchSize?: number;
}

/** Options for {@link EventStore.subscribeToAll}. */
export interface SubscribeOptions extends AllFilter {
  /** Deliver events strictly after this global position (default 0). */
  readonly after?: number;
}

/** A live subscription: iterate it for events (catch-up, then live); `close` ends the iteration. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

/**
 * The one port every event store adapter implements: memory, SQLite, PostgreSQL, KurrentDB.
 * Appends are atomic per call and idempotent by event id; reads return events in order. Reads check every row's
 * indexed columns against its envelope and stop with `TamperedEventError` on a disagreement.
 */
export interface EventStore {
  /** Human-readable name of the adapter, for logs and errors. */
  readonly kind: string;
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several streams in one atomic step: every request lands, or none does (for imports and
   * bulk loads). Each request is checked like `append`; results come back in request order.
   */
  appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The stored events with these ids, in the order asked; unknown ids are left out. */
  readEventsById(ids: readonly string[]): Promise<RecordedEvent[]>;
  /** Current revision of a stream, or -1 when it does not exist. */
  streamRevision(streamId: string): Promise<number>;
  /** Reads the global log in position order, paging through the store. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Global position of the newest event, 0 when empty. */
  headPosition(): Promise<number>;
  /**
   * The log's head as the store recorded it at the last append: position, log hash (the global chain over every event)
   * and record time. Save it somewhere else; `verify --digest` proves later that the log still extends it.
   */
  digest(): Promise<LogDigest>;
  /**
   * Every stored row as the storage holds it, in position order, unchecked: indexed columns, the raw envelope and its
   * log hash. For verification, which reports every disagreement instead of stopping at the first.
   */
  readRows(options?: ReadRowsOptions): AsyncIterable<StoredRow>;
  /** Catch-up then live subscription to the global log: every event once, in order, no gaps. */
  subscribeToAll(options?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}
