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
