import type { ExpectedRevision } from "./port.ts";

/** The stream was not at the revision the caller expected. Nothing was written. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = "WrongExpectedRevisionError";
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  /** The stream's actual revision, -1 when it does not exist. */
  readonly actual: number;
  constructor(streamId: string, expected: ExpectedRevision, actual: number) {
    super(
      `stream ${JSON.stringify(streamId)}: expected revision ${String(expected)}, but it is ${actual === -1 ? "absent" : `at revision ${actual}`}`,
    );
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/** An event id already stored with other content (or in another stream). Nothing was written. */
export class IdempotencyConflictError extends Error {
  override readonly name = "IdempotencyConflictError";
  readonly eventId: string;
  readonly detail: string;
  constructor(eventId: string, detail: string) {
    super(`event id ${eventId} is already stored with different content: ${detail}`);
    this.eventId = eventId;
    this.detail = detail;
  }
}

/** The append call mixed event ids that are stored with ids that are not. Nothing was written. */
export class PartialReplayError extends Error {
  override readonly name = "PartialReplayError";
  readonly storedIds: readonly string[];
  readonly newIds: readonly string[];
  constructor(storedIds: readonly string[], newIds: readonly string[]) {
    super(
      `append mixes ${storedIds.length} already stored event id(s) (first ${storedIds[0]}) with ${newIds.length} new one(s): retry the original call unchanged, or send only the new events`,
    );
    this.storedIds = storedIds;
    this.newIds = newIds;
  }
}

/** The store was used after `close()`. */
export class StoreClosedError extends Error {
  override readonly name = "StoreClosedError";
  constructor(kind: string) {
    super(`the ${kind} event store is closed`);
  }
}

/** An explicit record time the store refuses (untrusted, malformed, in the future or before the log's latest). Nothing was written. */
export class RecordTimeError extends Error {
  override readonly name = "RecordTimeError";
  readonly streamId: string;
  /** Index of the event in its append request, -1 when the request as a whole is at fault. */
  readonly eventIndex: number;
  readonly reason: string;
  constructor(streamId: string, eventIndex: number, reason: string) {
    super(`stream ${JSON.stringify(streamId)}${eventIndex >= 0 ? `, event #${eventIndex}` : ""}: recordedAt ${reason}`);
    this.streamId = streamId;
    this.eventIndex = eventIndex;
    this.reason = reason;
  }
}

/**
 * A stored row that does not match what was sealed at append: an indexed column disagreeing with the hashed envelope,
 * an envelope that is not valid JSON, a log head that disagrees with the log. Reading stops rather than hand out a
 * tampered event; `revgraph verify` lists every such finding.
 */
export class TamperedEventError extends Error {
  override readonly name = "TamperedEventError";
  /** Global position of the row (the storage's position column), null when the finding concerns the whole log. */
  readonly position: number | null;
  /** The event id as far as it can be read, null when the row is unreadable. */
  readonly eventId: string | null;
  readonly reason: string;
  constructor(position: number | null, eventId: string | null, reason: string) {
    super(
      `tampering detected${position === null ? "" : ` at position ${position}`}${eventId ? ` (event ${eventId})` : ""}: ${reason}; run revgraph verify`,
    );
    this.position = position;
    this.eventId = eventId;
    this.reason = reason;
  }
}

/** What went wrong with the storage itself, in words an operator acts on. */
export type StorageFaultCause = "disk full" | "read-only storage" | "I/O error" | "cannot open";

/**
 * The storage under the store failed (disk full, I/O error, read-only file or directory). Names the path and the cause;
 * the write in progress was rolled back as a whole.
 */
export class StorageFaultError extends Error {
  override readonly name = "StorageFaultError";
  readonly path: string;
  readonly fault: StorageFaultCause;
  constructor(path: string, cause: StorageFaultCause, detail: string) {
    super(`storage fault at ${path}: ${cause} (${detail}); nothing of the failed write was stored`);
    this.path = path;
    this.fault = cause;
  }
}

/** A read-only command pointed at a place that holds no revgraph store (a mistyped `--data`, say). */
export class StoreMissingError extends Error {
  override readonly name = "StoreMissingError";
  readonly path: string;
  constructor(path: string) {
    super(`no revgraph store at ${path}`);
    this.path = path;
  }
}
