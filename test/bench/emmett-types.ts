/** The slice of @event-driven-io/emmett-sqlite the benchmark uses (the package is installed beside the bench, not in the workspace). */
export declare function getSQLiteEventStore(options: {
  fileName: string;
  schema?: { autoMigration?: "None" | "CreateOrUpdate" };
}): {
  appendToStream(streamName: string, events: { type: string; data: unknown }[]): Promise<unknown>;
};
/** A connection for the low-level readers. */
export interface SQLiteConnection {
  close(): void;
}
export declare function sqliteConnection(options: { fileName: string }): SQLiteConnection;
export declare function readMessagesBatch(
  connection: SQLiteConnection,
  options: { after: bigint; batchSize: number },
): Promise<{ messages: unknown[]; currentGlobalPosition: bigint; areMessagesLeft: boolean }>;
