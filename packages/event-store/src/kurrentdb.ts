import { randomUUID } from "node:crypto";
import {
  type AppendStreamRequest,
  type AppendStreamState,
  BACKWARDS,
  END,
  type EventData,
  FORWARDS,
  jsonEvent,
  KurrentDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
  type StreamSubscription,
  WrongExpectedVersionError,
} from "@kurrent/kurrentdb-client";
import type { RecordedEvent } from "@revgraph/events";
import {
  type AppendPlan,
  appendResult,
  matchesFilter,
  type PreparedEvent,
  planAppend,
  prepareEvents,
  requestTerms,
} from "./append-plan.ts";
import { StoreClosedError, WrongExpectedRevisionError } from "./errors.ts";
import { emptyLogDigest, type LogDigest, type StoredRow, sealLogHashes } from "./log-chain.ts";
import type {
  AppendRequest,
  AppendResult,
  EventStore,
  ReadAllOptions,
  ReadRowsOptions,
  ReadStreamOptions,
  SubscribeOptions,
} from "./port.ts";
import { ChangeSignal, pollingSubscription } from "./subscription.ts";

/** Options of {@link openKurrentDbEventStore}. */
export interface KurrentDbEventStoreOptions {
  /** e.g. `kurrentdb://admin:changeit@node1:2113,node2:2113,node3:2113?tls=true`. */
  readonly connectionString: string;
  /** Prefix of every stream revgraph writes (default "revgraph"): `<prefix>-log`, `<prefix>-id-<uuid>`, `<prefix>.<stream>`. */
  readonly prefix?: string;
  /** Re-plans an append this many times when another writer moved the log first (default 100). */
  readonly maxLogRetries?: number;
  readonly clock?: () => Date;
}

type Revision = bigint | typeof NO_STREAM;
const revision = (value: number): Revision => (value < 0 ? NO_STREAM : BigInt(value));

/**
 * The event store port on a KurrentDB cluster (the successor of EventStoreDB).
 *
 * KurrentDB positions in `$all` are sparse and assigned at commit, while revgraph's envelope carries a gapless global
 * position inside its hash chain. So every append is one atomic `multiStreamAppend` of:
 * - the events into their own stream `<prefix>.<streamId>`, at the caller's expected revision;
 * - the same envelopes into the log stream `<prefix>-log`, at the log's current revision — so global position =
 *   log revision + 1, gapless, and a concurrent writer that moved the log first makes this append re-plan (the
 *   caller's own expected revision is checked again, nothing is lost or doubled);
 * - one pointer per event into `<prefix>-id-<eventId>` with expected state "no stream" — the server itself refuses a
 *   second event with the same id, and `readEventsById` reads these pointers.
 * Reads of a stream, of the log and by id read those streams; subscriptions page the log and wake on a live
 * KurrentDB subscription to it, re-subscribing after a drop and resuming from the last delivered position.
 *
 * The global log chain rides in the metadata of each log-stream event (`{ logHash }`); the log stream's revision is
 * the position column that verification compares with the envelope. The server keeps no separate head record and
 * this adapter writes no checkpoint events: a cut tail shows only against a saved digest.
 */
