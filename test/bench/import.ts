/**
 * Import benchmark (issue: CLI). In one run: a generated Salesforce OpportunityHistory CSV of N rows,
 * parsed raw with csv-parse (baseline) versus `revgraph import` of the same file into an embedded store.
 * Usage: node test/bench/import.ts [--rows 1000000]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEventStoreAt } from "@revgraph/event-store/open";
import { parse } from "csv-parse/sync";
import { runImport } from "../../services/cli/src/import/run.ts";
import { measure, option, ratio, saveResults } from "./support.ts";

const rows = option("rows", 1_000_000);
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-import-"));
const stages = ["Prospecting", "Qualification", "Value Proposition", "Negotiation/Review", "Closed Won"];
const lines = [
  "OpportunityId,OpportunityName,AccountId,OwnerId,CreatedDate,StageName,Amount,CloseDate,Probability,ForecastCategoryName",
];
for (let row = 0; row < rows; row++) {
  const deal = Math.floor(row / stages.length);
  const step = row % stages.length;
  const at = new Date(Date.UTC(2024, 0, 1) + deal * 60_000 + step * 7 * 86_400_000).toISOString();
  const close = new Date(Date.UTC(2024, 3, 1) + deal * 60_000 + (step >= 3 ? 14 : 0) * 86_400_000).toISOString().slice(0, 10);
  lines.push(
    `OPP${deal},Deal ${deal},ACC${deal % 5000},REP${deal % 300},${at},${stages[step]},${10_000 + (deal % 90) * 1000 + step * 500},${close},${step * 20},${step === 4 ? "Closed" : "Pipeline"}`,
  );
}
const file = join(dir, "history.csv");
writeFileSync(file, `${lines.join("\n")}\n`);
lines.length = 0;
console.log(`import benchmark: ${rows.toLocaleString("en-US")} history rows, node ${process.version}`);

const raw = await measure("raw csv-parse of the file", rows, () => {
  const records = parse(readFileSync(file, "utf8"), { columns: true }) as unknown[];
  if (records.length !== rows) throw new Error(`parsed ${records.length}`);
});
// Opened as `revgraph import` opens it: the embedded store under a data directory, full durability, bulk writes.
const store = await openEventStoreAt({ store: "sqlite", dataDir: dir, bulkWrites: true });
let summary: Awaited<ReturnType<typeof runImport>> | undefined;
const imported = await measure("revgraph import --format salesforce-history", rows, async () => {
  summary = await runImport(store, { file, format: "salesforce-history", dryRun: false, json: true });
});
await store.close();
console.log(
  `  ${summary?.eventsWritten.toLocaleString("en-US")} events written for ${summary?.streams.toLocaleString("en-US")} deals, ${summary?.rowsRejected} rows rejected`,
);
console.log("ratios:");
ratio("import rows/s ÷ raw CSV parse rows/s", imported.perSecond / raw.perSecond, 0.5);
saveResults("import", { rows, raw, imported, events: summary?.eventsWritten });
rmSync(dir, { recursive: true, force: true });
