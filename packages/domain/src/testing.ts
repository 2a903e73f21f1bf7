import { type EventData, type EventType, type RecordedEvent, validateEvent } from "@revgraph/events";

/**
 * Builds a recorded event log in memory for specs (given/when/then) without a store: validates each
 * event like a store would and assigns positions and record times. Hashes are placeholders.
 */
export function eventLog(startRecordedAt = "2026-01-01T00:00:00.000Z") {
  const events: RecordedEvent[] = [];
  let recordedAt = startRecordedAt;
  const revisions = new Map<string, number>();
  return {
    events,
    /** Moves the record clock forward: later events are "known" from this instant. */
    recordAt(instant: string) {
      recordedAt = new Date(instant).toISOString();
    },
    add<T extends EventType>(
      streamId: string,
      type: T,
      data: EventData<T> | Record<string, unknown>,
      occurredAt: string,
    ): RecordedEvent {
      const validated = validateEvent({ type, data, occurredAt }, events.length);
      const revision = (revisions.get(streamId) ?? -1) + 1;
      revisions.set(streamId, revision);
      const position = events.length + 1;
      const event = {
        id: `00000000-0000-4000-8000-${String(position).padStart(12, "0")}`,
        type: validated.type,
        schemaVersion: validated.schemaVersion,
        streamId,
        streamRevision: revision,
        globalPosition: position,
        occurredAt: validated.occurredAt,
        recordedAt,
        actor: validated.actor,
        source: null,
        causationId: null,
        correlationId: null,
        data: validated.data,
        prevHash: null,
        hash: "0",
      } as RecordedEvent;
      events.push(event);
      return event;
    },
  };
}