export async function openKurrentDbEventStore(options: KurrentDbEventStoreOptions): Promise<EventStore> {
  const client = KurrentDBClient.connectionString(options.connectionString);
  const prefix = options.prefix ?? "revgraph";
  const logStream = `${prefix}-log`;
  const streamName = (streamId: string) => `${prefix}.${streamId}`;
  const idStream = (eventId: string) => `${prefix}-id-${eventId}`;
  const clock = options.clock ?? (() => new Date());
  const maxLogRetries = options.maxLogRetries ?? 100;
  const signal = new ChangeSignal();
  let closed = false;
  let live: StreamSubscription | undefined;
  const ensureOpen = () => {
    if (closed) throw new StoreClosedError("kurrentdb");
  };

  async function readEnvelopes(
    stream: string,
    read: { fromRevision?: bigint; direction?: typeof FORWARDS | typeof BACKWARDS; maxCount: number },
  ) {
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of client.readStream(stream, {
        fromRevision: read.fromRevision ?? (read.direction === BACKWARDS ? END : START),
        direction: read.direction ?? FORWARDS,
        maxCount: read.maxCount,
      })) {
        if (resolved.event) events.push(resolved.event.data as unknown as RecordedEvent);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /** Log-stream entries with their KurrentDB revision and the log hash from their metadata. */
  async function readLogRows(
    fromRevision: bigint | typeof END,
    maxCount: number,
    direction: typeof FORWARDS | typeof BACKWARDS = FORWARDS,
  ): Promise<StoredRow[]> {
    const rows: StoredRow[] = [];
    try {
      for await (const resolved of client.readStream(logStream, { fromRevision, direction, maxCount })) {
        const entry = resolved.event;
        if (!entry) continue;
        const envelope = entry.data as unknown as RecordedEvent;
        const metadata = entry.metadata as { logHash?: unknown } | undefined;
        rows.push({
          position: Number(entry.revision) + 1,
          eventId: envelope.id,
          streamId: envelope.streamId,
          streamRevision: envelope.streamRevision,
          type: entry.type,
          hash: envelope.hash,
          logHash: typeof metadata?.logHash === "string" ? metadata.logHash : null,
          envelope: JSON.stringify(envelope),
        });
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return rows;
  }

  async function logDigest(): Promise<LogDigest> {
    const [last] = await readLogRows(END, 1, BACKWARDS);
    if (!last) return emptyLogDigest;
    const envelope = JSON.parse(last.envelope) as RecordedEvent;
    return { position: last.position, logHash: last.logHash ?? "", recordedAt: envelope.recordedAt };
  }

  async function lastOf(stream: string): Promise<RecordedEvent | undefined> {
    return (await readEnvelopes(stream, { direction: BACKWARDS, maxCount: 1 }))[0];
  }

  async function storedById(ids: readonly string[]): Promise<Map<string, RecordedEvent>> {
    const stored = new Map<string, RecordedEvent>();
    for (const event of await readEventsById(ids)) stored.set(event.id, event);
    return stored;
  }

  async function readEventById(id: string): Promise<RecordedEvent | undefined> {
    const [pointer] = await readEnvelopes(idStream(id), { maxCount: 1 });
    const position = (pointer as unknown as { globalPosition?: number } | undefined)?.globalPosition;
    if (position === undefined) return undefined;
    return (await readEnvelopes(logStream, { fromRevision: BigInt(position - 1), maxCount: 1 }))[0];
  }

  /** Looks ids up 64 at a time (two reads each: the id's pointer, then the log at its position). */
  async function readEventsById(ids: readonly string[]): Promise<RecordedEvent[]> {
    const found: RecordedEvent[] = [];
    for (let start = 0; start < ids.length; start += 64) {
      const chunk = await Promise.all(ids.slice(start, start + 64).map(readEventById));
      for (const event of chunk) if (event) found.push(event);
    }
    return found;
  }

  /** Plans every request against the current heads (streams named twice continue from their planned events). */
  async function plan(requests: readonly AppendRequest[], prepared: readonly PreparedEvent[][]) {
    const logHead = await lastOf(logStream);
    let headPosition = logHead?.globalPosition ?? 0;
    let lastRecordedAt = logHead?.recordedAt ?? null;
    const streamHeads = new Map<string, { revision: number; hash: string | null; firstExpected: number }>();
    const plans: AppendPlan[] = [];
    for (const [index, request] of requests.entries()) {
      const events = prepared[index] as PreparedEvent[];
      let head = streamHeads.get(request.streamId);
      if (!head) {
        const last = await lastOf(streamName(request.streamId));
        head = { revision: last?.streamRevision ?? -1, hash: last?.hash ?? null, firstExpected: last?.streamRevision ?? -1 };
        streamHeads.set(request.streamId, head);
      }
      const planned = planAppend(events, {
        ...requestTerms(request),
        streamRevision: head.revision,
        streamHeadHash: head.hash,
        headPosition,
        lastRecordedAt,
        stored: await storedById(events.map((event) => event.id)),
        now: clock(),
      });
      plans.push(planned);
      const last = planned.events.at(-1);
      if (planned.kind === "write" && last) {
        head.revision = last.streamRevision;
        head.hash = last.hash;
        headPosition = last.globalPosition;
        lastRecordedAt = last.recordedAt;
      }
    }
    return { plans, streamHeads, logRevision: (logHead?.globalPosition ?? 0) - 1 };
  }

  const asData = (envelope: object, type: string, metadata?: Record<string, unknown>): EventData =>
    jsonEvent({ id: randomUUID(), type, data: envelope as Record<string, unknown>, ...(metadata ? { metadata } : {}) });

  async function appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    ensureOpen();
    const prepared = requests.map((request) => prepareEvents(request.events));
    for (let attempt = 0; ; attempt++) {
      const { plans, streamHeads, logRevision } = await plan(requests, prepared);
      const written = plans.flatMap((planned) => (planned.kind === "write" ? planned.events : []));
      const revisionAfter = (planned: AppendPlan, index: number) =>
        planned.events.at(-1)?.streamRevision ?? streamHeads.get(requests[index]?.streamId ?? "")?.revision ?? -1;
      if (written.length === 0) return plans.map((planned, index) => appendResult(planned, revisionAfter(planned, index)));
      const previous = await logDigest();
      const logHashes = sealLogHashes(written, previous.logHash);
      const byStream = new Map<string, RecordedEvent[]>();
      for (const event of written) byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
      const writes: AppendStreamRequest[] = [
        ...[...byStream].map(([streamId, events]) => ({
          streamName: streamName(streamId),
          expectedState: revision(streamHeads.get(streamId)?.firstExpected ?? -1) as AppendStreamState,
          events: events.map((event) => asData(event, event.type)),
        })),
        {
          streamName: logStream,
          expectedState: revision(logRevision) as AppendStreamState,
          events: written.map((event, index) => asData(event, event.type, { logHash: logHashes[index] })),
        },
        ...written.map((event) => ({
          streamName: idStream(event.id),
          expectedState: NO_STREAM as AppendStreamState,
          events: [
            asData(
              { streamId: event.streamId, streamRevision: event.streamRevision, globalPosition: event.globalPosition },
              "revgraph.id",
            ),
          ],
        })),
      ];
      try {
        await client.multiStreamAppend(writes);
        signal.notify();
        return plans.map((planned, index) => appendResult(planned, revisionAfter(planned, index)));
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        const stream = error.streamName;
        const own = [...byStream.keys()].find((streamId) => streamName(streamId) === stream);
        const request = requests.find((candidate) => candidate.streamId === own);
        if (own && request && request.expectedRevision !== undefined && request.expectedRevision !== "any") {
          const actual = (await lastOf(stream))?.streamRevision ?? -1;
          throw new WrongExpectedRevisionError(own, request.expectedRevision, actual);
        }
        // The log or an id stream moved under us (another writer, or the same id stored concurrently): plan again.
        if (attempt >= maxLogRetries)
          throw new Error(`kurrentdb: gave up after ${attempt} attempts to append behind concurrent writers`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 50)));
      }
    }
  }

  async function* readAll(readOptions: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    ensureOpen();
    const pageSize = readOptions.batchSize ?? 5_000;
    let after = readOptions.after ?? 0;
    let remaining = readOptions.maxCount ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const page = await readEnvelopes(logStream, { fromRevision: BigInt(after), maxCount: pageSize });
      for (const event of page) {
        after = event.globalPosition;
        if (!matchesFilter(event, readOptions)) continue;
        yield event;
        if (--remaining <= 0) return;
      }
      if (page.length < pageSize) return;
    }
  }

  function ensureLiveWakeups() {
    if (live || closed) return;
    const subscription = client.subscribeToStream(logStream, { fromRevision: END });
    live = subscription;
    subscription.on("data", () => signal.notify());
    const dropped = () => {
      if (live !== subscription) return;
      live = undefined;
      // A dropped connection: wake readers (they resume from their last position) and subscribe again shortly.
      signal.notify();
      if (!closed) setTimeout(ensureLiveWakeups, 500).unref();
    };
    subscription.on("error", dropped);
    subscription.on("close", dropped);
  }

  return {
    kind: "kurrentdb",
    append: async (streamId, events, appendOptions) =>
      (
        await appendMany([
          {
            streamId,
            events,
            ...(appendOptions?.expectedRevision !== undefined ? { expectedRevision: appendOptions.expectedRevision } : {}),
          },
        ])
      )[0] as AppendResult,
    appendMany,
    async readStream(streamId: string, readOptions: ReadStreamOptions = {}) {
      ensureOpen();
      return readEnvelopes(streamName(streamId), {
        ...(readOptions.fromRevision !== undefined ? { fromRevision: BigInt(readOptions.fromRevision) } : {}),
        direction: readOptions.direction === "backwards" ? BACKWARDS : FORWARDS,
        maxCount: readOptions.maxCount ?? Number.MAX_SAFE_INTEGER,
      });
    },
    readEventsById: async (ids) => {
      ensureOpen();
      return readEventsById(ids);
    },
    async streamRevision(streamId) {
      ensureOpen();
      return (await lastOf(streamName(streamId)))?.streamRevision ?? -1;
    },
    readAll,
    async *readRows(rowOptions: ReadRowsOptions = {}) {
      ensureOpen();
      const pageSize = rowOptions.batchSize ?? 5_000;
      let after = rowOptions.after ?? 0;
      for (;;) {
        const page = await readLogRows(BigInt(after), pageSize);
        yield* page;
        if (page.length < pageSize) return;
        after = (page.at(-1) as StoredRow).position;
      }
    },
    async headPosition() {
      ensureOpen();
      return (await lastOf(logStream))?.globalPosition ?? 0;
    },
    async digest() {
      ensureOpen();
      return logDigest();
    },
    subscribeToAll(subscribeOptions: SubscribeOptions = {}) {
      ensureOpen();
      ensureLiveWakeups();
      return pollingSubscription(readAll, signal, subscribeOptions, 1_000);
    },
    async close() {
      if (closed) return;
      closed = true;
      signal.notify();
      await live?.unsubscribe().catch(() => undefined);
      live = undefined;
      await client.dispose();
    },
  };
}
