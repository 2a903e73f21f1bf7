import { hash as digest } from "node:crypto";
import { canonicalJson, type RecordedEvent } from "@revgraph/events";

/** SHA-256 (hex) of the canonical JSON (RFC 8785) of an envelope without its `hash` field. */
export function hashEnvelope(envelope: Omit<RecordedEvent, "hash">): string {
  return digest("sha256", canonicalJson(envelope), "hex");
}

/** One break in the hash chain, naming the event where it shows. */
export interface ChainViolation {
  readonly eventId: string;
  readonly streamId: string;
  readonly streamRevision: number;
  readonly globalPosition: number;
  readonly reason: string;
}

/** Result of {@link verifyEvents}: how much was checked and the first violation, if any. */
export interface VerifyReport {
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  readonly firstViolation: ChainViolation | null;
}

/**
 * Checks every event's hash and the per-stream chain (`prevHash` = previous event's hash,
 * revisions gapless from 0) over the global log. Stops at, and names, the first bad event.
 */
export async function verifyEvents(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>): Promise<VerifyReport> {
  const heads = new Map<string, { revision: number; hash: string }>();
  let eventsChecked = 0;
  let lastPosition = 0;
  for await (const event of events) {
    const { hash, ...rest } = event;
    const violation = (reason: string): VerifyReport => ({
      eventsChecked,
      streamsChecked: heads.size,
      firstViolation: {
        eventId: event.id,
        streamId: event.streamId,
        streamRevision: event.streamRevision,
        globalPosition: event.globalPosition,
        reason,
      },
    });
    if (event.globalPosition <= lastPosition) return violation(`global position ${event.globalPosition} does not increase`);
    const head = heads.get(event.streamId);
    const expectedRevision = head ? head.revision + 1 : 0;
    if (event.streamRevision !== expectedRevision) {
      return violation(`stream revision ${event.streamRevision}, expected ${expectedRevision}`);
    }
    if (event.prevHash !== (head?.hash ?? null)) return violation("prevHash does not match the previous event's hash");
    const actual = hashEnvelope(rest);
    if (actual !== hash)
      return violation(`content hash mismatch (stored ${hash.slice(0, 12)}…, computed ${actual.slice(0, 12)}…)`);
    heads.set(event.streamId, { revision: event.streamRevision, hash });
    lastPosition = event.globalPosition;
    eventsChecked++;
  }
  return { eventsChecked, streamsChecked: heads.size, firstViolation: null };
}
