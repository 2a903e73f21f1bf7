/**
 * `revgraph`: the command data engineers and auditors live in. Every command prints a table (or JSON
 * with --json), shows progress on a terminal, and exits with a code that means something (see output.ts).
 */
import { type EventStore, StoreMissingError, TamperedEventError } from "@revgraph/event-store";
import { storeKinds } from "@revgraph/event-store/open";
import { KpiQueryError } from "@revgraph/kpis";
import { Command, InvalidArgumentError, Option } from "commander";
import {
  copyLog,
  explain,
  exportData,
  kpiRow,
  parseFilters,
  parseSavedDigest,
  printExplanation,
  rebuild,
  replay,
  seed,
  verify,
} from "./commands.ts";
import { ImportInputError, importFormats, MappingError } from "./import/mapping.ts";
import { runImport } from "./import/run.ts";
import { exitCodes, printTable } from "./output.ts";
import { SourceReadError } from "./reconcile/source-error.ts";
import { openReadModel, openStore, type StoreOptions } from "./store.ts";

const program = new Command("revgraph")
  .description("Event-sourced revenue graph: import CRM history, replay, rebuild, verify, export and explain KPIs.")
  .option("--data <dir>", "data directory of the embedded store", process.env.REVGRAPH_DATA ?? "./data")
  .addOption(new Option("--store <kind>", "event store").choices(storeKinds).default(process.env.REVGRAPH_STORE ?? "sqlite"))
  .option(
    "--database-url <url>",
    "connection string with --store postgres (postgres://…) or kurrentdb (kurrentdb://…)",
    process.env.REVGRAPH_DATABASE_URL,
  )
  .option("--json", "machine-readable output on stdout, no progress bars", false)
  .option("--now <instant>", "evaluate KPIs at this instant instead of the current time (reproducible output)")
  .showHelpAfterError()
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : exitCodes.usage);
  })
  .addHelpText(
    "after",
    `
Exit codes: 0 ok, 1 failure, 2 usage or mapping error, 3 import finished with rejected rows, 4 verification failed,
5 reconcile found differences between a source export and the store.

Examples:
  revgraph seed --deals 2000 --seed 7
  revgraph import history.csv --format salesforce-history --mapping mapping.yaml
  revgraph kpi win_rate pipeline_coverage --period 2026-Q1 --group-by team
  revgraph explain win_rate --period 2026-Q1 --filter team=team-1 --known-at 2026-04-01
  revgraph verify && revgraph export deals --format csv --out deals.csv`,
  );

function globals(): StoreOptions & { now?: string } {
  return program.opts() as StoreOptions & { now?: string };
}

function now(): Date {
  const value = globals().now;
  if (value && Number.isNaN(Date.parse(value)))
    throw new InvalidArgumentError(`--now ${JSON.stringify(value)} is not an ISO instant`);
  return value ? new Date(value) : new Date();
}

function output(result: unknown, text: () => void) {
  if (globals().json) console.log(JSON.stringify(result, null, 2));
  else text();
}

/** Commands that only read: they refuse a data directory or database without a store instead of creating one. */
const readOnlyCommands = new Set(["verify", "digest", "kpi", "explain", "export", "replay"]);
let readOnly = false;
program.hook("preAction", (_program, action) => {
  readOnly = readOnlyCommands.has(action.name());
});

/** The exit code an error ends the command with: usage, tampering found on read, or failure (storage faults included). */
function exitCodeOf(error: unknown): number {
  if (error instanceof TamperedEventError) return exitCodes.verificationFailed;
  const usage =
    error instanceof MappingError ||
    error instanceof ImportInputError ||
    error instanceof InvalidArgumentError ||
    error instanceof KpiQueryError ||
    error instanceof SourceReadError ||
    error instanceof StoreMissingError;
  return usage ? exitCodes.usage : exitCodes.failure;
}

/**
 * Opens the store, runs the command, closes the store, and sets the exit code. Every error ends in one line on stderr
 * (a storage fault names the path and the cause), never a stack trace.
 */
