/**
 * Per-query overhead of compiled KPI SQL (issue 13): how much of a grouped scorecard's time is DuckDB planning the one
 * statement, against running a plan already made. Over a copy of a seeded store (the fact file is written into the
 * data directory), read without the graph, values only, grouped by team, for one KPI, the core/quota KPIs (those
 * faster in SQL than on the warm engine) and every compiled active KPI, with DuckDB at 1 and at 2 threads:
 *   - `totalMs`: `computeKpisSql` as a scorecard asks it (SQL built, parsed, planned, run and read, results
 *     evaluated), wall time and `totalCpuMs`, the process's CPU time (DuckDB's threads included: steadier than wall time
 *     on a shared machine);
 *   - `parseMs`: DuckDB parsing the statement alone (`extractStatements`);
 *   - `explainMs` / `explainCpuMs`: `EXPLAIN` of the statement (parsed, bound, optimized and physically planned, not run);
 *   - `profiledMs`: DuckDB's profiler on the statement run as is (median of the rounds): binding, optimizers, physical
 *     planning and the whole query's latency;
 * then the process's peak RSS. `--threads N` measures at N threads only; `--memory-limit SIZE` sets the fact store's
 * DuckDB memory limit (`FactStoreOptions.memoryLimit`); `--kpis core,all` asks only those questions.
 * Plans are not reused across questions, and cannot be in DuckDB 1.5.6: a prepared statement with parameters that
 * reads a table is bound and optimized again on every run (`PreparedStatement::CanCachePlan`: DuckDB prefers plans made
 * with the values at hand), so binding the values as parameters saves nothing; a statement without parameters keeps its
 * plan, but that plan carries rewrites made from the tables' statistics when it was prepared (stale after a write), and
 * one with an ASOF join fails on its second run ("Attempted to dereference unique_ptr that is NULL", in the ASOF
 * join's sort).
 * Usage: node --max-old-space-size=12000 test/bench/kpi-sql-overhead.ts --data <copy of a seeded store> [--rounds 10]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import { computeKpisSql, DEFAULT_MEMORY_LIMIT, FactStore, isCompiled } from "@revgraph/read-model";
import { catchUpFacts, dataOption, engagementKpis, option, percentile, saveResults, stageKpis, textOption } from "./support.ts";

const data = dataOption("kpi-sql-overhead.ts --data <copy of a seeded store> [--rounds 10]");
const rounds = option("rounds", 10);
const memoryLimit = textOption("memory-limit");
const threadCounts = textOption("threads") ? [Number(textOption("threads"))] : [1, 2];
const now = new Date();
const active = [...new Set(kpiDefinitions.filter((d) => d.status === "active" && isCompiled(d)).map((d) => d.id))];
/** The core scorecard: every active KPI but the stage and engagement ones (14 KPIs). */
const core = active.filter((id) => !stageKpis.includes(id) && !engagementKpis.includes(id));
const everyQuestion: Record<string, readonly string[]> = { winRate: ["win_rate"], pipeline: ["pipeline"], core, all: active };
const asked = textOption("kpis")?.split(",");
const questions = Object.fromEntries(Object.entries(everyQuestion).filter(([name]) => !asked || asked.includes(name)));
const scorecard = (kpis: readonly string[]): KpiQuery => ({ kpis, period: "2026-Q3", groupBy: "team" });

console.log(`compiled KPI SQL overhead over ${data} (figures taken on a shared, contended 2-core machine)`);
const store = openSqliteEventStore({ path: join(data, "revgraph.db") });
const head = await store.headPosition();
const factsPath = join(data, "read-model.overhead-bench.duckdb");
const catchUp = await catchUpFacts(store, factsPath, head);
await store.close();

