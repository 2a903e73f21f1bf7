/**
 * The API listener: opens the event store (embedded SQLite by default), the read model over it, and
 * serves the GraphQL app over HTTP. `--demo` seeds generated history into an empty store and prints
 * demo tokens for every role. `--help` lists every flag and environment variable. Arguments and the environment are
 * checked before the store, read model and GraphQL modules are loaded, so help and usage errors answer at once.
 *
 *   node services/api/bin/revgraph-api.js [--demo] [--port 4000] [--host 127.0.0.1] [--data ./data] [--deals 2000] [--web DIR]
 *   REVGRAPH_STORE=postgres REVGRAPH_DATABASE_URL=postgres://… node services/api/bin/revgraph-api.js
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { storeKinds } from "@revgraph/event-store/store-kinds";
import type { RevenueReadModel as ReadModel } from "@revgraph/read-model";
import type { TokenPolicy } from "./auth.ts";
import { boundarySettings, boundaryVariables, EnvironmentError } from "./environment.ts";

/** Every flag with its environment variable, default and meaning: parsed below and printed by `--help`. */
const flags = {
  demo: {
    env: undefined,
    fallback: undefined,
    text: "seed generated demo history into an empty store and print a token for every role",
  },
  port: { env: "PORT", fallback: "4000", text: "TCP port to listen on" },
  host: { env: "HOST", fallback: "127.0.0.1", text: "interface to listen on (0.0.0.0 for every interface)" },
  data: {
    env: "REVGRAPH_DATA",
    fallback: "./data",
    text: "data directory of the embedded SQLite store and the read-model snapshot",
  },
  deals: { env: "REVGRAPH_DEMO_DEALS", fallback: "2000", text: "deals the demo seeds (with --demo, into an empty store)" },
  web: { env: "REVGRAPH_WEB", fallback: "services/web/dist", text: "built dashboard served at / (bash scripts/start builds it)" },
} as const;
/** Environment variables without a flag. */
const environment = [
  ["REVGRAPH_STORE", "sqlite", `event store: ${storeKinds.join(", ")}`],
  ["REVGRAPH_DATABASE_URL", "", "connection string for REVGRAPH_STORE=postgres or kurrentdb"],
  ["REVGRAPH_JWT_SECRET", "", "HS256 secret for bearer tokens, at least 32 characters (required without --demo)"],
  ["LOG_LEVEL", "info (warn with --demo)", "pino level of the JSON request log"],
  ["NODE_ENV", "", "development: unexpected errors' messages are not masked"],
  ["OTEL_EXPORTER_OTLP_ENDPOINT", "", "export OpenTelemetry traces there"],
  ...Object.entries(boundaryVariables).map(([name, variable]) => [name, variable.fallback, variable.text] as const),
] as const;

function usage(): string {
  const lines = Object.entries(flags).map(([name, flag]) => {
    const argument = flag.fallback === undefined ? "" : ` <${name === "web" ? "dir" : name}>`;
    const source = [flag.env ? `env ${flag.env}` : "", flag.fallback ? `default ${flag.fallback}` : ""]
      .filter(Boolean)
      .join(", ");
    return `  --${name}${argument}`.padEnd(22) + `${flag.text}${source ? ` (${source})` : ""}`;
  });
  const env = environment.map(
    ([name, fallback, text]) => `  ${name}`.padEnd(34) + `${text}${fallback ? ` (default ${fallback})` : ""}`,
  );
  return [
    "Usage: node services/api/bin/revgraph-api.js [options]",
    "",
    "Serves the revgraph GraphQL API (GraphiQL at /graphql), the dashboard at /, /health, /ready and /metrics.",
    "",
    "Options:",
    ...lines,
    "  -h, --help".padEnd(22) + "print this help",
    "",
    "Environment:",
    ...env,
  ].join("\n");
}

