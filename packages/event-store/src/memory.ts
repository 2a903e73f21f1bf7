import type { NewEvent, RecordedEvent } from "@revgraph/events";
import { type AppendPlan, appendResult, matchesFilter, planAppend, prepareEvents } from "./append-plan.ts";
import { StoreClosedError } from "./errors.ts";
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ReadAllOptions,
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
}

/** An in-memory event store for tests and demos. Same semantics as the durable adapters. */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const clock = options.clock ?? (() => new Date());
  const log: RecordedEvent[] = [];
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

  return {
    kind: "memory",
    async append(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
      ensureOpen();
      const prepared = prepareEvents(events);
      const stream = streams.get(streamId) ?? [];
      const stored = new Map<string, RecordedEvent>();
      for (const event of prepared) {
        const existing = byId.get(event.id);
        if (existing) stored.set(event.id, existing);
      }
      const plan: AppendPlan = planAppend(prepared, {
        streamId,
        expected: options.expectedRevision ?? "any",
        streamRevision: stream.length - 1,
        streamHeadHash: stream.at(-1)?.hash ?? null,
        headPosition: log.length,
        lastRecordedAt: log.at(-1)?.recordedAt ?? null,
        stored,
        now: clock(),
      });
      if (plan.kind === "write") {
        for (const event of plan.events) {
          log.push(event);
          stream.push(event);
          byId.set(event.id, event);
        }
        streams.set(streamId, stream);
        signal.notify();
      }
      return appendResult(plan, plan.events.at(-1)?.streamRevision ?? stream.length - 1);
    },
    async readStream(streamId: string, options: ReadStreamOptions = {}) {
      ensureOpen();
      return sliceStream(streams.get(streamId) ?? [], options);
    },
    async streamRevision(streamId: string) {
      ensureOpen();
      return (streams.get(streamId)?.length ?? 0) - 1;
    },
    readAll,
    async headPosition() {
      ensureOpen();
      return log.length;
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
}
