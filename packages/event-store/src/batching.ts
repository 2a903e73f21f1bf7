import type { RecordedEvent } from "@revgraph/events";

/** Every event an iterable (a `readAll`, a subscription slice) yields, as an array. */
export async function collectEvents<T = RecordedEvent>(events: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

/**
 * Groups per-stream requests into append calls of about `eventsPerCall` events each, in order; a stream's request is
 * never split, so a call may run over by one request.
 */
export function groupByEventCount<T extends { readonly events: readonly unknown[] }>(
  requests: readonly T[],
  eventsPerCall: number,
): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const request of requests) {
    current.push(request);
    size += request.events.length;
    if (size >= eventsPerCall) {
      calls.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length) calls.push(current);
  return calls;
}