async function withStore(work: (store: EventStore) => Promise<number | undefined>) {
  let store: EventStore | undefined;
  try {
    store = await openStore(globals(), readOnly);
    process.exitCode = (await work(store)) ?? exitCodes.ok;
  } catch (error) {
    process.stderr.write(`revgraph: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = exitCodeOf(error);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

const integer = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return Number(value);
};

program
  .command("import")
  .description("import CRM history or snapshots as events (idempotent: re-running changes nothing)")
  .argument("<file>", "the export to import")
  .addOption(new Option("--format <format>", "what the file is").choices(importFormats).makeOptionMandatory())
  .option("--mapping <file>", "YAML or JSON mapping: columns, stage names, dates, encoding, side tables")
  .option("--dry-run", "convert and report, write nothing", false)
  .option("--rejects <file>", "where to write rejected rows (default <file>.rejects.csv)")
  .addHelpText("after", "\nExample:\n  revgraph import pipeline.csv --format csv --mapping crm.yaml --dry-run")
  .action(
    (file: string, options: { format: (typeof importFormats)[number]; mapping?: string; dryRun: boolean; rejects?: string }) =>
      withStore(async (store) => {
        const summary = await runImport(store, { file, ...options, json: globals().json });
        output(summary, () => {
          console.log(
            `${summary.dryRun ? "dry run: " : ""}${summary.rowsRead} rows read, ${summary.streams} streams, ${summary.eventsWritten} events written, ${summary.eventsAlreadyPresent} already present (skipped), ${summary.dealsRejected} deals / ${summary.rowsRejected} rows rejected in ${summary.seconds.toFixed(2)} s`,
          );
          if (summary.rejectsFile) console.log(`rejected rows: ${summary.rejectsFile}`);
        });
        return summary.rowsRejected > 0 ? exitCodes.rejectedRows : exitCodes.ok;
      }),
  );

program
  .command("reconcile")
  .description("compare a deal export with what the store holds from it, per deal and in aggregate (writes nothing)")
  .argument("<file>", "the export that was imported")
  .addOption(
    new Option("--format <format>", "what the file is")
      .choices(importFormats.filter((format) => format !== "ndjson"))
      .makeOptionMandatory(),
  )
  .option("--mapping <file>", "the mapping the import used")
  .option("--rejects <file>", "the import's rejected rows (default <file>.rejects.csv): listed apart, not differences")
  .addHelpText(
    "after",
    `
Reads the export a second way (DuckDB's CSV reader with the mapping's columns, encoding, delimiter, defaults,
normalisation and stage map — not the importer's code) and compares per deal: presence, stage, status, amount,
currency, expected close date, created and closed dates (in the mapping's time zone), number of changes; and in
aggregate: deals per stage, amount per currency, wins and losses per quarter. Exit 0 when faithful, 5 when not.

Examples:
  revgraph reconcile history.csv --format salesforce-history --mapping mapping.yaml
  revgraph --json reconcile pipeline.csv --format csv --mapping crm.yaml | jq '.differences'`,
  )
  .action(
    (file: string, options: { format: Exclude<(typeof importFormats)[number], "ndjson">; mapping?: string; rejects?: string }) =>
      withStore(async (store) => {
        const { printReconcile, runReconcile } = await import("./reconcile/run.ts");
        const result = await runReconcile(store, { file, ...options });
        output(result, () => printReconcile(result));
        return result.faithful ? exitCodes.ok : exitCodes.notReconciled;
      }),
  );

program
  .command("rebuild")
  .description("rebuild the revenue graph from the whole log; prints events/s")
  .option("--projection <name>", "which projection to rebuild (the revenue graph is the one projection)", "graph")
  .addHelpText("after", "\nExamples:\n  revgraph rebuild\n  revgraph --json rebuild")
  .action((options: { projection: string }) =>
    withStore(async (store) => {
      if (options.projection !== "graph")
        throw new InvalidArgumentError(`--projection ${options.projection}: the only projection is "graph"`);
      const result = await rebuild(store, globals());
      output(result, () =>
        console.log(
          `rebuilt ${result.events} events (${result.deals} deals) in ${result.seconds.toFixed(2)} s — ${result.eventsPerSecond.toLocaleString("en-US")} events/s`,
        ),
      );
      return exitCodes.ok;
    }),
  );

program
  .command("replay")
  .description("show the state as it was at a point of the log")
  .requiredOption("--until <position|date>", "a global position, or a record time (ISO)")
  .addHelpText("after", "\nExamples:\n  revgraph replay --until 2026-04-01T00:00:00Z\n  revgraph replay --until 125000 --json")
  .action((options: { until: string }) =>
    withStore(async (store) => {
      const state = await replay(store, options.until);
      output(state, () => {
        const { dealsByStage, ...totals } = state;
        printTable([totals]);
        printTable(Object.entries(dealsByStage).map(([stage, deals]) => ({ stage, deals })));
      });
      return exitCodes.ok;
    }),
  );

program
  .command("export")
  .description("export events, KPIs or deals")
  .addArgument(new Command().createArgument("<what>", "events | kpis | deals").choices(["events", "kpis", "deals"]))
  .addOption(new Option("--format <format>").choices(["ndjson", "csv", "json"]).default("ndjson"))
  .option("--period <period>", "for kpis: 2026-Q1, 2026-03, trailing-90d, …")
  .option("--time-zone <zone>", "for kpis", "UTC")
  .option("--out <file>", "write here instead of stdout")
  .addHelpText(
    "after",
    "\nExamples:\n  revgraph export events --format ndjson --out events.ndjson\n  revgraph export kpis --period 2026-Q1 --format csv\n  revgraph export deals --format json",
  )
  .action(
    (
      what: "events" | "kpis" | "deals",
      options: { format: "ndjson" | "csv" | "json"; period?: string; timeZone: string; out?: string },
    ) =>
      withStore(async (store) => {
        const result = await exportData(store, what, options.format, { ...options, now: now(), storeOptions: globals() });
        if (options.out) output(result, () => console.log(`exported ${result.rows} ${what} to ${options.out}`));
        return exitCodes.ok;
      }),
  );

/** How many findings `verify` prints as text; `--json` lists all of them. */
const findingsShown = 50;

program
  .command("verify")
  .description(
    "check the whole log: positions, columns, content hashes, stream and log chains, checkpoints, head, and a saved digest",
  )
  .option("--digest <file|json>", "a digest saved earlier (revgraph --json digest): prove the log still extends it")
  .addHelpText(
    "after",
    "\nExamples:\n  revgraph verify || echo tampered\n  revgraph --json digest > head.json   # later:\n  revgraph verify --digest head.json",
  )
  .action((options: { digest?: string }) =>
    withStore(async (store) => {
      const saved = options.digest === undefined ? undefined : parseSavedDigest(options.digest);
      const result = await verify(store, globals(), saved);
      output(result, () => {
        if (result.findings.length > 0) {
          console.log(`FAILED: ${result.findings.length} finding(s) in ${result.eventsChecked} events`);
          for (const finding of result.findings.slice(0, findingsShown)) {
            const where =
              finding.position === null
                ? "log"
                : `position ${finding.position}${finding.eventId ? `, event ${finding.eventId}` : ""}${finding.streamId ? ` (${finding.streamId})` : ""}`;
            console.log(`  ${where}: ${finding.reason} [${finding.check}]`);
          }
          if (result.findings.length > findingsShown)
            console.log(`  … and ${result.findings.length - findingsShown} more (--json lists every finding)`);
        } else {
          console.log(
            `log ok: ${result.eventsChecked} events in ${result.streamsChecked} streams; head ${result.digest.position}, log hash ${result.digest.logHash}`,
          );
          if (result.savedDigest) console.log(`the log extends the saved digest at position ${result.savedDigest.position}`);
        }
      });
      return result.ok ? exitCodes.ok : exitCodes.verificationFailed;
    }),
  );

program
  .command("digest")
  .description("the log's head: position, log hash (chained over every event) and record time; save it to verify against later")
  .addHelpText(
    "after",
    "\nExamples:\n  revgraph --json digest > digests/$(date +%F).json\n  revgraph verify --digest digests/2026-04-01.json",
  )
  .action(() =>
    withStore(async (store) => {
      const digest = await store.digest();
      output(digest, () =>
        console.log(`position ${digest.position}  log hash ${digest.logHash}  recorded at ${digest.recordedAt ?? "—"}`),
      );
      return exitCodes.ok;
    }),
  );

program
  .command("explain")
  .description("a KPI's value, its formula with input values, and the contributing events (paged)")
  .argument("<kpi>", "KPI id, e.g. win_rate")
  .requiredOption("--period <period>", "2026-Q1, 2026-03, 2026, trailing-90d, 2026-01-01..2026-04-01")
  .option("--time-zone <zone>", "IANA time zone of the period", "UTC")
  .option(
    "--filter <dimension=value>",
    "repeatable: team=team-1, rep=rep-3, segment=SMB, …",
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .option("--as-of <instant>", "business time: only events that occurred by then")
  .option("--known-at <instant>", "record time: only events recorded by then")
  .addOption(new Option("--format <format>").choices(["text", "prov", "openlineage"]).default("text"))
  .option("--page <n>", "page of contributing events", integer("--page"), 1)
  .option("--page-size <n>", "events per page", integer("--page-size"), 20)
  .addHelpText(
    "after",
    "\nExamples:\n  revgraph explain win_rate --period 2026-Q1\n  revgraph explain pipeline_coverage --period 2026-Q2 --filter team=team-1 --page 2\n  revgraph explain win_rate --period 2026-Q1 --known-at 2026-04-01 --format openlineage",
  )
  .action(
    (
      kpi: string,
      options: {
        period: string;
        timeZone: string;
        filter: string[];
        asOf?: string;
        knownAt?: string;
        format: "text" | "prov" | "openlineage";
        page: number;
        pageSize: number;
      },
    ) =>
      withStore(async (store) => {
        const result = await explain(store, kpi, {
          ...options,
          filter: parseFilters(options.filter),
          now: now(),
          storeOptions: globals(),
        });
        if (result.kind === "document") console.log(JSON.stringify(result.document, null, 2));
        else output(result, () => printExplanation(result));
        return exitCodes.ok;
      }),
  );

program
  .command("kpi")
  .description("compute KPIs for a period, optionally grouped")
  .argument("<ids...>", "KPI ids")
  .requiredOption("--period <period>", "2026-Q1, 2026-03, trailing-90d, …")
  .option("--time-zone <zone>", "IANA time zone", "UTC")
  .option("--group-by <dimension>", "rep, team, manager, region, segment, product, leadSource, competitor, dealSizeBand, account")
  .option("--filter <dimension=value>", "repeatable", (value: string, previous: string[]) => [...previous, value], [] as string[])
  .option("--as-of <instant>", "business time")
  .option("--known-at <instant>", "record time")
  .addHelpText(
    "after",
    "\nExamples:\n  revgraph kpi win_rate average_deal_size --period 2026-Q1 --group-by team\n  revgraph kpi quota_attainment --period 2026-03 --filter rep=rep-1 --json",
  )
  .action(
    (
      ids: string[],
      options: { period: string; timeZone: string; groupBy?: string; filter: string[]; asOf?: string; knownAt?: string },
    ) =>
      withStore(async (store) => {
        const query = {
          kpis: ids,
          period: options.period,
          timeZone: options.timeZone,
          filter: parseFilters(options.filter),
          ...(options.groupBy ? { groupBy: options.groupBy as never } : {}),
          ...(options.asOf ? { asOf: options.asOf } : {}),
          ...(options.knownAt ? { knownAt: options.knownAt } : {}),
        };
        const model = await openReadModel(store, globals(), query);
        const results = await model.computeKpis(query, now());
        await model.close();
        const rows = results.map(kpiRow);
        output(rows, () => printTable(rows));
        return exitCodes.ok;
      }),
  );

program
  .command("seed")
  .description("write generated, deterministic demo history into the store")
  .option("--deals <n>", "number of deals", integer("--deals"), 2000)
  .option("--seed <n>", "random seed", integer("--seed"), 7)
  .addHelpText("after", "\nExamples:\n  revgraph seed --deals 100000 --seed 42")
  .action((options: { deals: number; seed: number }) =>
    withStore(async (store) => {
      const result = await seed(store, options.deals, options.seed, now(), globals().json);
      output(result, () =>
        console.log(`seeded ${result.deals} deals, ${result.events} events in ${result.seconds.toFixed(2)} s`),
      );
      return exitCodes.ok;
    }),
  );

program
  .command("copy")
  .description("copy the whole log into another store (e.g. the embedded store into PostgreSQL or KurrentDB), in order")
  .addOption(new Option("--to-store <kind>", "target event store").choices(storeKinds).makeOptionMandatory())
  .option("--to-data <dir>", "target data directory (with --to-store sqlite)")
  .option("--to-database-url <url>", "target connection string (postgres://… or kurrentdb://…)")
  .addHelpText(
    "after",
    `
Ids, streams, stream revisions and the order of the log are kept (into an empty target the global positions are the
same up to the first checkpoint digest); the target records its own record times, seals its own hash chains and log
chain and writes its own checkpoint digests (the source's are left out) — run \`revgraph verify\` on it after.
An interrupted copy resumes after the last event the target holds when run again.

Examples:
  revgraph copy --to-store postgres --to-database-url postgres://revgraph@db/revgraph
  revgraph copy --to-store kurrentdb --to-database-url "kurrentdb://node1:2113,node2:2113,node3:2113?tls=false"`,
  )
  .action((options: { toStore: StoreOptions["store"]; toData?: string; toDatabaseUrl?: string }) =>
    withStore(async (store) => {
      if (options.toStore === "sqlite" && !options.toData)
        throw new InvalidArgumentError("--to-store sqlite needs --to-data <dir>");
      const target = await openStore({
        store: options.toStore,
        data: options.toData ?? "",
        json: globals().json,
        ...(options.toDatabaseUrl ? { databaseUrl: options.toDatabaseUrl } : {}),
      });
      try {
        const result = await copyLog(store, target, globals().json);
        output(result, () =>
          console.log(
            `copied ${result.copied} events${result.resumedFrom ? ` (resumed after ${result.resumedFrom})` : ""} in ${result.seconds.toFixed(2)} s; target head ${result.head}`,
          ),
        );
      } finally {
        await target.close();
      }
      return exitCodes.ok;
    }),
  );

await program.parseAsync(process.argv);
