import { join, resolve } from "node:path";
import type { EventStore } from "./port.ts";
import { openPostgresEventStore } from "./postgres.ts";
import { openSqliteEventStore } from "./sqlite.ts";

/** Which store a process should use: the embedded SQLite file in a data directory (default), or PostgreSQL. */
export interface StoreLocation {
  readonly store: "sqlite" | "postgres";
  /** Data directory holding `revgraph.db` (SQLite). */
  readonly dataDir: string;
  /** PostgreSQL connection string (required for `postgres`). */
  readonly databaseUrl?: string | undefined;
}

/** Opens the store a process is configured for; the API, the CLI and the projector share this. */
export async function openEventStoreAt(location: StoreLocation): Promise<EventStore> {
  if (location.store === "postgres") {
    if (!location.databaseUrl)
      throw new Error("the postgres store needs a connection string (REVGRAPH_DATABASE_URL or --database-url)");
    return openPostgresEventStore({ connectionString: location.databaseUrl });
  }
  return openSqliteEventStore({ path: join(resolve(location.dataDir), "revgraph.db") });
}
