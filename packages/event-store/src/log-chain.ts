import { hash as digest } from "node:crypto";
import type { NewEvent, RecordedEvent } from "@revgraph/events";
import { TamperedEventError } from "./errors.ts";
import type { AppendRequest } from "./port.ts";

/** The log hash before the first event (position 0). */
export const GENESIS_LOG_HASH = "0".repeat(64);

/** The stream the store writes its periodic checkpoint digests into. */
export const CHECKPOINT_STREAM = "revgraph-checkpoints";

/** Default number of events between two checkpoint digests written into the log. */
export const DEFAULT_CHECKPOINT_EVERY = 10_000;

/**
 * The head of the log: the newest position, the log hash chained over every event up to it, and its record time.
 * Saved outside the store, it lets `verify --digest` prove later that the log still extends it.
 */
export interface LogDigest {
  readonly position: number;
  readonly logHash: string;
  /** Record time of the event at `position`; null for the empty log. */
  readonly recordedAt: string | null;
}

/** The digest of an empty log. */
export const emptyLogDigest: LogDigest = { position: 0, logHash: GENESIS_LOG_HASH, recordedAt: null };

/** One row as the storage holds it: the indexed columns, the raw envelope text and the chained log hash. */
export interface StoredRow {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly streamRevision: number;
  readonly type: string;
  readonly hash: string;
  /** Null when the storage lost it (a row written around the store). */
  readonly logHash: string | null;
  /** The envelope exactly as stored (JSON text). */
  readonly envelope: string;
}

/**
 * The global chain: `logHash(n) = SHA-256("<logHash(n-1)>:<hash(n)>")`, from {@link GENESIS_LOG_HASH}. The event's
 * hash covers its whole envelope including its global position, so the chain binds every event to its place: a
 * deletion, insertion, swap or edit anywhere changes every log hash after it.
 */
export function chainLogHash(previous: string, eventHash: string): string {
  return digest("sha256", `${previous}:${eventHash}`, "hex");
}

/** The log hashes of freshly sealed events, in order, continuing the chain from `previous`. */
export function sealLogHashes(events: readonly RecordedEvent[], previous: string): string[] {
  let logHash = previous;
  return events.map((event) => {
    logHash = chainLogHash(logHash, event.hash);
    return logHash;
  });
}

/** True when an append that moved the head from `before` to `after` passed a multiple of `every`. */
export function checkpointDue(before: number, after: number, every: number): boolean {
  return every > 0 && Math.floor(after / every) > Math.floor(before / every);
}

/**
 * The append request writing the checkpoint of `head`. It carries the head's own record time (trusted: the store
 * made it), so a checkpoint in the middle of a seeding or an import with explicit record times never stands later
 * in record time than the events after it.
 */
export function checkpointRequest(head: LogDigest): AppendRequest {
  const events = [checkpointEvent(head)];
  return head.recordedAt
    ? { streamId: CHECKPOINT_STREAM, events, recordedAt: [head.recordedAt], trustRecordedAt: true }
    : { streamId: CHECKPOINT_STREAM, events };
}

/** The checkpoint event recording `head` inside the log itself (written right after it, at `head.position + 1`). */
export function checkpointEvent(head: LogDigest): NewEvent {
  return {
    type: "LogCheckpointed",
    occurredAt: head.recordedAt ?? new Date(0).toISOString(),
    actor: "revgraph-store",
    data: { position: head.position, logHash: head.logHash },
  };
}

/** The column values a row must carry for its envelope. */
interface RowColumns {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly streamRevision: number;
  readonly type: string;
  readonly hash: string;
}

/** Every indexed column that disagrees with the envelope, as `column "x" says …, the envelope …` sentences. */
export function columnMismatches(columns: RowColumns, event: RecordedEvent): string[] {
  const pairs: [string, unknown, unknown][] = [
    ["position", columns.position, event.globalPosition],
    ["event_id", columns.eventId.toLowerCase(), typeof event.id === "string" ? event.id.toLowerCase() : event.id],
    ["stream_id", columns.streamId, event.streamId],
    ["stream_revision", columns.streamRevision, event.streamRevision],
    ["type", columns.type, event.type],
    ["hash", columns.hash, event.hash],
  ];
  return pairs
    .filter(([, column, envelope]) => column !== envelope)
    .map(
      ([name, column, envelope]) =>
        `column ${name} is ${JSON.stringify(column)} but the envelope says ${JSON.stringify(envelope)}`,
    );
}

/** Parses a stored envelope, or throws {@link TamperedEventError} naming the position when it is not valid JSON. */
export function parseEnvelope(position: number, eventId: string | null, text: string): RecordedEvent {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as RecordedEvent;
  } catch (error) {
    throw new TamperedEventError(
      position,
      eventId,
      `the stored envelope is not a valid JSON object (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/**
 * The event of a row read for use (not for audit): its columns must agree with its envelope, or reading stops with a
 * {@link TamperedEventError} naming the position and the event.
 */
export function checkedEvent(columns: RowColumns, envelope: RecordedEvent | string): RecordedEvent {
  const event = typeof envelope === "string" ? parseEnvelope(columns.position, columns.eventId, envelope) : envelope;
  // Every read goes through here: compare in place first, and only build the sentences when something differs.
  if (
    columns.position === event.globalPosition &&
    columns.eventId === event.id &&
    columns.streamId === event.streamId &&
    columns.streamRevision === event.streamRevision &&
    columns.type === event.type &&
    columns.hash === event.hash
  ) {
    return event;
  }
  const mismatches = columnMismatches(columns, event);
  if (mismatches.length > 0) throw new TamperedEventError(columns.position, columns.eventId, mismatches.join("; "));
  return event;
}
