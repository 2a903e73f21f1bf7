import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultConfig } from "@revgraph/domain";
import type { EventStore } from "@revgraph/event-store";
import { openEventStoreAt, type StoreLocation } from "@revgraph/event-store/open";
import type { KpiQuery } from "@revgraph/kpis";
import type { RevenueReadModel } from "@revgraph/read-model";
import { InvalidArgumentError } from "commander";

/** Global options every command shares. */
export interface StoreOptions {
  readonly data: string;
  readonly store: StoreLocation["store"];
  readonly databaseUrl?: string;
  readonly json: boolean;
}

/** `REVGRAPH_SQLITE_MAX_PAGES`: a size cap on the embedded store (SQLite `max_page_count`), e.g. for a shared disk. */
function maxPageCount(): number | undefined {
  const value = process.env.REVGRAPH_SQLITE_MAX_PAGES;
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(`REVGRAPH_SQLITE_MAX_PAGES=${JSON.stringify(value)} must be a whole number`);
  return Number(value);
}

/**
 * Opens the configured event store: the embedded SQLite file under --data, or PostgreSQL. With `mustExist` (read-only
 * commands) a location without a store is refused instead of created.
 */
export async function openStore(options: StoreOptions, mustExist = false): Promise<EventStore> {
  if (options.store !== "sqlite" && !options.databaseUrl) {
    throw new InvalidArgumentError(`--store ${options.store} needs --database-url (or REVGRAPH_DATABASE_URL)`);
  }
  return openEventStoreAt({
    store: options.store,
    dataDir: options.data,
    databaseUrl: options.databaseUrl,
    bulkWrites: true,
    mustExist,
    maxPageCount: maxPageCount(),
  });
}

/**
 * Opens the read model for one command, caught up from the log, without following it. With `forKpis` answered from
 * SQL ({@link compiledForSql}) it keeps its fact tables in `read-model.cli.duckdb` under --data, apart from the API's
 * file, so the CLI runs while the API serves; when another CLI process holds that file, this one keeps them in memory.
 * With that file at the head of the log, the graph is not replayed (the fact tables answer). The read model (and
 * DuckDB with it) is loaded only here, so commands that do not need it start faster.
 */
export async function openReadModel(store: EventStore, options: StoreOptions, forKpis?: KpiQuery): Promise<RevenueReadModel> {
  const { compiledForSql, RevenueReadModel } = await import("@revgraph/read-model");
  if (!forKpis || !compiledForSql(forKpis)) return RevenueReadModel.open({ store, config: defaultConfig, follow: false });
  const dataDir = resolve(options.data);
  mkdirSync(dataDir, { recursive: true });
  try {
    return await RevenueReadModel.open({
      store,
      config: defaultConfig,
      follow: false,
      factsPath: join(dataDir, "read-model.cli.duckdb"),
      graphWhenNeeded: true,
    });
  } catch (error) {
    if (!(error instanceof Error && /lock/i.test(error.message))) throw error;
    return RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath: ":memory:" });
  }
}
