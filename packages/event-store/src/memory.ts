import type { NewEvent, RecordedEvent } from "@revgraph/events";
import {
  type AppendPlan,
  appendResult,
  matchesFilter,
  type PreparedEvent,
  planAppend,
  prepareEvents,
  requestTerms,
} from "./append-plan.ts";
import { StoreClosedError } from "./errors.ts";
import {
  chainLogHash,
  checkpointDue,
  checkpointRequest,
  DEFAULT_CHECKPOINT_EVERY,
  emptyLogDigest,
  type LogDigest,
  type StoredRow,
} from "./log-chain.ts";
import type {
  AppendOptions,
  AppendRequest,
  AppendResult,
  EventStore,
  ReadAllOptions,
  ReadRowsOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
} from "./port.ts";
import { sliceStream } from "./read-stream.ts";
import { ChangeSignal, pollingSubscription } from "./subscription.ts";

/** Options for {@link createMemoryEventStore}. */
export interface MemoryEventStoreOptions {
  /** Clock for `recordedAt`; defaults to the system clock. */
  readonly clock?: () => Date;
  /** Events between two checkpoint digests written into the log (default 10,000; 0 for none). */
  readonly checkpointEvery?: number;
}

/** An in-memory event store for tests and demos. Same semantics as the durable adapters. */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const clock = options.clock ?? (() => new Date());
  const checkpointEvery = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const log: RecordedEvent[] = [];
  /** The log hash of each event of `log`, same index. */
  const logHashes: string[] = [];
  let head: LogDigest = emptyLogDigest;
  const streams = new Map<string, RecordedEvent[]>();
  const byId = new Map<string, RecordedEvent>();
  const signal = new ChangeSignal();
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new StoreClosedError("memory");
  };

  async function* readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    ensureOpen();
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    for (let index = options.after ?? 0; index < log.length && remaining > 0; index++) {
      const event = log[index] as RecordedEvent;
      if (!matchesFilter(event, options)) continue;
      remaining--;
      yield event;
    }
  }

  const store: EventStore = {
    kind: "memory",
    async append(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
      return (await store.appendMany([{ streamId, events, ...options }]))[0] as AppendResult;
    },
    async appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
      ensureOpen();
      const prepared = requests.map((request) => prepareEvents(request.events));
      const pending: RecordedEvent[] = [];
      const pendingByStream = new Map<string, RecordedEvent[]>();
      const pendingById = new Map<string, RecordedEvent>();
      const plan = (request: AppendRequest, events: readonly PreparedEvent[]) => {
        const stream = [...(streams.get(request.streamId) ?? []), ...(pendingByStream.get(request.streamId) ?? [])];
        const stored = new Map<string, RecordedEvent>();
        for (const event of events) {
          const existing = byId.get(event.id) ?? pendingById.get(event.id);
          if (existing) stored.set(event.id, existing);
        }
        const planned: AppendPlan = planAppend(events, {
          ...requestTerms(request),
          streamRevision: stream.length - 1,
          streamHeadHash: stream.at(-1)?.hash ?? null,
          headPosition: log.length + pending.length,
          lastRecordedAt: (pending.at(-1) ?? log.at(-1))?.recordedAt ?? null,
          stored,
          now: clock(),
        });
        if (planned.kind === "write") {
          for (const event of planned.events) {
            pending.push(event);
            pendingByStream.set(request.streamId, [...(pendingByStream.get(request.streamId) ?? []), event]);
            pendingById.set(event.id, event);
          }
        }
        return appendResult(planned, planned.events.at(-1)?.streamRevision ?? stream.length - 1);
      };
      const results = requests.map((request, index) => plan(request, prepared[index] as PreparedEvent[]));
      if (checkpointDue(log.length, log.length + pending.length, checkpointEvery)) {
        let logHash = head.logHash;
        for (const event of pending) logHash = chainLogHash(logHash, event.hash);
        const last = pending.at(-1) as RecordedEvent;
        const checkpoint = checkpointRequest({ position: last.globalPosition, logHash, recordedAt: last.recordedAt });
        plan(checkpoint, prepareEvents(checkpoint.events));
      }
      for (const event of pending) {
        const logHash = chainLogHash(head.logHash, event.hash);
        head = { position: event.globalPosition, logHash, recordedAt: event.recordedAt };
        logHashes.push(logHash);
        log.push(event);
        const stream = streams.get(event.streamId) ?? [];
        stream.push(event);
        streams.set(event.streamId, stream);
        byId.set(event.id, event);
      }
      if (pending.length) signal.notify();
      return results;
    },
    async readStream(streamId: string, options: ReadStreamOptions = {}) {
      ensureOpen();
      return sliceStream(streams.get(streamId) ?? [], options);
    },
    async readEventsById(ids: readonly string[]) {
      ensureOpen();
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    async streamRevision(streamId: string) {
      ensureOpen();
      return (streams.get(streamId)?.length ?? 0) - 1;
    },
    readAll,
    async *readRows(rowOptions: ReadRowsOptions = {}): AsyncGenerator<StoredRow> {
      ensureOpen();
      for (let index = rowOptions.after ?? 0; index < log.length; index++) {
        const event = log[index] as RecordedEvent;
        yield {
          position: event.globalPosition,
          eventId: event.id,
          streamId: event.streamId,
          streamRevision: event.streamRevision,
          type: event.type,
          hash: event.hash,
          logHash: logHashes[index] ?? null,
          envelope: JSON.stringify(event),
        };
      }
    },
    async headPosition() {
      ensureOpen();
      return log.length;
    },
    async digest() {
      ensureOpen();
      return head;
    },
    subscribeToAll(options: SubscribeOptions = {}): Subscription {
      ensureOpen();
      return pollingSubscription(readAll, signal, options, 1_000);
    },
    async close() {
      closed = true;
      signal.notify();
    },
  };
  return store;
}
