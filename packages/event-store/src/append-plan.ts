import { randomUUID } from "node:crypto";
import { canonicalJson, type NewEvent, type RecordedEvent, scalars, type ValidatedEvent, validateEvent } from "@revgraph/events";
import { IdempotencyConflictError, PartialReplayError, RecordTimeError, WrongExpectedRevisionError } from "./errors.ts";
import { hashEnvelope } from "./hashing.ts";
import type { AppendRequest, ExpectedRevision } from "./port.ts";

/** A validated event with its id settled (client-supplied or freshly generated). */
export type PreparedEvent = ValidatedEvent & { readonly id: string };

/** Validates a whole batch before any I/O; the first invalid event aborts the append. */
export function prepareEvents(events: readonly NewEvent[]): PreparedEvent[] {
  const prepared = events.map((event, index) => {
    const validated = validateEvent(event, index);
    return { ...validated, id: validated.id ?? randomUUID() };
  });
  const seen = new Set<string>();
  for (const event of prepared) {
    if (seen.has(event.id)) throw new IdempotencyConflictError(event.id, "the same id appears twice in one append");
    seen.add(event.id);
  }
  return prepared;
}

/** What an adapter knows, inside its write lock, about the stream and the log. */
export interface AppendContext {
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  /** -1 when the stream does not exist. */
  readonly streamRevision: number;
  readonly streamHeadHash: string | null;
  readonly headPosition: number;
  readonly lastRecordedAt: string | null;
  /** Stored events among the incoming ids. */
  readonly stored: ReadonlyMap<string, RecordedEvent>;
  /** Leave stored events out and write the rest (see `AppendRequest.skipStored`). */
  readonly skipStored?: boolean;
  /** Explicit record times, one per incoming event (see `AppendRequest.recordedAt`). */
  readonly recordedAt?: readonly string[] | undefined;
  /** Whether the request vouches for `recordedAt`. */
  readonly trustRecordedAt?: boolean | undefined;
  readonly now: Date;
}

/** The part of an {@link AppendContext} that the request itself states (the same in every adapter). */
export function requestTerms(
  request: AppendRequest,
): Pick<AppendContext, "streamId" | "expected" | "skipStored" | "recordedAt" | "trustRecordedAt"> {
  return {
    streamId: request.streamId,
    expected: request.expectedRevision ?? "any",
    skipStored: request.skipStored ?? false,
    recordedAt: request.recordedAt,
    trustRecordedAt: request.trustRecordedAt,
  };
}

/** Either the batch was already stored (an idempotent retry), or these sealed events must be written. */
export type AppendPlan =
  | { readonly kind: "replay"; readonly events: readonly RecordedEvent[] }
  | { readonly kind: "write"; readonly events: readonly RecordedEvent[] };

function sameContent(stored: RecordedEvent, incoming: PreparedEvent, streamId: string): string | null {
  if (stored.streamId !== streamId) return `stored in stream ${JSON.stringify(stored.streamId)}, not ${JSON.stringify(streamId)}`;
  if (stored.type !== incoming.type) return `stored as ${stored.type}, not ${incoming.type}`;
  if (stored.occurredAt !== incoming.occurredAt) return `stored with occurredAt ${stored.occurredAt}, not ${incoming.occurredAt}`;
  if (canonicalJson(stored.data) !== canonicalJson(incoming.data)) return "stored with different data";
  return null;
}

function checkExpected(context: AppendContext): void {
  const { expected, streamRevision, streamId } = context;
  const ok =
    expected === "any" ||
    (expected === "no_stream" && streamRevision === -1) ||
    (expected === "stream_exists" && streamRevision >= 0) ||
    expected === streamRevision;
  if (!ok) throw new WrongExpectedRevisionError(streamId, expected, streamRevision);
}

/**
 * The record time of each new event: the explicit ones of a trusted request (checked against the clock and the log's
 * latest record time, in order), otherwise now — or the log's latest record time when the clock is behind it.
 */
