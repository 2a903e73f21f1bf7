/**
 * The API listener: opens the event store (embedded SQLite by default), the read model over it, and
 * serves the GraphQL app over HTTP. `--demo` seeds generated history into an empty store and prints
 * demo tokens for every role.
 *
 *   node services/api/src/main.ts [--demo] [--port 4000] [--data ./data] [--deals 2000] [--web services/web/dist]
 *   REVGRAPH_STORE=postgres REVGRAPH_DATABASE_URL=postgres://… node services/api/src/main.ts
 *   REVGRAPH_STORE=kurrentdb REVGRAPH_DATABASE_URL=kurrentdb://… node services/api/src/main.ts
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { defaultConfig } from "@revgraph/domain";
import { openEventStoreAt, storeKinds } from "@revgraph/event-store/open";
import { createLogger, startTracing } from "@revgraph/observability";
import { RevenueReadModel } from "@revgraph/read-model";
import { createApp } from "./app.ts";
import { signToken } from "./auth.ts";
import { seedDemoData } from "./demo.ts";

const { values } = parseArgs({
  options: {
    demo: { type: "boolean", default: false },
    port: { type: "string", default: process.env.PORT ?? "4000" },
    host: { type: "string", default: process.env.HOST ?? "127.0.0.1" },
    data: { type: "string", default: process.env.REVGRAPH_DATA ?? "./data" },
    deals: { type: "string", default: process.env.REVGRAPH_DEMO_DEALS ?? "2000" },
    web: { type: "string", default: process.env.REVGRAPH_WEB ?? fileURLToPath(new URL("../../web/dist", import.meta.url)) },
  },
});

const DEMO_SECRET = "revgraph-demo-secret-change-me-0123456789";
let secret = process.env.REVGRAPH_JWT_SECRET;
if (!secret) {
  if (!values.demo) {
    console.error("revgraph api: set REVGRAPH_JWT_SECRET (at least 32 characters), or run with --demo for a local demo secret");
    process.exit(2);
  }
  secret = DEMO_SECRET;
  console.warn("revgraph api: REVGRAPH_JWT_SECRET is not set; using the public demo secret (do not expose this server)");
}

const dataDir = resolve(values.data);
mkdirSync(dataDir, { recursive: true });
// A demo on a terminal keeps the console to the banner; LOG_LEVEL=info shows one JSON line per request.
const logger = createLogger("revgraph-api", undefined, process.env.LOG_LEVEL ?? (values.demo ? "warn" : "info"));
// Spans go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set; otherwise tracing stays a no-op.
const tracing = startTracing({ serviceName: "revgraph-api" });
const store = await openEventStoreAt({
  store: storeKinds.find((kind) => kind === process.env.REVGRAPH_STORE) ?? "sqlite",
  dataDir,
  databaseUrl: process.env.REVGRAPH_DATABASE_URL,
});
if (values.demo && (await store.headPosition()) === 0) {
  const deals = Number(values.deals);
  process.stdout.write(`seeding demo history: ${deals} deals …`);
  const written = await seedDemoData(store, {
    deals,
    seed: 7,
    now: new Date(),
    onProgress: (events) => process.stdout.write(`\rseeding demo history: ${deals} deals, ${events} events`),
  });
  process.stdout.write(`\rseeded demo history: ${deals} deals, ${written} events\n`);
}
const readModel = await RevenueReadModel.open({
  store,
  config: defaultConfig,
  // Each process keeps its own fact tables, caught up from the shared log (the CLI uses read-model.cli.duckdb).
  factsPath: join(dataDir, `read-model.api-${values.port}.duckdb`),
  onProgress: ({ events, head }) => events > 0 && process.stdout.write(`\rread model: ${events} events applied (head ${head})`),
});
process.stdout.write("\n");
const demoTokens = values.demo ? await signDemoTokens(readModel, secret) : undefined;
const app = createApp({
  store,
  readModel,
  config: defaultConfig,
  jwtSecret: secret,
  logger,
  web: { root: values.web, ...(demoTokens ? { demoTokens } : {}) },
});
const server = createServer(app);
server.listen(Number(values.port), values.host, () => {
  const url = `http://${values.host}:${values.port}`;
  console.log(`revgraph API on ${store.kind} store at position ${readModel.position}`);
  console.log(`  dashboard: ${url}/`);
  console.log(`  GraphiQL:  ${url}/graphql`);
  console.log(`  health:    ${url}/health  ready: ${url}/ready`);
  if (demoTokens) {
    console.log("  demo tokens (Authorization: Bearer <token>):");
    for (const [role, token] of Object.entries(demoTokens)) console.log(`    ${role.padEnd(8)} ${token}`);
  }
});

/** Demo tokens for every role: the rep is the first rep by id, the manager leads that rep's team. */
async function signDemoTokens(model: RevenueReadModel, jwtSecret: string): Promise<Record<string, string>> {
  const firstRep = Object.values(model.state.reps).sort((a, b) => a.repId.localeCompare(b.repId, "en", { numeric: true }))[0];
  const repId = firstRep?.repId ?? "rep-1";
  const teamId = firstRep?.teams.at(-1)?.teamId ?? "team-1";
  return {
    rep: await signToken({ sub: `demo-${repId}`, role: "rep", repId }, jwtSecret),
    manager: await signToken({ sub: "demo-manager", role: "manager", teamId }, jwtSecret),
    exec: await signToken({ sub: "demo-exec", role: "exec" }, jwtSecret),
    auditor: await signToken({ sub: "demo-auditor", role: "auditor" }, jwtSecret),
    admin: await signToken({ sub: "demo-admin", role: "admin" }, jwtSecret),
  };
}

async function shutdown(signal: string) {
  console.log(`\n${signal}: closing`);
  server.close();
  await readModel.close();
  await store.close();
  await tracing?.shutdown();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
