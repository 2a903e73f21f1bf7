/**
 * Read-model benchmark (issue 13: DuckDB read model). Over an existing seeded store (`revgraph seed --deals 100000
 * --data DIR`), in one run:
 *   - the baseline: a raw node:sqlite read + JSON.parse of the whole log;
 *   - the read model from an empty fact-table file to caught up (graph and DuckDB fact tables), and again with the
 *     file present (the graph still replays the log; the fact tables resume from their position);
 *   - the grouped scorecard of every KPI compiled to SQL by team, uncached, one connection: p50/p99, with the same
 *     kind of question as plain DuckDB SQL over an exported deals table (the anchor) and the in-memory engine;
 *   - the scorecard at random asOf dates (knownAt now; `random-slices.ts` times single KPI questions at random asOf
 *     and knownAt); an append → visible in the SQL answer, and the scorecard right after it;
 *   - peak RSS;
 *   - without the graph: a fresh process opening the fact file at the head (`graphWhenNeeded`) and answering the
 *     scorecard (open time, peak RSS), and `revgraph kpi win_rate average_deal_size sales_cycle_length --period 2026-Q3
 *     --group-by team` from a fresh CLI process with its read-model file present (this copies the fact file into the
 *     data directory as `read-model.cli.duckdb`).
 * Usage: node --max-old-space-size=12000 test/bench/read-model.ts --data <copy of a seeded store> [--rounds 30]
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { defaultConfig, repTeamAt, timeSlice } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { computeKpis, kpiDefinitions } from "@revgraph/kpis";
import { isCompiled, RevenueReadModel } from "@revgraph/read-model";
import { ceiling, dataOption, measure, option, percentile, ratio, rawSqliteRead, saveResults } from "./support.ts";

const data = dataOption("read-model.ts --data <dir of a seeded store> [--rounds 30]");
const rounds = option("rounds", 30);
const storePath = join(data, "revgraph.db");
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-rm-"));
const factsPath = join(dir, "read-model.bench.duckdb");
const now = new Date();
const kpis = [...new Set(kpiDefinitions.filter((d) => d.status === "active" && isCompiled(d)).map((d) => d.id))];
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

console.log(`read model over ${storePath} (figures taken on a shared, contended 2-core machine)`);
const store = openSqliteEventStore({ path: storePath });
const head = await store.headPosition();
const raw = await rawSqliteRead(storePath, head);

let model: RevenueReadModel | undefined;
const cold = await measure("read model from an empty fact file", head, async () => {
  model = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath });
});
console.log(`  peak RSS after the cold start: ${rssMb()} MB`);
await model?.close();
model = undefined;
const warm = await measure("read model with the fact file present", head, async () => {
  model = await RevenueReadModel.open({ store, config: defaultConfig, factsPath });
});
const live = model as unknown as RevenueReadModel;

const query = { kpis, period: "2026-Q3", groupBy: "team" as const };
// A scorecard shows values: contributing event ids are collected only for a derivation that is asked for.
const valuesOnly = { eventIds: false };
const sqlTimes: number[] = [];
let groups = 0;
for (let round = 0; round < rounds; round++) {
  const started = performance.now();
  const results = await live.computeKpis(query, now, valuesOnly);
  sqlTimes.push(performance.now() - started);
  groups = new Set(results.map((result) => result.group?.key)).size;
}
const anchorTimes: number[] = [];
{
  // The anchor: every deal as it stands, exported to a plain DuckDB table, and the same kind of grouped question.
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const anchor = await instance.connect();
  await anchor.run(
    "CREATE TABLE deals (team VARCHAR, status VARCHAR, amount DOUBLE, created_ms DOUBLE, closed_at VARCHAR, closed_ms DOUBLE, close_date VARCHAR, probability DOUBLE)",
  );
  const appender = await anchor.createAppender("deals");
  const slice = timeSlice(live.state);
  for (const deal of live.currentDeals().values()) {
    appender.appendVarchar(repTeamAt(live.state, deal.ownerRepId, slice) ?? "unassigned");
    appender.appendVarchar(deal.status);
    appender.appendDouble(deal.amount);
    appender.appendDouble(Date.parse(deal.createdAt));
    if (deal.closed) {
      appender.appendVarchar(deal.closed.at);
      appender.appendDouble(Date.parse(deal.closed.at));
    } else {
      appender.appendNull();
      appender.appendNull();
    }
    appender.appendVarchar(deal.expectedCloseDate);
    appender.appendDouble(deal.probability);
    appender.endRow();
  }
  appender.closeSync();
  const inQ3 = "closed_at >= '2026-07-01' AND closed_at < '2026-10-01'";
  const sql = `SELECT team,
      count(*) FILTER (WHERE status = 'won' AND ${inQ3}) / nullif(count(*) FILTER (WHERE status <> 'open' AND ${inQ3}), 0) AS win_rate,
      avg(amount) FILTER (WHERE status = 'won' AND ${inQ3}) AS average_deal_size,
      avg((closed_ms - created_ms) / 86400000.0) FILTER (WHERE status = 'won' AND ${inQ3}) AS cycle_days,
      sum(amount) FILTER (WHERE status = 'open') AS pipeline,
      sum(amount * probability) FILTER (WHERE status = 'open') AS weighted_pipeline,
      count(*) FILTER (WHERE status = 'lost' AND ${inQ3}) AS lost
    FROM deals GROUP BY team ORDER BY team`;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await anchor.runAndReadAll(sql);
    anchorTimes.push(performance.now() - started);
  }
  anchor.closeSync();
  instance.closeSync();
}
let started = performance.now();
computeKpis(live.state, defaultConfig, query, now);
const engineCold = performance.now() - started;
started = performance.now();
computeKpis(live.state, defaultConfig, query, now);
const engineWarm = performance.now() - started;

const randomTimes: number[] = [];
for (let round = 0; round < rounds; round++) {
  const asOf = new Date(Date.parse("2026-01-01T00:00:00Z") + round * 9 * 86_400_000).toISOString();
  started = performance.now();
  await live.computeKpis({ kpis, period: "2026-Q2", asOf, knownAt: now.toISOString(), groupBy: "team" }, now, valuesOnly);
  randomTimes.push(performance.now() - started);
}

const visible: number[] = [];
const afterEvent: number[] = [];
const deal = [...live.currentDeals().values()].find((candidate) => candidate.status === "open");
for (let round = 0; round < Math.min(rounds, 10); round++) {
  started = performance.now();
  const appended = await store.append(`deal-${deal?.id}`, [
    {
      type: "DealAmountChanged",
      occurredAt: new Date().toISOString(),
      data: { dealId: deal?.id as string, amount: 50_000 + round, currency: "USD" },
    },
  ]);
  await live.waitFor(appended.positions[0] as number);
  visible.push(performance.now() - started);
  started = performance.now();
  await live.computeKpis(query, new Date(), valuesOnly);
  afterEvent.push(performance.now() - started);
}
await live.close();
await store.close();

/** Runs a node script in a fresh process; its wall time and stdout. */
const fresh = (args: string[]) => {
  const started = performance.now();
  const child = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`${args.join(" ")} exited ${child.status}: ${child.stderr}`);
  return { ms: performance.now() - started, stdout: child.stdout };
};
const factsOnly = JSON.parse(
  fresh([join(import.meta.dirname, "read-model-facts-only.ts"), storePath, factsPath, kpis.join(",")]).stdout,
) as { openMs: number; scorecardMs: number; peakRssMb: number };
copyFileSync(factsPath, join(data, "read-model.cli.duckdb"));
const cli = join(import.meta.dirname, "../../services/cli/src/main.ts");
const cliArgs = ["kpi", "win_rate", "average_deal_size", "sales_cycle_length", "--period", "2026-Q3", "--group-by", "team"];
const cliTimes = [0, 1, 2].map(() => fresh([cli, ...cliArgs, "--data", data]).ms);
rmSync(dir, { recursive: true, force: true });

