import type { EventStore } from "@revgraph/event-store";
import { generateHistory } from "@revgraph/generator";

/** Writes the generated demo history into an empty store, in atomic batches, reporting progress. */
export async function seedDemoData(
  store: EventStore,
  options: { deals: number; seed: number; now: Date; onProgress?: (events: number) => void },
): Promise<number> {
  let pending: { streamId: string; events: import("@revgraph/events").NewEvent[] }[] = [];
  let pendingEvents = 0;
  let written = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    await store.appendMany(pending);
    written += pendingEvents;
    options.onProgress?.(written);
    pending = [];
    pendingEvents = 0;
  };
  for (const batch of generateHistory({ deals: options.deals, seed: options.seed, now: options.now })) {
    pending.push(batch);
    pendingEvents += batch.events.length;
    if (pendingEvents >= 5_000) await flush();
  }
  await flush();
  return written;
}
