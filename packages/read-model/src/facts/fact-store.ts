import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { GraphState, RevenueConfig } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import { appendRows, type Column, createTableSql, type Row } from "./columns.ts";
import { DealCloseHistoryProjection, dealCloseHistoryColumns } from "./deal-close-history.ts";
import {
  applyLastTouch,
  type DealLastTouchChanges,
  dealLastTouchColumns,
  endedLastTouchColumns,
  endLastTouchesSql,
  noLastTouchChanges,
} from "./deal-last-touches.ts";
import { type DealRowListChanges, endDealRowListSql, endedDealRowListColumns, noDealRowListChanges } from "./deal-row-lists.ts";
import { DealStayProjection, dealStayColumns } from "./deal-stays.ts";
import {
  type DealVersionChanges,
  DealVersionProjection,
  dealVersionColumns,
  lastTimeOf,
  packedOpenRowsSql,
} from "./deal-versions.ts";
import {
  dealAmountFacts,
  interactionDerivedTables,
  interactions,
  updateInteractionDerivedTables,
  updateInteractionValues,
} from "./engagement.ts";
import { BatchRecordTimes } from "./record-times.ts";
import { type EventFactTable, eventFactRows, eventFactTables, stampColumns } from "./simple-facts.ts";

/** Bumped when a table's shape or meaning changes: a file of another format is rebuilt from the log. */
const FORMAT = 10;

const positionColumns: readonly Column[] = [
  { name: "format", type: "INTEGER" },
  { name: "position", type: "BIGINT" },
  { name: "event_id", type: "VARCHAR" },
  { name: "latest_occurred_at", type: "VARCHAR" },
];
/** (recordedAt, the last position recorded at or before it): "known at K" is the log up to that position. */
const recordLogColumns: readonly Column[] = [
  { name: "recorded_at", type: "VARCHAR" },
  { name: "position", type: "BIGINT" },
];
const endedColumns: readonly Column[] = [
  { name: "row_id", type: "BIGINT" },
  { name: "known_to", type: "BIGINT" },
  { name: "known_to_at", type: "VARCHAR" },
];

/**
 * DuckDB's checkpoint threshold while catching up (its default is 16 MB of WAL). A checkpoint rewrites every row group
 * with a row whose `known_to` a batch set, which is most of `deal_versions`: at the default, every other batch of a
 * catch-up rewrote the table again (two thirds of a cold build waited on commits). Raised while catching up, one
 * checkpoint at the end writes it once.
 */
const CATCH_UP_CHECKPOINT_THRESHOLD = "1GB";

/**
 * The DuckDB memory limit of a fact store in a file, unless {@link FactStoreOptions.memoryLimit} says otherwise: what
 * DuckDB's buffer pool keeps of the file and of queries' intermediates before it evicts blocks or spills to a
 * temporary directory beside the file (DuckDB's own default is 80% of the machine's memory). At 100k deals it takes
 * the peak RSS of a fresh process answering all 25 KPIs by team from SQL without the graph (`read-model-facts-only.ts`)
 * from 2.2 GB to 1.2 GB, at 6.0–6.6 s instead of 5.3–5.7 s; the core scorecard's stays at 0.33 GB. DuckDB fails a
 * query it cannot fit ("Out of Memory Error"): all 25 KPIs by team need between 256 and 512 MB, at 20k deals and at
 * 100k alike, values only; with every event id listed they need about 2 GB at 100k, and such a query runs once more
 * under DuckDB's own limit (`kpi-sql/read-rows.ts`). Catching up runs under
 * {@link DEFAULT_CATCH_UP_MEMORY_LIMIT}; a store in memory runs without a limit, its tables live in the buffer pool.
 */
export const DEFAULT_MEMORY_LIMIT = "1GB";

/**
 * The DuckDB memory limit of a fact store in a file while it catches up, unless
 * {@link FactStoreOptions.catchUpMemoryLimit} says otherwise. Under DuckDB's own (80% of the machine's memory) a
 * million-deal build from nothing (20.4M events, org graph) peaked at 11.9 GB of RSS in 1,820 s; under 2 GB it peaks
 * at 6.6 GB in 1,845 s, the JavaScript heap's 3.3 GB at most of it either way. At 100k deals the build takes 78–80 s
 * under 1 GB, 2 GB or DuckDB's own limit alike.
 */
export const DEFAULT_CATCH_UP_MEMORY_LIMIT = "2GB";

