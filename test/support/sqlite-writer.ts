/**
 * A child process for the multi-process SQLite tests: appends `count` events to one stream with
 * expected revision and retry, printing `ack <eventId> <position>` after each acknowledged append.
 * Usage: node sqlite-writer.ts <db path> <stream id> <count> <writer tag>
 */
import { WrongExpectedRevisionError } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";

const [path, streamId, countText, tag] = process.argv.slice(2);
if (!path || !streamId || !countText || !tag) throw new Error("usage: sqlite-writer.ts <db> <stream> <count> <tag>");
const store = openSqliteEventStore({ path });
for (let index = 0; index < Number(countText); index++) {
  let expected = await store.streamRevision(streamId);
  for (;;) {
    try {
      const result = await store.append(
        streamId,
        [
          {
            type: "DealAmountChanged",
            occurredAt: new Date().toISOString(),
            data: { dealId: tag, amount: index, currency: "USD" },
          },
        ],
        { expectedRevision: expected === -1 ? "no_stream" : expected },
      );
      process.stdout.write(`ack ${result.events[0]?.id} ${result.positions[0]}\n`);
      break;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      expected = error.actual;
    }
  }
}
await store.close();
