/**
 * API benchmark (issue: GraphQL API). In one run, on loopback, with autocannon in a child process (the load
 * generator gets its own event loop; on 2 cores it still shares the CPU with the servers, both sides equally):
 *   a hello-world Yoga server (baseline) versus the revgraph API over D generated deals:
 *   the scorecard query and a deal-list page (requests/s, p50/p99), an as-of query,
 *   and the time from an append to its arrival on a dealEvents subscription (SSE).
 * Each query runs twice: saturated (`--connections`, for throughput; its latency includes queueing behind the
 * other connections) and at light load (one connection, one request at a time: the latency a single dashboard sees).
 * Usage: node test/bench/api.ts [--deals 100000] [--duration 10] [--connections 10]
 */

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createApp, signToken } from "@revgraph/api";
import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { RevenueReadModel } from "@revgraph/read-model";
import type autocannon from "autocannon";
import { createSchema, createYoga } from "graphql-yoga";
import { BENCH_NOW, ceiling, option, ratio, saveResults } from "./support.ts";

const execFileAsync = promisify(execFile);
const autocannonCli = createRequire(import.meta.url).resolve("autocannon/autocannon.js");
const deals = option("deals", 100_000);
const duration = option("duration", 10);
const connections = option("connections", 10);
const dir = mkdtempSync(join(tmpdir(), "revgraph-bench-api-"));
const SECRET = "bench-secret-bench-secret-bench-secret-00";

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** One autocannon run in its own process, so the load generator does not compete for the servers' event loop. */
async function autocannonRun(
  url: string,
  body: string,
  headers: Record<string, string>,
  clients: number,
): Promise<autocannon.Result> {
  const args = ["-c", String(clients), "-d", String(duration), "-m", "POST", "-b", body, "--json"];
  for (const [key, value] of Object.entries(headers)) args.push("-H", `${key}=${value}`);
  const run = await execFileAsync(process.execPath, [autocannonCli, ...args, `${url}/graphql`], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(run.stdout) as autocannon.Result;
}

/**
 * One request first, timed on its own: the cold answer (KPIs computed, caches filled). The load run then measures
 * the steady state a dashboard sees while the log does not move (response and KPI caches hit).
 */
async function load(name: string, url: string, body: string, token?: string) {
  const headers = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const coldStarted = performance.now();
  const first = await fetch(`${url}/graphql`, { method: "POST", headers, body });
  const bytes = (await first.text()).length;
  const coldMs = Math.round(performance.now() - coldStarted);
  const saturated = await autocannonRun(url, body, headers, connections);
  const light = await autocannonRun(url, body, headers, 1);
  const summary = {
    name,
    requestsPerSecond: saturated.requests.average,
    p50: saturated.latency.p50,
    p99: saturated.latency.p99,
    lightLoad: { requestsPerSecond: light.requests.average, p50: light.latency.p50, p99: light.latency.p99 },
    errors: saturated.errors + light.errors,
    non2xx: saturated.non2xx + light.non2xx,
    coldMs,
    bytes,
  };
  console.log(
    `  ${name.padEnd(34)} ${Math.round(summary.requestsPerSecond).toLocaleString("en-US").padStart(8)} req/s  p50 ${summary.p50} ms  p99 ${summary.p99} ms | 1 connection: p50 ${light.latency.p50} ms  p99 ${light.latency.p99} ms | errors ${summary.errors + summary.non2xx}  (cold first answer ${coldMs} ms, ${bytes.toLocaleString("en-US")} bytes)`,
  );
  return summary;
}

console.log(
  `API benchmark: ${deals.toLocaleString("en-US")} deals, ${connections} connections × ${duration} s per run, node ${process.version}`,
);
const store = openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" });
let started = performance.now();
const events = await seedDemoData(store, { deals, seed: 42, now: BENCH_NOW });
console.log(`  seeded ${events.toLocaleString("en-US")} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
started = performance.now();
// As the API runs: with its fact tables (it answers KPIs from them only) and the org part of the graph.
const readModel = await RevenueReadModel.open({
  store,
  config: defaultConfig,
  factsPath: join(dir, "read-model.duckdb"),
  graph: "org",
});
console.log(`  read model caught up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const app = createApp({ store, readModel, config: defaultConfig, jwtSecret: SECRET, clock: () => BENCH_NOW });
const token = await signToken({ sub: "bench", role: "exec" }, SECRET);
const hello = createYoga({
  schema: createSchema({ typeDefs: "type Query { hello: String! }", resolvers: { Query: { hello: () => "world" } } }),
  logging: false,
});
const baseline = await listen(hello);
const api = await listen(app);
// The same API without its answer and response caches: every request runs GraphQL and asks the fact tables.
const uncached = await listen(
  createApp({ store, readModel, config: defaultConfig, jwtSecret: SECRET, clock: () => BENCH_NOW, responseCache: false }),
);

const results = {
  hello: await load("hello-world Yoga { hello }", baseline.url, JSON.stringify({ query: "{ hello }" })),
  scorecardCompany: await load(
    "revgraph scorecard (all KPIs)",
    api.url,
    JSON.stringify({ query: `{ scorecard(period: "2026-Q3") { kpiId value band { id } } }` }),
    token,
  ),
  scorecardUncached: await load(
    "scorecard (all KPIs), no answer cache",
    uncached.url,
    JSON.stringify({ query: `{ scorecard(period: "2026-Q3") { kpiId value band { id } } }` }),
    token,
  ),
  scorecard: await load(
    "revgraph scorecard (all KPIs × team)",
    api.url,
    JSON.stringify({ query: `{ scorecard(period: "2026-Q3", groupBy: TEAM) { kpiId groupKey value band { id } } }` }),
    token,
  ),
  dealPage: await load(
    "revgraph deal list page (20)",
    api.url,
    JSON.stringify({
      query: `{ deals(first: 20, filter: { status: [open] }, orderBy: { field: AMOUNT, direction: DESC }) { edges { node { dealId name amount stage owner { name } account { name } } } } }`,
    }),
    token,
  ),
  asOf: await load(
    "revgraph win rate as of a date",
    api.url,
    JSON.stringify({ query: `{ kpi(id: "win_rate", period: "2026-Q2", asOf: "2026-06-15T00:00:00Z") { value } }` }),
    token,
  ),
};

// append → visible on a subscription
const dealId = (await readModel.dealIds({}))[0] as string;
const response = await fetch(`${api.url}/graphql`, {
  method: "POST",
  headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
  body: JSON.stringify({ query: `subscription { dealEvents(dealId: "${dealId}") { globalPosition } }` }),
});
const reader = (response.body as ReadableStream<Uint8Array>).getReader();
const decoder = new TextDecoder();
let buffered = "";
const delays: number[] = [];
for (let index = 0; index < 200; index++) {
  const sent = performance.now();
  const appended = await store.append(`deal-${dealId}`, [
    {
      type: "GateEvidenceRecorded",
      occurredAt: BENCH_NOW.toISOString(),
      data: { dealId, gate: "pain_statement", evidence: `bench ${index}` },
    },
  ]);
  const position = appended.positions[0] as number;
  while (!buffered.includes(`"globalPosition":${position}`)) {
    const { value } = await reader.read();
    buffered += decoder.decode(value);
  }
  delays.push(performance.now() - sent);
  buffered = "";
}
await reader.cancel();
const sorted = [...delays].sort((a, b) => a - b);
const subscription = { p50: sorted[Math.floor(sorted.length * 0.5)], p99: sorted[Math.floor(sorted.length * 0.99)] };
console.log(
  `  append → dealEvents subscription: p50 ${subscription.p50?.toFixed(2)} ms, p99 ${subscription.p99?.toFixed(2)} ms (200 appends)`,
);
console.log("ratios:");
ratio(
  "scorecard (all KPIs) req/s ÷ hello-world req/s",
  results.scorecardCompany.requestsPerSecond / results.hello.requestsPerSecond,
  0.7,
);
ceiling(`scorecard (all KPIs) p99, ${connections} connections`, results.scorecardCompany.p99, 5);
ceiling("scorecard (all KPIs) p99, 1 connection", results.scorecardCompany.lightLoad.p99, 5);
ratio(
  "scorecard (all KPIs), no answer cache, req/s ÷ hello-world",
  results.scorecardUncached.requestsPerSecond / results.hello.requestsPerSecond,
  0.7,
);
console.log(
  `  (hello-world Yoga's own p99: ${results.hello.p99} ms at ${connections} connections, ${results.hello.lightLoad.p99} ms at 1)`,
);
ratio(
  "scorecard (all KPIs × team) req/s ÷ hello-world req/s",
  results.scorecard.requestsPerSecond / results.hello.requestsPerSecond,
  0.7,
);
ceiling(`scorecard (all KPIs × team) p99, ${connections} connections`, results.scorecard.p99, 5);
ceiling("scorecard (all KPIs × team) p99, 1 connection", results.scorecard.lightLoad.p99, 5);
ceiling(`as-of query p99, ${connections} connections`, results.asOf.p99, 50);
ceiling("append → subscription p99", subscription.p99 ?? Number.POSITIVE_INFINITY, 50);
saveResults("api", { deals, events, connections, duration, results, subscription });
baseline.server.close();
api.server.close();
uncached.server.close();
await readModel.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
