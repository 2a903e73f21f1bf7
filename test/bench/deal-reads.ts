/**
 * Deal-read benchmark (issue 13: deals served without the graph). Over an existing seeded store (`revgraph seed
 * --deals 20000 --data DIR`; pass a copy: the fact file is written beside the store), through the GraphQL app in
 * process (no HTTP, response caches off), one request at a time: a page of 50 deals as things stand by each order,
 * with a filter, as of a business time, as known at a record time, as a rep; and one deal with its interactions. Each
 * question's first answer (cold: sorts, caches) is timed on its own, then `--rounds` more (p50/p99); then the first
 * page after each of five appended events, in two orders asked before (this appends to the copy's `deal-deal-123`).
 * Usage: node --max-old-space-size=8000 test/bench/deal-reads.ts --data <copy of a seeded store> [--rounds 20]
 */
import { join } from "node:path";
import { createApp, signToken } from "@revgraph/api";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { RevenueReadModel } from "@revgraph/read-model";
import { dataOption, option, percentile } from "./support.ts";

const data = dataOption("deal-reads.ts --data <copy of a seeded store> [--rounds 20]");
const rounds = option("rounds", 20);
const SECRET = "bench-secret-bench-secret-bench-secret-00";
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

const store = openSqliteEventStore({ path: join(data, "revgraph.db") });
const started = performance.now();
const readModel = await RevenueReadModel.open({
  store,
  config: defaultConfig,
  factsPath: join(data, "read-model.deal-reads.duckdb"),
});
console.log(
  `read model open at position ${readModel.position} in ${((performance.now() - started) / 1000).toFixed(1)} s, peak RSS ${rssMb()} MB`,
);
const app = createApp({ store, readModel, config: defaultConfig, jwtSecret: SECRET, responseCache: false });
const exec = await signToken({ sub: "bench", role: "exec" }, SECRET);
const rep = await signToken({ sub: "bench-rep", role: "rep", repId: "rep-1" }, SECRET);

async function ask(token: string, query: string): Promise<{ ms: number; errors: unknown; size: number }> {
  const begun = performance.now();
  const response = await app.fetch("http://bench.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: Record<string, { edges?: unknown[] } | null>; errors?: unknown };
  const ms = performance.now() - begun;
  const first = Object.values(body.data ?? {})[0];
  return { ms, errors: body.errors, size: first?.edges?.length ?? (first ? 1 : 0) };
}

const node = "dealId name amount stage status expectedCloseDate owner { name } account { name }";
const page = (args: string) => `{ deals(first: 50${args}) { edges { node { ${node} } } } }`;
const questions: [string, string, string][] = [["deals(first: 50) by id", exec, page("")]];
for (const field of ["AMOUNT", "EXPECTED_CLOSE_DATE", "CREATED_AT", "NAME", "ID"])
  for (const direction of ["ASC", "DESC"])
    questions.push([`  by ${field} ${direction}`, exec, page(`, orderBy: { field: ${field}, direction: ${direction} }`)]);
questions.push(
  [
    "filter open, ≥ 50k, by amount desc",
    exec,
    page(`, filter: { status: [open], minAmount: 50000 }, orderBy: { field: AMOUNT, direction: DESC }`),
  ],
  ["asOf 2026-06-30, by id", exec, page(`, asOf: "2026-06-30T00:00:00Z"`)],
  ["asOf 2026-06-30, by amount desc", exec, page(`, asOf: "2026-06-30T00:00:00Z", orderBy: { field: AMOUNT, direction: DESC }`)],
  ["knownAt 2026-09-01, by id", exec, page(`, knownAt: "2026-09-01T00:00:00Z"`)],
  ["as rep-1, by id", rep, page("")],
  [
    "deal(id) with interactions",
    exec,
    `{ deal(dealId: "deal-123") { ${node} pushes stageHistory { stage } interactions(first: 10) { edges { node { kind occurredAt } } } } }`,
  ],
  ["deal(id) asOf 2026-06-30", exec, `{ deal(dealId: "deal-123", asOf: "2026-06-30T00:00:00Z") { ${node} } }`],
);

console.log(`${"question".padEnd(40)} ${"cold ms".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}  items`);
for (const [name, token, query] of questions) {
  const cold = await ask(token, query);
  if (cold.errors) throw new Error(`${name}: ${JSON.stringify(cold.errors)}`);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) times.push((await ask(token, query)).ms);
  const sorted = times.sort((a, b) => a - b);
  const fixed = (ms: number) => ms.toFixed(1).padStart(8);
  console.log(
    `${name.padEnd(40)} ${fixed(cold.ms)} ${fixed(percentile(sorted, 0.5))} ${fixed(percentile(sorted, 0.99))}  ${cold.size}`,
  );
}
// After an event: the first page in an order asked before (its sorted list is brought up to date).
for (const [name, args] of [
  ["by id, first page after an event", ""],
  ["by NAME ASC, first page after an event", ", orderBy: { field: NAME, direction: ASC }"],
] as const) {
  await ask(exec, page(args));
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const written = await store.append("deal-deal-123", [
      {
        type: "DealAmountChanged",
        occurredAt: new Date().toISOString(),
        data: { dealId: "deal-123", amount: 1_000 + round, currency: "USD" },
      },
    ]);
    await readModel.waitFor(written.positions.at(-1) as number);
    times.push((await ask(exec, page(args))).ms);
  }
  console.log(`${name.padEnd(40)} ${times.map((ms) => ms.toFixed(1)).join(" ")} ms`);
}
console.log(`peak RSS ${rssMb()} MB`);
await readModel.close();
await store.close();
