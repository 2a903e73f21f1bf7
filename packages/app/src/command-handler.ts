import { createHash } from "node:crypto";
import type { Decision } from "@revgraph/domain";
import { type EventStore, IdempotencyConflictError as StoredIdConflict, WrongExpectedRevisionError } from "@revgraph/event-store";
import {
  canonicalJson,
  type DomainEvent,
  type EventSource,
  type NewEvent,
  type RecordedEvent,
  uuidFromHex,
} from "@revgraph/events";
import { CommandRejectedError, ConcurrencyConflictError, GateNotMetError, IdempotencyConflictError } from "./errors.ts";

/** A decider in the Emmett style: a pure decision over the state folded from the stream's own events. */
export interface Decider<State, Command> {
  readonly initialState: State;
  evolve(state: State, event: DomainEvent): State;
  decide(command: Command, state: State): Decision;
}

/** What a successful command returns: the events it recorded and the stream's new revision. */
export interface CommandOutcome {
  readonly streamId: string;
  readonly streamRevision: number;
  readonly events: readonly RecordedEvent[];
  /** True when the idempotency key had already been used for this same command: nothing new was written. */
  readonly replayed: boolean;
}

/** One command for {@link handleCommand}. */
export interface CommandRequest<State, Command> {
  readonly streamId: string;
  readonly decider: Decider<State, Command>;
  readonly command: Command;
  /** Who runs it: idempotency keys are scoped to this id. */
  readonly principalId: string;
  /** Any stable description of the command (name and validated input): a key reused with another one conflicts. */
  readonly fingerprint: unknown;
  readonly idempotencyKey?: string | undefined;
  /** Fail with a concurrency conflict unless the stream is at this revision (-1: does not exist yet). */
  readonly expectedRevision?: number | undefined;
  /** Business time of the events. */
  readonly occurredAt: string;
  readonly actor: string;
  readonly source: EventSource;
  readonly correlationId?: string | undefined;
}

/** The most events one command may record (ids reserved per idempotency key). */
const maxEventsPerCommand = 16;

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The stable id of the `index`-th event of a command with this key, for this principal. */
export function idempotentEventId(principalId: string, key: string, index: number): string {
  return uuidFromHex(sha256(`revgraph:${JSON.stringify([principalId, key])}:${index}`));
}

function rejection(decision: Extract<Decision, { ok: false }>): Error {
  const error = decision.error;
  if (error.code === "gate_not_met") return new GateNotMetError(error.message, error.stage, error.missingEvidence);
  return new CommandRejectedError(error.code, error.message);
}

/** The events an earlier run of this principal's key recorded, when there was one; a different command conflicts. */
async function earlierRun(
  store: EventStore,
  principalId: string,
  key: string,
  reference: string,
): Promise<CommandOutcome | undefined> {
  const ids = Array.from({ length: maxEventsPerCommand }, (_, index) => idempotentEventId(principalId, key, index));
  const found = await store.readEventsById(ids);
  const first = found[0];
  if (!first) return undefined;
  if (first.source?.reference !== reference) throw new IdempotencyConflictError(key);
  return { streamId: first.streamId, streamRevision: (found.at(-1) ?? first).streamRevision, events: found, replayed: true };
}

/**
 * Runs one command against one stream: with an idempotency key, a retry of the same command by the same principal
 * returns the first result (and another command under the same key is an {@link IdempotencyConflictError}); else read
 * the stream, check the expected revision, fold it with the decider, decide, and append the decision in one atomic
 * append guarded by the revision read — so a concurrent writer makes it a {@link ConcurrencyConflictError}, never a
 * partial write.
 */
export async function handleCommand<State, Command>(
  store: EventStore,
  request: CommandRequest<State, Command>,
): Promise<CommandOutcome> {
  const key = request.idempotencyKey;
  const reference = `command:${sha256(canonicalJson(request.fingerprint))}`;
  if (key !== undefined) {
    const earlier = await earlierRun(store, request.principalId, key, reference);
    if (earlier) return earlier;
  }
  const history = await store.readStream(request.streamId);
  const revision = history.length - 1;
  if (request.expectedRevision !== undefined && request.expectedRevision !== revision)
    throw new ConcurrencyConflictError(request.streamId, String(request.expectedRevision), revision);
  const state = history.reduce(
    (folded, event) => request.decider.evolve(folded, event as DomainEvent),
    request.decider.initialState,
  );
  const decision = request.decider.decide(request.command, state);
  if (!decision.ok) throw rejection(decision);
  if (decision.events.length > maxEventsPerCommand)
    throw new Error(`a command recorded ${decision.events.length} events, more than the ${maxEventsPerCommand} reserved per key`);
  const events: NewEvent[] = decision.events.map((event, index) => ({
    ...(key !== undefined ? { id: idempotentEventId(request.principalId, key, index) } : {}),
    type: event.type,
    data: event.data,
    occurredAt: request.occurredAt,
    actor: request.actor,
    source: { ...request.source, reference },
    ...(request.correlationId ? { correlationId: request.correlationId } : {}),
  }));
  try {
    const result = await store.append(request.streamId, events, { expectedRevision: revision === -1 ? "no_stream" : revision });
    return {
      streamId: request.streamId,
      streamRevision: result.nextExpectedRevision,
      events: result.events,
      replayed: result.idempotentReplay,
    };
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError)
      throw new ConcurrencyConflictError(request.streamId, String(error.expected), error.actual);
    // The same key raced in from another request: answer as a retry would (or as a conflict).
    if (error instanceof StoredIdConflict && key !== undefined) {
      const earlier = await earlierRun(store, request.principalId, key, reference);
      if (earlier) return earlier;
    }
    throw error;
  }
}
