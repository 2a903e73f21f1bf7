#!/usr/bin/env node
/**
 * revgraph-projector: follows the event log and keeps the relational read models current.
 *
 *   revgraph-projector run [--store sqlite|postgres] [--data ./data] [--database-url URL] [--target sqlite:PATH|postgres:URL]
 *                          [--version 1] [--port 9464] [--exit-when-caught-up]
 *   revgraph-projector switch <version> [--force]
 *   revgraph-projector status
 */
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import type { EventStore } from "@revgraph/event-store";
import { openEventStoreAt, type StoreLocation, storeKinds } from "@revgraph/event-store/open";
import { createLogger, startTracing, tracedEventStore } from "@revgraph/observability";
import { Command, InvalidArgumentError, Option } from "commander";
import { projectorMetrics } from "./metrics.ts";
import { openPostgresSink } from "./postgres-sink.ts";
import { Projector, switchVersion } from "./projector.ts";
import type { ReadModelSink } from "./sink.ts";
import { openSqliteSink } from "./sqlite-sink.ts";

const log = createLogger("revgraph-projector");

interface GlobalOptions {
  store: StoreLocation["store"];
  data: string;
  databaseUrl?: string;
  target?: string;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return parsed;
}

async function openBoth(options: GlobalOptions): Promise<{ store: EventStore; sink: ReadModelSink; target: string }> {
  const target =
    options.target ??
    (options.store === "postgres"
      ? `postgres:${options.databaseUrl ?? ""}`
      : `sqlite:${join(resolve(options.data), "read-models.db")}`);
  const store = tracedEventStore(
    await openEventStoreAt({ store: options.store, dataDir: options.data, databaseUrl: options.databaseUrl }),
  );
  const [kind, ...rest] = target.split(":");
  const location = rest.join(":");
  if (kind === "sqlite" && location) return { store, sink: openSqliteSink(location), target };
  if (kind === "postgres" && location) return { store, sink: await openPostgresSink(location), target };
  await store.close();
  throw new InvalidArgumentError(`--target must be sqlite:PATH or postgres:URL, got "${target}"`);
}

/*
 * Read models default to beside the store: the same PostgreSQL database, or an SQLite file in the data directory
 * (also for KurrentDB, whose read models belong in PostgreSQL in production: pass --target postgres:URL).
 */
const program = new Command("revgraph-projector")
  .description("Follows the event log and keeps relational read models (deal_summary) current in SQLite or PostgreSQL.")
  .addOption(new Option("--store <kind>", "event store").choices(storeKinds).default(process.env.REVGRAPH_STORE ?? "sqlite"))
  .option("--data <dir>", "data directory of the embedded store", process.env.REVGRAPH_DATA ?? "./data")
  .option(
    "--database-url <url>",
    "connection string with --store postgres (postgres://…) or kurrentdb (kurrentdb://…)",
    process.env.REVGRAPH_DATABASE_URL,
  )
  .option(
    "--target <sink>",
    "where read models go: sqlite:PATH or postgres:URL (default: beside the store)",
    process.env.REVGRAPH_READ_MODELS,
  )
  .showHelpAfterError();

