import type { RecordedEvent } from "@revgraph/events";
import type { ReadStreamOptions } from "./port.ts";

/** Applies direction, start revision and count to a stream held in memory, in revision order. */
export function sliceStream(stream: readonly RecordedEvent[], options: ReadStreamOptions): RecordedEvent[] {
  const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
  if (options.direction === "backwards") {
    const start = Math.min(options.fromRevision ?? stream.length - 1, stream.length - 1);
    const result: RecordedEvent[] = [];
    for (let revision = start; revision >= 0 && result.length < maxCount; revision--) {
      result.push(stream[revision] as RecordedEvent);
    }
    return result;
  }
  const start = options.fromRevision ?? 0;
  return stream.slice(start, Number.isFinite(maxCount) ? start + maxCount : undefined);
}
