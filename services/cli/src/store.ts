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

/** Opens the configured event store: the embedded SQLite file under --data, or PostgreSQL. */
export async function openStore(options: StoreOptions): Promise<EventStore> {
  if (options.store !== "sqlite" && !options.databaseUrl) {
    throw new InvalidArgumentError(`--store ${options.store} needs --database-url (or REVGRAPH_DATABASE_URL)`);
  }
  return openEventStoreAt({ store: options.store, dataDir: options.data, databaseUrl: options.databaseUrl, bulkWrites: true });
}