let parsed: ReturnType<typeof parseCommandLine>;
function parseCommandLine() {
  return parseArgs({
    options: {
      help: { type: "boolean", short: "h", default: false },
      demo: { type: "boolean", default: false },
      port: { type: "string", default: process.env.PORT ?? flags.port.fallback },
      host: { type: "string", default: process.env.HOST ?? flags.host.fallback },
      data: { type: "string", default: process.env.REVGRAPH_DATA ?? flags.data.fallback },
      deals: { type: "string", default: process.env.REVGRAPH_DEMO_DEALS ?? flags.deals.fallback },
      web: { type: "string", default: process.env.REVGRAPH_WEB ?? fileURLToPath(new URL("../../web/dist", import.meta.url)) },
    },
  });
}
try {
  parsed = parseCommandLine();
} catch (error) {
  console.error(`revgraph-api: ${(error as Error).message}\n\n${usage()}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(usage());
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`revgraph-api: --port (or PORT) must be a port number 0–65535, got "${values.port}"`);
  process.exit(2);
}
const demoDeals = Number(values.deals);
if (!Number.isSafeInteger(demoDeals) || demoDeals < 0) {
  console.error(`revgraph-api: --deals (or REVGRAPH_DEMO_DEALS) must be a whole number, 0 or more, got "${values.deals}"`);
  process.exit(2);
}

let boundary: ReturnType<typeof boundarySettings>;
try {
  boundary = boundarySettings(process.env);
} catch (error) {
  if (!(error instanceof EnvironmentError)) throw error;
  console.error(`revgraph-api: ${error.message}`);
  process.exit(2);
}

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

const [
  { defaultConfig },
  { openEventStoreAt },
  { createLogger, startTracing },
  { RevenueReadModel },
  { createApp },
  { signToken },
  { seedDemoData },
] = await Promise.all([
  import("@revgraph/domain"),
  import("@revgraph/event-store/open"),
  import("@revgraph/observability"),
  import("@revgraph/read-model"),
  import("./app.ts"),
  import("./auth.ts"),
  import("./demo.ts"),
]);
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
  const deals = demoDeals;
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
  // Deals, risks and KPIs are read from the fact tables and the deals' own streams: the graph holds only the org part,
  // restored on restart from the part kept beside the fact file, so a restart does not replay the log.
  graph: "org",
  onProgress: ({ events, head }) => events > 0 && process.stdout.write(`\rread model: ${events} events applied (head ${head})`),
});
process.stdout.write("\n");
// The first deals page sorts every deal by id once (0.4 s at 100k deals; later events only move the deals they touch):
// done in the background, so it is usually ready before the first request asks for it.
readModel.dealIds({}).catch((error: unknown) => logger.warn({ error: String(error) }, "sorting the deal list failed"));
const demoTokens = values.demo ? await signDemoTokens(readModel, secret, boundary.tokens) : undefined;
const app = createApp({
  store,
  readModel,
  config: defaultConfig,
  jwtSecret: secret,
  logger,
  web: { root: values.web, ...(demoTokens ? { demoTokens } : {}) },
  introspection: values.demo ? "everyone" : "signed-in",
  ...boundary,
});
const server = createServer(app);
server.listen(port, values.host, () => {
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

/**
 * Demo tokens for every role: the rep is the first rep by id, the manager leads that rep's team. They carry the
 * configured issuer and audience and live 12 hours, or the configured maximum lifetime when that is shorter.
 */
async function signDemoTokens(model: ReadModel, jwtSecret: string, policy: TokenPolicy): Promise<Record<string, string>> {
  const firstRep = Object.values(model.state.reps).sort((a, b) => a.repId.localeCompare(b.repId, "en", { numeric: true }))[0];
  const repId = firstRep?.repId ?? "rep-1";
  const teamId = firstRep?.teams.at(-1)?.teamId ?? "team-1";
  const lifetime = Math.min(12 * 60 * 60, policy.maxLifetimeSeconds ?? Number.POSITIVE_INFINITY);
  const sign = (claims: Parameters<typeof signToken>[0]) => signToken(claims, jwtSecret, `${lifetime}s`, policy);
  return {
    rep: await sign({ sub: `demo-${repId}`, role: "rep", repId }),
    manager: await sign({ sub: "demo-manager", role: "manager", teamId }),
    exec: await sign({ sub: "demo-exec", role: "exec" }),
    auditor: await sign({ sub: "demo-auditor", role: "auditor" }),
    admin: await sign({ sub: "demo-admin", role: "admin" }),
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