/** Sets DuckDB's memory limit (a size as DuckDB writes it: "512MB", "2GB") for the connection's database. */
export async function setMemoryLimit(connection: DuckDBConnection, limit: string): Promise<void> {
  await connection.run(`SET memory_limit = '${limit.replaceAll("'", "''")}'`);
}

/** DuckDB's memory limit for the connection's database, as DuckDB prints it ("1.8 GiB" once "2GB" was set). */
export async function memoryLimit(connection: DuckDBConnection): Promise<string> {
  const [row] = (await connection.runAndReadAll("SELECT current_setting('memory_limit') AS setting")).getRowObjectsJS();
  return String(row?.setting);
}

/** The smallest row id of a batch's inserted deal versions (ids are given in increasing order), if any. */
const firstRowId = (inserted: ReadonlyMap<number, Row>): number | undefined => inserted.keys().next().value;

const tableColumns = (table: EventFactTable) => [...stampColumns, ...table.columns];

/**
 * Every table of facts: the deal versions, the latest version of each deal, the stage stays, the close-date histories,
 * each deal's latest touch, the event-fact tables and the tables derived from the interaction tables at each flush
 * (ids logged again, the points at which contacts became engaged, the interactions' values at the head).
 */
export const factTableNames: readonly string[] = [
  "deal_versions",
  "deal_current",
  "deal_stays",
  "deal_close_history",
  "deal_last_touches",
  ...eventFactTables.map((t) => t.table),
  ...interactionDerivedTables.map((t) => t.table),
];

/** Where the fact tables live: a DuckDB file, or memory (tests, a process whose file another one holds). */
export interface FactStoreOptions {
  readonly path: string | ":memory:";
  readonly config: RevenueConfig;
  /** DuckDB worker threads (default 2; 1 answers small queries fastest on a busy machine). */
  readonly threads?: number;
  /**
   * DuckDB's memory limit for queries and live writes, as DuckDB writes sizes ("512MB", "2GB"; default
   * {@link DEFAULT_MEMORY_LIMIT} for a file, DuckDB's own in memory).
   */
  readonly memoryLimit?: string;
  /**
   * DuckDB's memory limit while catching up (default {@link DEFAULT_CATCH_UP_MEMORY_LIMIT} for a file; none in memory).
   */
  readonly catchUpMemoryLimit?: string;
  /**
   * How many deals' last version values the deal-version projection keeps to reuse (default 20,000, the most recently
   * derived); a deal without them is derived again, to the same rows.
   */
  readonly versionValuesKept?: number;
}

/**
 * The bitemporal fact tables in embedded DuckDB, with the log position they cover. Events are collected with
 * {@link apply} and written with {@link flush}: rows, ended record intervals and the new position in one
 * transaction, through the appender — so a process killed at any moment leaves the file at a position whose rows
 * are all there, and a restart resumes after it without applying anything twice.
 */
