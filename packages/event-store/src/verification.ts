import type { RecordedEvent } from "@revgraph/events";
import { hashEnvelope } from "./hashing.ts";
import {
  CHECKPOINT_STREAM,
  chainLogHash,
  columnMismatches,
  GENESIS_LOG_HASH,
  type LogDigest,
  type StoredRow,
} from "./log-chain.ts";

/** What a finding is about. */
export type FindingCheck =
  | "json"
  | "column"
  | "content-hash"
  | "stream-chain"
  | "log-chain"
  | "position"
  | "checkpoint"
  | "head"
  | "digest";

/** One disagreement found by {@link verifyLog}: where it is (position and event, when it concerns one row) and why. */
export interface Finding {
  readonly check: FindingCheck;
  /** Global position of the row (the storage's position column), null for findings about the whole log. */
  readonly position: number | null;
  readonly eventId: string | null;
  readonly streamId: string | null;
  readonly reason: string;
}

/** What {@link verifyLog} checks the rows against besides themselves. */
export interface VerifyLogOptions {
  /** The head the store recorded at its last append (`EventStore.digest()`), or the error reading it. */
  readonly head: LogDigest | { readonly error: string; readonly position: number | null };
  /** A digest saved earlier: the log must still extend it. */
  readonly saved?: LogDigest;
  /** Called every 10,000 rows with the number checked so far. */
  readonly onProgress?: (rows: number) => void;
}

/** Result of {@link verifyLog}: how much was checked and every finding, in log order. */
export interface LogVerification {
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  /** The last row's position and log hash as recomputed (the digest an auditor can save). */
  readonly computed: LogDigest;
  readonly findings: readonly Finding[];
}

/**
 * Checks a whole log as stored, and reports every finding rather than the first: positions gapless from 1, every
 * indexed column equal to the envelope, every envelope valid JSON with a matching content hash, each stream's
 * revisions gapless from 0 with `prevHash` chained, the global log chain (`logHash`) over every row, every checkpoint
 * digest in the log, the recorded head equal to the last row (count = head), and a saved digest still extended.
 * After a finding it carries on from the row's stored values, so one tampered row is reported once, not at every row
 * after it.
 */