const figures = {
  events: head,
  groups,
  kpis,
  rawReadSeconds: raw.seconds,
  coldStartSeconds: cold.seconds,
  warmStartSeconds: warm.seconds,
  scorecardSqlMs: { p50: percentile(sqlTimes, 0.5), p99: percentile(sqlTimes, 0.99) },
  anchorSqlMs: { p50: percentile(anchorTimes, 0.5), p99: percentile(anchorTimes, 0.99) },
  engineMs: { cold: engineCold, warm: engineWarm },
  randomAsOfKnownAtMs: { p50: percentile(randomTimes, 0.5), p99: percentile(randomTimes, 0.99) },
  appendToVisibleMs: { p50: percentile(visible, 0.5), p99: percentile(visible, 0.99) },
  scorecardAfterEventMs: { p50: percentile(afterEvent, 0.5), p99: percentile(afterEvent, 0.99) },
  peakRssMb: rssMb(),
  withoutGraph: factsOnly,
  cliKpiFreshProcessMs: percentile(cliTimes, 0.5),
};
console.log(JSON.stringify(figures, null, 2));
ratio("cold start vs raw read (raw s ÷ read model s)", raw.seconds / cold.seconds, 0.5);
ceiling(`grouped scorecard p50 (${kpis.length} compiled KPIs × ${groups} teams)`, figures.scorecardSqlMs.p50, 100);
ceiling("grouped scorecard p99", figures.scorecardSqlMs.p99, 300);
ratio(
  "grouped scorecard p50 vs plain DuckDB p50 (read model ÷ anchor)",
  figures.scorecardSqlMs.p50 / figures.anchorSqlMs.p50,
  1,
  false,
);
ceiling("scorecard at a random asOf p99", figures.randomAsOfKnownAtMs.p99, 300);
ceiling("append → visible p99", figures.appendToVisibleMs.p99, 100);
ceiling("scorecard right after an event p50", figures.scorecardAfterEventMs.p50, 100);
ceiling("restart with the fact file present (graph replayed)", warm.seconds * 1000, 5_000);
ceiling("open without the graph, fact file at the head", factsOnly.openMs, 5_000);
ceiling("revgraph kpi … --group-by team, fresh process, file present (median of 3)", figures.cliKpiFreshProcessMs, 5_000);
ceiling("peak RSS with the graph", figures.peakRssMb, 1_000, "MB");
ceiling("peak RSS of a process without the graph", factsOnly.peakRssMb, 1_000, "MB");
saveResults("read-model", figures);
