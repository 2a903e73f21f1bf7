import type { AppendRequest, EventStore } from "@revgraph/event-store";
import type { NewEvent } from "@revgraph/events";
import { generateHistory } from "@revgraph/generator";

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
  const clockMs = Date.now();
  const entries: { streamId: string; event: NewEvent; recordedAt: string }[] = [];
  for (const batch of generateHistory({ deals: options.deals, seed: options.seed, now: options.now })) {
    batch.events.forEach((event, index) => {
      const recordedMs = Math.min(Date.parse(batch.recordedAt[index] as string), clockMs);
      entries.push({ streamId: batch.streamId, event, recordedAt: new Date(recordedMs).toISOString() });
    });
  }
  if (trusted) entries.sort((a, b) => (a.recordedAt < b.recordedAt ? -1 : a.recordedAt > b.recordedAt ? 1 : 0));
  let written = 0;
  for (let start = 0; start < entries.length; start += 5_000) {
    const requests: AppendRequest[] = [];
    let run: typeof entries = [];
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
    for (const entry of entries.slice(start, start + 5_000)) {
      if (run[0] && run[0].streamId !== entry.streamId) close();
      run.push(entry);
    }
    close();
    await store.appendMany(requests);
    written += requests.reduce((total, request) => total + request.events.length, 0);
    options.onProgress?.(written);
  }
  return written;
}