export async function verifyLog(
  rows: AsyncIterable<StoredRow> | Iterable<StoredRow>,
  options: VerifyLogOptions,
): Promise<LogVerification> {
  const findings: Finding[] = [];
  const streams = new Map<string, { revision: number; hash: string }>();
  let count = 0;
  let lastPosition = 0;
  let storedLogHash = GENESIS_LOG_HASH;
  let computedLogHash = GENESIS_LOG_HASH;
  let lastRecordedAt: string | null = null;
  const saved = options.saved;
  let savedSeen = false;
  for await (const row of rows) {
    count++;
    if (count % 10_000 === 0) options.onProgress?.(count);
    const find = (check: FindingCheck, reason: string, event?: RecordedEvent) =>
      findings.push({
        check,
        position: row.position,
        eventId: typeof event?.id === "string" ? event.id : row.eventId,
        streamId: typeof event?.streamId === "string" ? event.streamId : row.streamId,
        reason,
      });
    if (row.position !== lastPosition + 1) {
      find(
        "position",
        row.position === lastPosition + 2
          ? `position ${lastPosition + 1} is missing (a deletion)`
          : row.position > lastPosition + 2
            ? `positions ${lastPosition + 1}…${row.position - 1} are missing (a deletion)`
            : `position ${row.position} follows ${lastPosition}`,
      );
    }
    lastPosition = row.position;

    let event: RecordedEvent | undefined;
    try {
      event = JSON.parse(row.envelope) as RecordedEvent;
      if (typeof event !== "object" || event === null || Array.isArray(event)) throw new Error("not an object");
    } catch (error) {
      event = undefined;
      find("json", `the stored envelope is not a valid JSON object (${error instanceof Error ? error.message : String(error)})`);
    }
    const eventHash = event?.hash ?? row.hash;
    if (event) {
      for (const mismatch of columnMismatches(row, event)) find("column", mismatch, event);
      const { hash, ...content } = event;
      const actual = hashEnvelope(content);
      if (actual !== hash) {
        find(
          "content-hash",
          `content hash mismatch (stored ${String(hash).slice(0, 12)}…, computed ${actual.slice(0, 12)}…)`,
          event,
        );
      }
      const head = streams.get(event.streamId);
      const expectedRevision = head ? head.revision + 1 : 0;
      if (event.streamRevision !== expectedRevision) {
        find(
          "stream-chain",
          event.streamRevision > expectedRevision
            ? `stream ${event.streamId} goes on at revision ${event.streamRevision}, expected ${expectedRevision} (revisions missing)`
            : `stream ${event.streamId} has revision ${event.streamRevision} again, expected ${expectedRevision}`,
          event,
        );
      } else if (event.prevHash !== (head?.hash ?? null)) {
        find("stream-chain", `prevHash does not match the hash of ${event.streamId}@${expectedRevision - 1}`, event);
      }
      streams.set(event.streamId, { revision: event.streamRevision, hash });
      lastRecordedAt = typeof event.recordedAt === "string" ? event.recordedAt : lastRecordedAt;
      if (event.type === "LogCheckpointed" && event.streamId === CHECKPOINT_STREAM) {
        const data = event.data as { position: number; logHash: string };
        if (data.position !== row.position - 1 || data.logHash !== computedLogHash) {
          find(
            "checkpoint",
            `checkpoint says position ${data.position} has log hash ${data.logHash.slice(0, 12)}…, the log has ${computedLogHash.slice(0, 12)}… at ${row.position - 1}`,
            event,
          );
        }
      }
    }

    const expectedLogHash = chainLogHash(storedLogHash, eventHash);
    if (row.logHash === null) find("log-chain", "the row has no log hash", event);
    else if (row.logHash !== expectedLogHash) {
      find(
        "log-chain",
        "log hash does not chain from the previous row (a row before it was deleted, inserted, moved or edited)",
        event,
      );
    }
    computedLogHash = row.logHash ?? expectedLogHash;
    storedLogHash = computedLogHash;
    if (saved && row.position === saved.position) {
      savedSeen = true;
      if (computedLogHash !== saved.logHash) {
        findings.push({
          check: "digest",
          position: row.position,
          eventId: event?.id ?? row.eventId,
          streamId: event?.streamId ?? row.streamId,
          reason: `the saved digest has log hash ${saved.logHash.slice(0, 12)}… at position ${saved.position}, the log has ${computedLogHash.slice(0, 12)}…: the log was rewritten since`,
        });
      }
    }
  }

  const logFinding = (check: FindingCheck, reason: string, position: number | null = null) =>
    findings.push({ check, position, eventId: null, streamId: null, reason });
  if ("error" in options.head) logFinding("head", options.head.error, options.head.position);
  else {
    const head = options.head;
    if (head.position !== lastPosition || head.position !== count) {
      logFinding(
        "head",
        `the store's head record says ${head.position} events, the log holds ${count} ending at position ${lastPosition} (rows cut from the end or added around the store)`,
        head.position > lastPosition ? head.position : null,
      );
    } else if (head.logHash !== computedLogHash) {
      logFinding("head", "the store's head record has another log hash than the last row");
    }
  }
  if (saved && !savedSeen) {
    if (saved.position === 0) {
      if (saved.logHash !== GENESIS_LOG_HASH) logFinding("digest", "the saved digest is of an empty log but has a log hash");
    } else if (lastPosition < saved.position) {
      logFinding(
        "digest",
        `the log was cut back: the saved digest is at position ${saved.position}, the log ends at position ${lastPosition}`,
      );
    } else logFinding("digest", `the log has no row at position ${saved.position}, where the saved digest is`);
  }
  return {
    ok: findings.length === 0,
    eventsChecked: count,
    streamsChecked: streams.size,
    computed: { position: lastPosition, logHash: computedLogHash, recordedAt: lastRecordedAt },
    findings,
  };
}