/** The process's CPU time so far (every thread's, DuckDB's included), in ms. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** p50 and p99 of the wall time, then of the process's CPU time, of `rounds` runs of `run`. */
async function timed(run: () => Promise<unknown>) {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const startedCpu = cpuMs();
    await run();
    wall.push(performance.now() - started);
    cpu.push(cpuMs() - startedCpu);
  }
  const figures = (times: number[]) => ({ p50: percentile(times, 0.5), p99: percentile(times, 0.99) });
  return [figures(wall), figures(cpu)] as const;
}

/** A connection that remembers the statements run through it (to plan and prepare the same ones). */
function recording(connection: DuckDBConnection, statements: string[]): DuckDBConnection {
  return new Proxy(connection, {
    get(target, property) {
      if (property === "runAndReadAll")
        return (sql: string) => {
          statements.push(sql);
          return target.runAndReadAll(sql);
        };
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const profileDir = mkdtempSync(join(tmpdir(), "revgraph-bench-profile-"));
const profileFile = join(profileDir, "profile.json");
/** The profiler's timings of the last query, in ms. */
const profiled = () => {
  const profile = JSON.parse(readFileSync(profileFile, "utf8")) as Record<string, number>;
  return {
    binding: (profile.planner_binding ?? 0) * 1000,
    optimizers: (profile.all_optimizers ?? 0) * 1000,
    physicalPlanning: (profile.physical_planner ?? 0) * 1000,
    latency: (profile.latency ?? 0) * 1000,
  };
};
/** The median of each profiler timing over `rounds` runs of `sql`. */
async function profile(connection: DuckDBConnection, sql: string) {
  await connection.run("SET enable_profiling = 'json'");
  await connection.run(`SET profiling_output = '${profileFile}'`);
  await connection.run(
    `SET custom_profiling_settings = '{"LATENCY": "true", "PLANNER_BINDING": "true", "ALL_OPTIMIZERS": "true", "PHYSICAL_PLANNER": "true"}'`,
  );
  const runs: ReturnType<typeof profiled>[] = [];
  for (let round = 0; round < rounds; round++) {
    await connection.runAndReadAll(sql);
    runs.push(profiled());
  }
  await connection.run("RESET enable_profiling");
  const median = (key: keyof ReturnType<typeof profiled>) =>
    percentile(
      runs.map((run) => run[key]),
      0.5,
    );
  return {
    binding: median("binding"),
    optimizers: median("optimizers"),
    physicalPlanning: median("physicalPlanning"),
    latency: median("latency"),
  };
}

const figures: Record<string, unknown> = {
  events: head,
  catchUpSeconds: catchUp.seconds,
  memoryLimit: memoryLimit ?? DEFAULT_MEMORY_LIMIT,
  core,
  all: active,
};
for (const threads of threadCounts) {
  const facts = await FactStore.open({
    path: factsPath,
    config: defaultConfig,
    threads,
    ...(memoryLimit ? { memoryLimit } : {}),
  });
  for (const [name, kpis] of Object.entries(questions)) {
    const statements: string[] = [];
    const connection = recording(facts.reader, statements);
    const ask = () => computeKpisSql(connection, facts, defaultConfig, scorecard(kpis), now, { eventIds: false });
    await ask();
    const sql = statements.at(-1) as string;
    const [totalMs, totalCpuMs] = await timed(ask);
    const [parseMs] = await timed(() => facts.reader.extractStatements(sql));
    const [explainMs, explainCpuMs] = await timed(() => facts.reader.runAndReadAll(`EXPLAIN ${sql}`));
    const profiledMs = await profile(facts.reader, sql);
    const figure = { kpis: kpis.length, sqlChars: sql.length, totalMs, totalCpuMs, parseMs, explainMs, explainCpuMs, profiledMs };
    figures[`${name}@${threads}threads`] = figure;
    console.log(`  ${`${name} (${kpis.length} KPIs), ${threads} thread(s)`.padEnd(32)} ${JSON.stringify(figure)}`);
  }
  facts.close();
}
rmSync(profileDir, { recursive: true, force: true });
figures.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(figures, null, 2));
saveResults("kpi-sql-overhead", figures);
