import { join, resolve } from "node:path";
import type { EventStore } from "./port.ts";
import { openSqliteEventStore } from "./sqlite.ts";
import { storeKinds } from "./store-kinds.ts";

export { storeKinds };

/** Which store a process should use: the embedded SQLite file in a data directory (default), PostgreSQL or KurrentDB. */
export interface StoreLocation {
  readonly store: (typeof storeKinds)[number];
  /** Data directory holding `revgraph.db` (SQLite). */
  readonly dataDir: string;
  /** Connection string: `postgres://…` for PostgreSQL, `kurrentdb://…` for KurrentDB (required for both). */
  readonly databaseUrl?: string | undefined;
  /**
   * The process writes in large batches (imports, seeding, copies). The embedded store then checkpoints less often
   * and syncs at checkpoints rather than at every commit: a killed process still loses nothing committed, a power
   * loss may lose the last batches (a re-run of an import restores them), and closing the store syncs everything.
   */
  readonly bulkWrites?: boolean;
  /** Refuse a location that holds no store (`StoreMissingError`) instead of creating one: for read-only commands. */
  readonly mustExist?: boolean;
  /** Caps the embedded store's file at this many pages (SQLite `max_page_count`); writes beyond fail as on a full disk. */
  readonly maxPageCount?: number | undefined;
}

/**
 * Opens the store a process is configured for; the API, the CLI and the projector share this. The PostgreSQL and
 * KurrentDB clients are loaded only when asked for (the KurrentDB client's gRPC stack alone is a noticeable part of a
 * CLI command's start-up).
 */
export async function openEventStoreAt(location: StoreLocation): Promise<EventStore> {
  if (location.store !== "sqlite" && !location.databaseUrl) {
    throw new Error(`the ${location.store} store needs a connection string (REVGRAPH_DATABASE_URL or --database-url)`);
  }
  const mustExist = location.mustExist ?? false;
  if (location.store === "postgres") {
    const { openPostgresEventStore } = await import("./postgres.ts");
    return openPostgresEventStore({ connectionString: location.databaseUrl as string, mustExist });
  }
  if (location.store === "kurrentdb") {
    const { openKurrentDbEventStore } = await import("./kurrentdb.ts");
    return openKurrentDbEventStore({ connectionString: location.databaseUrl as string });
  }
  return openSqliteEventStore({
    path: join(resolve(location.dataDir), "revgraph.db"),
    mustExist,
    ...(location.maxPageCount !== undefined ? { maxPageCount: location.maxPageCount } : {}),
    ...(location.bulkWrites ? { walAutocheckpointPages: 50_000, durability: "normal" as const } : {}),
  });
}
