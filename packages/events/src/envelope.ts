import { z } from "zod";
import { inCanonicalOrder } from "./canonical-json.ts";
import { type DomainEvent, type EventType, eventDataSchemas, scalars } from "./catalog.ts";
import { currentSchemaVersions, upcast } from "./upcasting.ts";

/** Where an event came from outside revgraph, e.g. an import file and row. */
export interface EventSource {
  readonly system: string;
  readonly file?: string;
  readonly row?: number;
  readonly reference?: string;
}

/** The envelope every stored event carries, wrapping its domain data. */
export type RecordedEventOf<E extends DomainEvent> = {
  /** UUID, client-supplied or generated; appends are idempotent by it. */
  readonly id: string;
  readonly type: E["type"];
  readonly schemaVersion: number;
  readonly streamId: string;
  /** 0-based position of the event within its stream. */
  readonly streamRevision: number;
  /** 1-based position in the store's global log, strictly increasing in commit order. */
  readonly globalPosition: number;
  /** Business time: when it happened (may be back-dated), ISO-8601 UTC. */
  readonly occurredAt: string;
  /** Store time: when the store accepted it, ISO-8601 UTC, non-decreasing with globalPosition. */
  readonly recordedAt: string;
  readonly actor: string;
  readonly source: EventSource | null;
  readonly causationId: string | null;
  readonly correlationId: string | null;
  readonly data: E["data"];
  /** Hash of the previous event in the same stream; null for revision 0. */
  readonly prevHash: string | null;
  /** SHA-256 (hex) of the canonical JSON of this envelope without `hash`. */
  readonly hash: string;
};

/** A stored event of any type, discriminated by `type`. */
export type RecordedEvent = { [T in EventType]: RecordedEventOf<Extract<DomainEvent, { type: T }>> }[EventType];

/** An event as a caller hands it to `append`, before validation. */
export interface NewEvent {
  readonly id?: string;
  readonly type: string;
  readonly data: unknown;
  readonly schemaVersion?: number;
  readonly occurredAt: string;
  readonly actor?: string;
  readonly source?: EventSource;
  readonly causationId?: string;
  readonly correlationId?: string;
}

/** A validated event ready to be given a position: data parsed, time normalised to UTC. */
export interface ValidatedEvent {
  readonly id: string | undefined;
  readonly type: EventType;
  readonly schemaVersion: number;
  readonly occurredAt: string;
  readonly actor: string;
  readonly source: EventSource | null;
  readonly causationId: string | null;
  readonly correlationId: string | null;
  readonly data: DomainEvent["data"];
}

/** One problem found in an event: the field path (e.g. `data.amount`) and why. */
export interface EventIssue {
  readonly path: string;
  readonly reason: string;
}

/** An event that failed validation. Names the event (index, id, type) and every bad field. */
export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
  readonly eventIndex: number;
  readonly eventId: string | undefined;
  readonly eventType: string;
  readonly issues: readonly EventIssue[];
  constructor(eventIndex: number, eventId: string | undefined, eventType: string, issues: readonly EventIssue[]) {
    super(
      `invalid event #${eventIndex}${eventId ? ` (id ${eventId})` : ""} of type ${JSON.stringify(eventType)}: ${issues
        .map((issue) => `${issue.path || "(event)"}: ${issue.reason}`)
        .join("; ")}`,
    );
    this.eventIndex = eventIndex;
    this.eventId = eventId;
    this.eventType = eventType;
    this.issues = issues;
  }
}

const uuid = z.uuid();
const sourceSchema = z.object({
  system: z.string().min(1),
  file: z.string().optional(),
  row: z.number().int().nonnegative().optional(),
  reference: z.string().optional(),
});
const envelopeInputSchema = z.object({
  id: uuid.optional(),
  type: z.string(),
  schemaVersion: z.number().int().positive().optional(),
  occurredAt: scalars.timestamp,
  actor: z.string().min(1).optional(),
  source: sourceSchema.optional(),
  causationId: z.string().min(1).optional(),
  correlationId: z.string().min(1).optional(),
  data: z.unknown(),
});

function toIssues(error: z.ZodError, prefix: string): EventIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
    reason: issue.message,
  }));
}

function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventDataSchemas, type);
}

/** Validation results of deeply frozen inputs: such an input cannot change, so validating it again gives the same. */
const validatedInputs = new WeakMap<object, ValidatedEvent>();

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const member of Object.values(value)) if (!isDeepFrozen(member)) return false;
  return true;
}

/**
 * Freezes an event and everything in it. An event frozen this way is validated once: an importer that checks its
 * events before writing does not pay for the store's check again.
 */
export function freezeEvent<T extends NewEvent>(event: T): T {
  const freeze = (value: unknown): void => {
    if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
    for (const member of Object.values(value)) freeze(member);
    Object.freeze(value);
  };
  freeze(event);
  return event;
}

/**
 * Validates one incoming event against the envelope rules and its type's data schema,
 * upcasting older schema versions first. Throws {@link InvalidEventError} naming every bad field.
 * A deeply frozen input (see {@link freezeEvent}) that passed before is not checked again.
 */
export function validateEvent(input: NewEvent, eventIndex = 0): ValidatedEvent {
  const known = validatedInputs.get(input);
  if (known) return known;
  const validated = checkEvent(input, eventIndex);
  if (isDeepFrozen(input)) validatedInputs.set(input, validated);
  return validated;
}

function checkEvent(input: NewEvent, eventIndex: number): ValidatedEvent {
  const raw = input as unknown as Record<string, unknown>;
  const rawId = typeof raw.id === "string" ? raw.id : undefined;
  const rawType = typeof raw.type === "string" ? raw.type : String(raw.type);
  const envelope = envelopeInputSchema.safeParse(input);
  if (!envelope.success) throw new InvalidEventError(eventIndex, rawId, rawType, toIssues(envelope.error, ""));
  const { type, data } = envelope.data;
  if (!isEventType(type)) {
    throw new InvalidEventError(eventIndex, rawId, rawType, [
      { path: "type", reason: `unknown event type ${JSON.stringify(type)}` },
    ]);
  }
  const current = currentSchemaVersions[type];
  const version = envelope.data.schemaVersion ?? current;
  if (version > current) {
    throw new InvalidEventError(eventIndex, rawId, type, [
      { path: "schemaVersion", reason: `version ${version} is newer than the newest known (${current})` },
    ]);
  }
  const parsed = eventDataSchemas[type].safeParse(upcast(type, version, data));
  if (!parsed.success) throw new InvalidEventError(eventIndex, rawId, type, toIssues(parsed.error, "data"));
  return {
    id: envelope.data.id,
    type,
    schemaVersion: current,
    occurredAt: new Date(envelope.data.occurredAt).toISOString(),
    actor: envelope.data.actor ?? "system",
    source: envelope.data.source ? inCanonicalOrder(envelope.data.source as EventSource) : null,
    causationId: envelope.data.causationId ?? null,
    correlationId: envelope.data.correlationId ?? null,
    data: inCanonicalOrder(parsed.data as DomainEvent["data"]),
  };
}
