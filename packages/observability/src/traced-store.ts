import { type Attributes, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { AppendResult, EventStore } from "@revgraph/event-store";

const tracer = trace.getTracer("revgraph-event-store");

/** Hooks for metrics: called after each successful append with its event count and duration. */
export interface StoreObserver {
  onAppend?(events: number, seconds: number, idempotentReplay: boolean): void;
}

async function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  after?: (result: T) => Attributes,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const result = await work();
      if (after) span.setAttributes(after(result));
      return result;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

const appended = (result: AppendResult): Attributes => ({
  "revgraph.positions.last": result.positions.at(-1) ?? 0,
  "revgraph.idempotent_replay": result.idempotentReplay,
});

/**
 * The same store with a span around every append and read (child of whatever span is active: the GraphQL request,
 * the projector batch), and an observer for append metrics. Reads of the whole log and subscriptions pass through.
 */
export function tracedEventStore(store: EventStore, observer: StoreObserver = {}): EventStore {
  const attributes = { "db.system": store.kind };
  const timed = async (count: number, work: () => Promise<AppendResult[]>) => {
    const began = performance.now();
    const results = await work();
    observer.onAppend?.(
      count,
      (performance.now() - began) / 1000,
      results.every((result) => result.idempotentReplay),
    );
    return results;
  };
  return {
    kind: store.kind,
    append: (streamId, events, options) =>
      inSpan(
        "eventstore.append",
        { ...attributes, "revgraph.stream": streamId, "revgraph.events": events.length },
        async () => (await timed(events.length, async () => [await store.append(streamId, events, options)]))[0] as AppendResult,
        appended,
      ),
    appendMany: (requests) => {
      const events = requests.reduce((sum, request) => sum + request.events.length, 0);
      return inSpan(
        "eventstore.append_many",
        { ...attributes, "revgraph.streams": requests.length, "revgraph.events": events },
        () => timed(events, () => store.appendMany(requests)),
      );
    },
    readStream: (streamId, options) =>
      inSpan(
        "eventstore.read_stream",
        { ...attributes, "revgraph.stream": streamId },
        () => store.readStream(streamId, options),
        (events) => ({
          "revgraph.events": events.length,
        }),
      ),
    readEventsById: (ids) =>
      inSpan("eventstore.read_by_id", { ...attributes, "revgraph.ids": ids.length }, () => store.readEventsById(ids)),
    streamRevision: (streamId) => store.streamRevision(streamId),
    readAll: (options) => store.readAll(options),
    headPosition: () => store.headPosition(),
    digest: () => store.digest(),
    readRows: (options) => store.readRows(options),
    subscribeToAll: (options) => store.subscribeToAll(options),
    close: () => store.close(),
  };
}