export class FactStore {
  readonly #instance: DuckDBInstance;
  readonly #writer: DuckDBConnection;
  readonly #reader: DuckDBConnection;
  readonly #config: RevenueConfig;
  /** A deal-version projection with nothing applied, keeping as many deals' last values as the options say. */
  readonly #newVersions: () => DealVersionProjection;
  /** The open rows of each deal, loaded by {@link prepare} (at once for an empty file). */
  #versions: DealVersionProjection | undefined;
  /** {@link prepare} under way: callers while it runs wait for the same load. */
  #loading: Promise<void> | undefined;
  readonly #stays: DealStayProjection;
  readonly #closeHistory: DealCloseHistoryProjection;
  #pending: {
    changes: DealVersionChanges;
    stays: DealRowListChanges;
    closeHistory: DealRowListChanges;
    lastTouches: DealLastTouchChanges;
    facts: Map<EventFactTable, Row[]>;
    records: BatchRecordTimes;
  };
  #position = 0;
  /** The position the file holds (the last flush's): interactions logged after it are new to the next flush. */
  #written = 0;
  #eventId: string | null = null;
  #latestOccurredAt = "";
  #latestVersionTime = "";
  #unflushed = 0;
  /** The memory limit of queries and live writes, and DuckDB's own (catching up), when they differ. */
  #memoryLimits: { readonly serving: string; readonly catchingUp: string } | undefined;

  private constructor(
    instance: DuckDBInstance,
    writer: DuckDBConnection,
    reader: DuckDBConnection,
    config: RevenueConfig,
    versionValuesKept: number | undefined,
  ) {
    this.#instance = instance;
    this.#writer = writer;
    this.#reader = reader;
    this.#config = config;
    this.#newVersions = () => new DealVersionProjection(config, versionValuesKept);
    this.#stays = new DealStayProjection(config);
    this.#closeHistory = new DealCloseHistoryProjection(config);
    this.#pending = FactStore.#emptyBatch();
  }

  static #emptyBatch() {
    return {
      changes: { inserted: new Map(), ended: [] },
      stays: noDealRowListChanges(),
      closeHistory: noDealRowListChanges(),
      lastTouches: noLastTouchChanges(),
      facts: new Map<EventFactTable, Row[]>(),
      records: new BatchRecordTimes(),
    };
  }

  /** Opens (or creates) the tables and restores where they stand. */
  static async open(options: FactStoreOptions): Promise<FactStore> {
    const instance = await DuckDBInstance.create(options.path, { threads: String(options.threads ?? 2) });
    const writer = await instance.connect();
    const reader = await instance.connect();
    const store = new FactStore(instance, writer, reader, options.config, options.versionValuesKept);
    await store.#createTables();
    await store.#restore();
    if (options.path !== ":memory:") {
      const serving = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
      store.#memoryLimits = { serving, catchingUp: options.catchUpMemoryLimit ?? DEFAULT_CATCH_UP_MEMORY_LIMIT };
      await setMemoryLimit(writer, serving);
    }
    return store;
  }

  /** The log position the tables cover (0: empty). */
  get position(): number {
    return this.#position;
  }

  /** The id of the event at {@link position}, to tell whether the tables come from the log they are opened on. */
  get eventId(): string | null {
    return this.#eventId;
  }

  /** The latest business time of any event covered. */
  get latestOccurredAt(): string {
    return this.#latestOccurredAt;
  }

  /**
   * An upper bound of the business times at which a deal version known now begins or ends (`valid_from`, `valid_to`).
   * A slice at the head of the log with `asOf` at or after it sees exactly the rows of `deal_current`: every row it
   * sees has `known_to` null (every `known_to` is a position already covered) and `valid_to` null (any other
   * `valid_to` is at or before `asOf`), and every such row has `valid_from <= asOf`.
   */
  get latestVersionTime(): string {
    return this.#latestVersionTime;
  }

  /** Events collected but not written yet. */
  get unflushed(): number {
    return this.#unflushed;
  }

  /** A connection for queries: it sees only committed positions. */
  get reader(): DuckDBConnection {
    return this.#reader;
  }

  /**
   * Loads what {@link apply} needs from a file written earlier: the deal versions known now (half a million rows at
   * 100k deals, so a process that only queries never loads them). Nothing to do for an empty file. Calls while a load
   * runs share it.
   */
  prepare(): Promise<void> {
    if (this.#versions) return Promise.resolve();
    this.#loading ??= this.#loadVersions().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #loadVersions(): Promise<void> {
    const versions = this.#newVersions();
    const open = await this.#writer.runAndReadAll(packedOpenRowsSql);
    const [max] = (
      await this.#writer.runAndReadAll("SELECT coalesce(max(row_id), 0) AS top FROM deal_versions")
    ).getRowObjectsJS();
    const [dealIds = [], rows = []] = open.getColumnsJS() as [string[]?, string[]?];
    versions.restore(
      dealIds.map((dealId, index) => ({ dealId, rows: rows[index] as string })),
      Number(max?.top ?? 0),
    );
    this.#versions = versions;
  }

  /**
   * Collects the rows of one event (already applied to `state`); events at or before {@link position} are skipped.
   * A file written earlier needs {@link prepare} first.
   */
  apply(state: GraphState, event: RecordedEvent): void {
    if (event.globalPosition <= this.#position) return;
    if (!this.#versions) throw new Error("FactStore.prepare() must load the open deal versions before apply");
    this.#versions.apply(state, event, this.#pending.changes);
    this.#stays.apply(state, event, this.#pending.stays);
    this.#closeHistory.apply(state, event, this.#pending.closeHistory);
    applyLastTouch(state, event, this.#pending.lastTouches);
    for (const table of eventFactTables) {
      const rows = eventFactRows(table, event, state);
      if (rows.length === 0) continue;
      const list = this.#pending.facts.get(table);
      if (list) list.push(...rows);
      else this.#pending.facts.set(table, [...rows]);
    }
    this.#pending.records.add(event.recordedAt, event.globalPosition);
    this.#position = event.globalPosition;
    this.#eventId = event.id;
    if (event.occurredAt > this.#latestOccurredAt) this.#latestOccurredAt = event.occurredAt;
    this.#unflushed++;
  }

  /**
   * Writes what {@link apply} collected, with the new position, in one transaction; resolves to the position written.
   * What it writes is taken when it is called: events applied while it runs go to the next flush (which must not
   * start before this one has finished).
   */
  async flush(): Promise<number> {
    if (this.#unflushed === 0) return this.#position;
    const batch = this.#pending;
    const position = this.#position;
    const eventId = this.#eventId;
    const latestOccurredAt = this.#latestOccurredAt;
    this.#pending = FactStore.#emptyBatch();
    this.#unflushed = 0;
    for (const row of batch.changes.inserted.values()) {
      const last = lastTimeOf(row);
      if (last > this.#latestVersionTime) this.#latestVersionTime = last;
    }
    const connection = this.#writer;
    await connection.run("BEGIN TRANSACTION");
    try {
      await this.#append("deal_versions", dealVersionColumns, batch.changes.inserted.values());
      for (const { table, ended, columns, changes } of [
        { table: "deal_stays", ended: "ended_stays", columns: dealStayColumns, changes: batch.stays },
        {
          table: "deal_close_history",
          ended: "ended_close_history",
          columns: dealCloseHistoryColumns,
          changes: batch.closeHistory,
        },
      ]) {
        if (changes.ended.length > 0) {
          await this.#append(ended, endedDealRowListColumns, changes.ended);
          await connection.run(endDealRowListSql(table, ended));
          await connection.run(`DELETE FROM ${ended}`);
        }
        await this.#append(table, columns, changes.inserted);
      }
      if (batch.lastTouches.ended.length > 0) {
        await this.#append("ended_last_touches", endedLastTouchColumns, batch.lastTouches.ended);
        await connection.run(endLastTouchesSql);
        await connection.run("DELETE FROM ended_last_touches");
      }
      await this.#append("deal_last_touches", dealLastTouchColumns, batch.lastTouches.inserted);
      for (const [table, rows] of batch.facts) await this.#append(table.table, tableColumns(table), rows);
      if (batch.facts.has(interactions)) await updateInteractionDerivedTables(connection, this.#written);
      await this.#append("record_log", recordLogColumns, batch.records.rows());
      if (batch.changes.ended.length > 0) {
        await this.#append(
          "ended_rows",
          endedColumns,
          batch.changes.ended.map((row) => [row.rowId, row.knownTo, row.knownToAt]),
        );
        await connection.run("DELETE FROM deal_current WHERE row_id IN (SELECT row_id FROM ended_rows)");
        await connection.run(
          "UPDATE deal_versions SET known_to = e.known_to, known_to_at = e.known_to_at FROM ended_rows e WHERE deal_versions.row_id = e.row_id",
        );
        await connection.run("DELETE FROM ended_rows");
      }
      const firstInserted = firstRowId(batch.changes.inserted);
      // The batch's latest versions are copied in SQL rather than appended a second time from here: appending is the
      // catch-up's largest cost on the JavaScript thread, and deal_current took a third of its rows.
      if (firstInserted !== undefined)
        await connection.run(
          `INSERT INTO deal_current SELECT * FROM deal_versions WHERE row_id >= ${firstInserted} AND valid_to IS NULL AND known_to IS NULL`,
        );
      if (batch.facts.has(interactions) || batch.facts.has(dealAmountFacts) || batch.changes.inserted.size > 0) {
        await updateInteractionValues(connection, this.#written, this.#config);
      }
      await connection.run("DELETE FROM read_model_position");
      await connection.run("INSERT INTO read_model_position VALUES ($1, $2, $3, $4)", [
        FORMAT,
        position,
        eventId,
        latestOccurredAt,
      ]);
      await connection.run("COMMIT");
      this.#written = position;
    } catch (error) {
      await connection.run("ROLLBACK");
      throw error;
    }
    return position;
  }

  /**
   * Enters catch-up mode: many large transactions in a row, checkpointed once by {@link endCatchUp} rather than
   * whenever the WAL passes DuckDB's default threshold ({@link CATCH_UP_CHECKPOINT_THRESHOLD}), under the catch-up
   * memory limit ({@link DEFAULT_CATCH_UP_MEMORY_LIMIT}). Each transaction is still durable on commit (in the WAL).
   */
  async beginCatchUp(): Promise<void> {
    await this.#writer.run(`SET checkpoint_threshold = '${CATCH_UP_CHECKPOINT_THRESHOLD}'`);
    if (this.#memoryLimits) await setMemoryLimit(this.#writer, this.#memoryLimits.catchingUp);
  }

  /**
   * Leaves catch-up mode: writes the WAL into the file once and restores the default threshold and the memory limit
   * for live writes and queries.
   */
  async endCatchUp(): Promise<void> {
    await this.#writer.run("CHECKPOINT");
    await this.#writer.run("RESET checkpoint_threshold");
    if (this.#memoryLimits) await setMemoryLimit(this.#writer, this.#memoryLimits.serving);
  }

  /** The position the file holds (the last flush's). */
  get writtenPosition(): number {
    return this.#written;
  }

  /** Empties every table (the file belongs to another log, or to an older format). */
  async reset(): Promise<void> {
    for (const table of [...factTableNames, "record_log", "read_model_position"]) await this.#writer.run(`DELETE FROM ${table}`);
    this.#pending = FactStore.#emptyBatch();
    this.#versions = this.#newVersions();
    this.#unflushed = 0;
    this.#position = 0;
    this.#written = 0;
    this.#eventId = null;
    this.#latestOccurredAt = "";
    this.#latestVersionTime = "";
  }

  /** Closes the database (unflushed events are dropped: the next open resumes from the stored position). */
  close(): void {
    this.#reader.closeSync();
    this.#writer.closeSync();
    this.#instance.closeSync();
  }

  async #append(table: string, columns: readonly Column[], rows: Iterable<Row>): Promise<void> {
    const appender = await this.#writer.createAppender(table);
    try {
      appendRows(appender, columns, rows);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  async #createTables(): Promise<void> {
    await this.#writer.run(createTableSql("read_model_position", positionColumns));
    const stored = (await this.#writer.runAndReadAll("SELECT format FROM read_model_position")).getRowObjectsJS();
    if (stored.length > 0 && stored[0]?.format !== FORMAT) {
      for (const table of [
        ...factTableNames,
        "record_log",
        "ended_rows",
        "ended_stays",
        "ended_close_history",
        "ended_last_touches",
      ])
        await this.#writer.run(`DROP TABLE IF EXISTS ${table}`);
      await this.#writer.run("DELETE FROM read_model_position");
    }
    await this.#writer.run(createTableSql("deal_versions", dealVersionColumns));
    await this.#writer.run(createTableSql("deal_current", dealVersionColumns));
    await this.#writer.run(createTableSql("record_log", recordLogColumns));
    await this.#writer.run(createTableSql("ended_rows", endedColumns));
    await this.#writer.run(createTableSql("deal_stays", dealStayColumns));
    await this.#writer.run(createTableSql("ended_stays", endedDealRowListColumns));
    await this.#writer.run(createTableSql("deal_close_history", dealCloseHistoryColumns));
    await this.#writer.run(createTableSql("ended_close_history", endedDealRowListColumns));
    await this.#writer.run(createTableSql("deal_last_touches", dealLastTouchColumns));
    await this.#writer.run(createTableSql("ended_last_touches", endedLastTouchColumns));
    for (const table of eventFactTables) await this.#writer.run(createTableSql(table.table, tableColumns(table)));
    for (const { table, columns } of interactionDerivedTables) await this.#writer.run(createTableSql(table, columns));
  }

  async #restore(): Promise<void> {
    const [stored] = (
      await this.#writer.runAndReadAll("SELECT position, event_id, latest_occurred_at FROM read_model_position")
    ).getRowObjectsJS();
    if (!stored) {
      this.#versions = this.#newVersions();
      return;
    }
    this.#position = Number(stored.position);
    this.#written = this.#position;
    this.#eventId = (stored.event_id as string | null) ?? null;
    this.#latestOccurredAt = (stored.latest_occurred_at as string | null) ?? "";
    const [bound] = (
      await this.#writer.runAndReadAll(
        "SELECT coalesce(max(coalesce(valid_to, valid_from)), '') AS latest FROM deal_versions WHERE known_to IS NULL",
      )
    ).getRowObjectsJS();
    this.#latestVersionTime = String(bound?.latest ?? "");
  }
}
