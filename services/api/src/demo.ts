import type { AppendRequest, EventStore } from "@revgraph/event-store";
import type { NewEvent } from "@revgraph/events";
import { generateHistory } from "@revgraph/generator";
import { inRecordOrder, type Timed } from "./record-order.ts";

/**
 * Writes the generated demo history into the store in atomic batches, reporting progress. Into an empty store the
 * events go in the order they would have been recorded, each with its generated record time (never later than the
 * store's clock), so "as known at" questions about the demo have real answers; into a store that already holds events
 * they are recorded now.
 */
export async function seedDemoData(
  store: EventStore,
  options: { deals: number; seed: number; now: Date; onProgress?: (events: number) => void },
): Promise<number> {
  const trusted = (await store.headPosition()) === 0;
  const generated = generatedEntries(options, Date.now());
  const entries = trusted ? inRecordOrder(generated) : itemsOf(generated);
  let written = 0;
  let batch: Entry[] = [];
  const append = async () => {
    const requests: AppendRequest[] = [];
    let run: Entry[] = [];
    const close = () => {
      const first = run[0];
      if (!first) return;
      requests.push({
        streamId: first.streamId,
        events: run.map((entry) => entry.event),
        ...(trusted ? { recordedAt: run.map((entry) => entry.recordedAt), trustRecordedAt: true } : {}),
      });
      run = [];
    };
    for (const entry of batch) {
      if (run[0] && run[0].streamId !== entry.streamId) close();
      run.push(entry);
    }
    close();
    await store.appendMany(requests);
    written += batch.length;
    batch = [];
    options.onProgress?.(written);
  };
  for (const entry of entries) {
    batch.push(entry);
    if (batch.length === APPEND_BATCH) await append();
  }
  if (batch.length) await append();
  return written;
}

/** Events written in one atomic append of several streams. */
const APPEND_BATCH = 5_000;

/** One generated event with its stream and record time. */
interface Entry {
  readonly streamId: string;
  readonly event: NewEvent;
  readonly recordedAt: string;
}

/** The generated history event by event, in generation order, each recorded no later than `clockMs`. */
function* generatedEntries(options: { deals: number; seed: number; now: Date }, clockMs: number): Generator<Timed<Entry>> {
  for (const batch of generateHistory({ deals: options.deals, seed: options.seed, now: options.now })) {
    for (const [index, event] of batch.events.entries()) {
      const recordedMs = Math.min(Date.parse(batch.recordedAt[index] as string), clockMs);
      yield { recordedMs, item: { streamId: batch.streamId, event, recordedAt: new Date(recordedMs).toISOString() } };
    }
  }
}

/** The items of timed items, in their order. */
function* itemsOf<T>(timed: Iterable<Timed<T>>): Generator<T> {
  for (const { item } of timed) yield item;
}
