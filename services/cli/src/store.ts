import { join, resolve } from "node:path";
import type { EventStore } from "@revgraph/event-store";
import { openEventStoreAt, type StoreLocation } from "@revgraph/event-store/open";
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

/** Where the read model's snapshot lives for this data directory. */
export function snapshotPath(options: StoreOptions): string {
  return join(resolve(options.data), "graph.snapshot.json");
}