function recordTimes(incoming: readonly PreparedEvent[], newIndexes: readonly number[], context: AppendContext): string[] {
  const nowIso = context.now.toISOString();
  const latest = context.lastRecordedAt && context.lastRecordedAt > nowIso ? context.lastRecordedAt : nowIso;
  const explicit = context.recordedAt;
  if (explicit === undefined) return newIndexes.map(() => latest);
  const fail = (index: number, reason: string) => new RecordTimeError(context.streamId, index, reason);
  if (!context.trustRecordedAt) {
    throw fail(-1, "is only honoured for a trusted request (trustRecordedAt: seeding, imports with source timestamps)");
  }
  if (explicit.length !== incoming.length) {
    throw fail(-1, `has ${explicit.length} entries for ${incoming.length} events`);
  }
  let floor = context.lastRecordedAt;
  return newIndexes.map((index) => {
    const raw = explicit[index] as string;
    if (!scalars.timestamp.safeParse(raw).success) {
      throw fail(index, `${JSON.stringify(raw)} is not an ISO-8601 timestamp with Z or an offset`);
    }
    const recordedAt = new Date(raw).toISOString();
    if (recordedAt > nowIso) throw fail(index, `${recordedAt} is in the future (the store's clock says ${nowIso})`);
    if (floor && recordedAt < floor) {
      throw fail(
        index,
        `${recordedAt} is before the log's latest record time ${floor}: what is known at a time must stay a prefix of the log`,
      );
    }
    floor = recordedAt;
    return recordedAt;
  });
}

/**
 * Decides an append inside the adapter's write lock: detects idempotent retries, checks the
 * expected revision, then assigns revisions, positions, record time and the hash chain.
 */
export function planAppend(incoming: readonly PreparedEvent[], context: AppendContext): AppendPlan {
  const storedIds: string[] = [];
  const newEvents: PreparedEvent[] = [];
  const newIndexes: number[] = [];
  for (const [index, event] of incoming.entries()) {
    const stored = context.stored.get(event.id);
    if (!stored) {
      newEvents.push(event);
      newIndexes.push(index);
      continue;
    }
    const difference = sameContent(stored, event, context.streamId);
    if (difference) throw new IdempotencyConflictError(event.id, difference);
    storedIds.push(event.id);
  }
  if (storedIds.length > 0 && newEvents.length > 0 && !context.skipStored) {
    throw new PartialReplayError(
      storedIds,
      newEvents.map((event) => event.id),
    );
  }
  if (newEvents.length === 0 && storedIds.length > 0) {
    return { kind: "replay", events: incoming.map((event) => context.stored.get(event.id) as RecordedEvent) };
  }
  checkExpected(context);
  const recordedAt = recordTimes(incoming, newIndexes, context);
  let prevHash = context.streamHeadHash;
  const sealed = newEvents.map((event, index) => {
    // Members in canonical (sorted) order, so hashing the envelope is a plain JSON.stringify.
    const envelope = {
      actor: event.actor,
      causationId: event.causationId,
      correlationId: event.correlationId,
      data: event.data,
      globalPosition: context.headPosition + 1 + index,
      id: event.id,
      occurredAt: event.occurredAt,
      prevHash,
      recordedAt: recordedAt[index] as string,
      schemaVersion: event.schemaVersion,
      source: event.source,
      streamId: context.streamId,
      streamRevision: context.streamRevision + 1 + index,
      type: event.type,
    } as Omit<RecordedEvent, "hash">;
    const hash = hashEnvelope(envelope);
    prevHash = hash;
    return { ...envelope, hash } as RecordedEvent;
  });
  return { kind: "write", events: sealed };
}

/** Builds the {@link AppendResult} shape shared by all adapters. */
export function appendResult(plan: AppendPlan, streamRevisionAfter: number) {
  return {
    nextExpectedRevision: streamRevisionAfter,
    positions: plan.events.map((event) => event.globalPosition),
    events: plan.events,
    idempotentReplay: plan.kind === "replay",
  };
}

/** True when an event passes a readAll/subscribe filter. */
export function matchesFilter(event: RecordedEvent, filter: { types?: readonly string[]; streamPrefix?: string }): boolean {
  if (filter.types && !filter.types.includes(event.type)) return false;
  if (filter.streamPrefix !== undefined && !event.streamId.startsWith(filter.streamPrefix)) return false;
  return true;
}
