/**
 * Reconcile benchmark (issue 18). In one run: a generated Salesforce OpportunityHistory CSV of N rows (five rows per
 * deal, the last one closing it with a new close date and amount), `revgraph import` of it into an embedded store
 * (baseline), then `revgraph reconcile` of the same file against that store, which must find it faithful.
 * Usage: node test/bench/reconcile.ts [--rows 100000]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEventStoreAt } from "@revgraph/event-store/open";
import { runImport } from "../../services/cli/src/import/run.ts";
import { runReconcile } from "../../services/cli/src/reconcile/run.ts";
import { measure, option, ratio, saveResults } from "./support.ts";

const rows = option("rows", 100_000);
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-reconcile-"));
const stages = ["Prospecting", "Qualification", "Value Proposition", "Negotiation/Review", "Closed Won"];
const lines = ["OpportunityId,OpportunityName,AccountId,OwnerId,CreatedDate,StageName,Amount,CloseDate,CurrencyIsoCode"];
for (let row = 0; row < rows; row++) {
  const deal = Math.floor(row / stages.length);
  const step = row % stages.length;
  const at = new Date(Date.UTC(2024, 0, 1) + deal * 60_000 + step * 7 * 86_400_000);
  const close = step === 4 ? at : new Date(Date.UTC(2024, 3, 1) + deal * 60_000 + (step >= 3 ? 14 : 0) * 86_400_000);
  const currency = ["USD", "EUR", "GBP"][deal % 3];
  lines.push(
    `OPP${deal},Deal ${deal},ACC${deal % 5000},REP${deal % 300},${at.toISOString()},${stages[step]},${10_000 + (deal % 90) * 1000 + step * 500},${close.toISOString().slice(0, 10)},${currency}`,
  );
}
const file = join(dir, "history.csv");
writeFileSync(file, `${lines.join("\n")}\n`);
lines.length = 0;
console.log(`reconcile benchmark: ${rows.toLocaleString("en-US")} history rows, node ${process.version}`);

const store = await openEventStoreAt({ store: "sqlite", dataDir: dir, bulkWrites: true });
const imported = await measure("revgraph import --format salesforce-history", rows, () =>
  runImport(store, { file, format: "salesforce-history", dryRun: false, json: true }),
);
let faithful = false;
const reconciled = await measure("revgraph reconcile (DuckDB read + store + compare)", rows, async () => {
  faithful = (await runReconcile(store, { file, format: "salesforce-history" })).faithful;
});
await store.close();
if (!faithful) throw new Error("reconcile did not find the generated import faithful");
console.log(`  peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
console.log("ratios:");
ratio("reconcile rows/s ÷ import rows/s", reconciled.perSecond / imported.perSecond, 1);
saveResults("reconcile", { rows, imported, reconciled, faithful });
rmSync(dir, { recursive: true, force: true });