program
  .command("run")
  .description("catch up from the checkpoint, then follow the log; serves /metrics, /health and /ready")
  .option("--version <n>", "read-model version to build (blue/green)", positiveInteger, 1)
  .option("--batch-size <n>", "events per transaction", positiveInteger, 1_000)
  .option("--port <port>", "metrics/health port (0 = none)", process.env.PROJECTOR_PORT ?? "9464")
  .option("--host <host>", "metrics/health address", process.env.PROJECTOR_HOST ?? "127.0.0.1")
  .option("--ready-max-lag <seconds>", "/ready answers 200 while the lag is at most this", "5")
  .option("--exit-when-caught-up", "stop once the log has nothing newer (one-off rebuilds)")
  .addHelpText(
    "after",
    "\nExamples:\n  revgraph-projector run\n  revgraph-projector --store postgres --database-url postgres://… run --version 2\n",
  )
  .action(
    async (options: {
      version: number;
      batchSize: number;
      port: string;
      host: string;
      readyMaxLag: string;
      exitWhenCaughtUp?: boolean;
    }) => {
      // Spans go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set; otherwise tracing stays a no-op.
      const tracing = startTracing({ serviceName: "revgraph-projector" });
      const { store, sink, target } = await openBoth(program.opts<GlobalOptions>());
      const metrics = projectorMetrics(options.version);
      const projector = new Projector({
        store,
        sink,
        version: options.version,
        batchSize: options.batchSize,
        onError: (error, failures) => log.error({ err: error, failures }, "batch failed; retrying from the checkpoint"),
        onBatch: (report) => {
          metrics.recordBatch(report);
          log.debug(report, "batch applied");
        },
      });
      await projector.start();
      log.info({ store: store.kind, target, version: options.version, position: projector.position }, "projector starting");
      const server = createServer(async (request, response) => {
        const lag = await projector.lag();
        metrics.recordLag(lag);
        if (request.url === "/metrics") {
          response.writeHead(200, { "content-type": metrics.registry.contentType }).end(await metrics.registry.metrics());
        } else if (request.url === "/health") {
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok" }));
        } else if (request.url === "/ready") {
          const ready = lag.seconds <= Number(options.readyMaxLag);
          response
            .writeHead(ready ? 200 : 503, { "content-type": "application/json" })
            .end(JSON.stringify({ status: ready ? "ready" : "catching_up", version: options.version, ...lag }));
        } else response.writeHead(404).end();
      });
      if (options.port !== "0")
        server.listen(Number(options.port), options.host, () => log.info({ port: options.port }, "metrics listening"));
      const stop = new AbortController();
      const shutdown = (signal: string) => {
        log.info({ signal }, "stopping");
        stop.abort();
      };
      process.on("SIGINT", () => shutdown("SIGINT"));
      process.on("SIGTERM", () => shutdown("SIGTERM"));
      const applied = await projector.catchUp();
      const caughtUp = await projector.lag();
      metrics.recordLag(caughtUp);
      log.info({ applied, ...caughtUp }, "caught up");
      if ((await sink.activeVersion()) === null) {
        await sink.activate(options.version);
        log.info({ version: options.version }, "first version: deal_summary now serves it");
      }
      if (!options.exitWhenCaughtUp) await projector.follow(stop.signal);
      server.close();
      await sink.close();
      await store.close();
      await tracing?.shutdown();
    },
  );

program
  .command("switch")
  .description("point the deal_summary view at another read-model version (refused while it is behind the log)")
  .argument("<version>", "version to serve", positiveInteger)
  .option("--force", "switch even if that version is behind")
  .action(async (version: number, options: { force?: boolean }) => {
    const { store, sink } = await openBoth(program.opts<GlobalOptions>());
    try {
      const previous = await sink.activeVersion();
      await switchVersion(store, sink, version, options.force ?? false);
      log.info({ from: previous, to: version }, "switched");
    } finally {
      await sink.close();
      await store.close();
    }
  });

program
  .command("status")
  .description("print the active version and each version's checkpoint against the log's head, as JSON")
  .action(async () => {
    const { store, sink } = await openBoth(program.opts<GlobalOptions>());
    try {
      const head = await store.headPosition();
      const versions = (await sink.versions()).map((entry) => ({ ...entry, lagEvents: head - entry.checkpoint }));
      console.log(JSON.stringify({ head, active: await sink.activeVersion(), versions }));
    } finally {
      await sink.close();
      await store.close();
    }
  });

try {
  await program.parseAsync();
} catch (error) {
  log.error({ err: error }, error instanceof Error ? error.message : String(error));
  process.exitCode = error instanceof InvalidArgumentError ? 2 : 1;
}
