/**
 * A child process for the kill test: opens the read model over an embedded store with its fact tables in a DuckDB
 * file, catching up in small transactions, printing `facts <position>` after each and `done` at the end.
 * Usage: node facts-catch-up.ts <store path> <facts path>
 */
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { RevenueReadModel } from "@revgraph/read-model";

const [storePath, factsPath] = process.argv.slice(2);
if (!storePath || !factsPath) throw new Error("usage: facts-catch-up.ts <store path> <facts path>");
const store = openSqliteEventStore({ path: storePath });
const model = await RevenueReadModel.open({
  store,
  config: defaultConfig,
  follow: false,
  factsPath,
  factsBatch: 150,
  onFactsWritten: (position) => process.stdout.write(`facts ${position}\n`),
});
await model.close();
await store.close();
process.stdout.write("done\n");
