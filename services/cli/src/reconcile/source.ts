import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { RevenueConfig } from "@revgraph/domain";
import type { ImportFormat, Mapping } from "../import/mapping.ts";
import { SourceReadError } from "./source-error.ts";

/** A deal as a source export or the store has it, in the terms reconcile compares. */
export interface DealRecord {
  readonly dealId: string;
  /** Configured stage (closed_won / closed_lost when closed). */
  readonly stage: string;
  readonly status: "open" | "won" | "lost";
  readonly amount: number;
  readonly currency: string;
  readonly expectedCloseDate: string;
  /** Calendar dates in the mapping's time zone. */
  readonly createdDate: string;
  readonly closedDate: string | null;
  /** Instants at which the stage, amount or close date changed (a close counts, creation does not). */
  readonly changes: number;
}

/** A rejected row from the import's rejects file. */
export interface RejectedRow {
  readonly row: number;
  readonly column: string;
  readonly reason: string;
  readonly dealId: string | null;
}

/** The deal formats reconcile reads (NDJSON carries events, not a deal export). */
export type DealFormat = Exclude<ImportFormat, "ndjson">;

/** The row number reconcile adds to the export's own columns (file order: DuckDB runs on one thread). */
const rowColumn = "__revgraph_row";
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const identifier = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** The SQL date pattern of each mapping date format: the leading text it matches, and its strptime format. */
const datePatterns: Record<Mapping["dateFormat"], { prefix: string; format: string }> = {
  iso: { prefix: "^\\d{4}-\\d{2}-\\d{2}", format: "%Y-%m-%d" },
  "YYYY-MM-DD": { prefix: "^\\d{4}-\\d{1,2}-\\d{1,2}", format: "%Y-%m-%d" },
  "DD.MM.YYYY": { prefix: "^\\d{1,2}\\.\\d{1,2}\\.\\d{4}", format: "%d.%m.%Y" },
  "DD/MM/YYYY": { prefix: "^\\d{1,2}/\\d{1,2}/\\d{4}", format: "%d/%m/%Y" },
  "MM/DD/YYYY": { prefix: "^\\d{1,2}/\\d{1,2}/\\d{4}", format: "%m/%d/%Y" },
};

/** SQL expressions that read one field of a row the way the mapping describes it: column, default, normalisation. */
class FieldSql {
  readonly #mapping: Mapping;
  readonly #columns: ReadonlySet<string>;
  constructor(mapping: Mapping, columns: readonly string[]) {
    this.#mapping = mapping;
    this.#columns = new Set(columns);
  }

  text(field: string): string {
    const column = this.#mapping.columns[field] ?? field;
    const cell = this.#columns.has(column) ? `nullif(trim(${identifier(column)}), '')` : "NULL";
    const fallback = this.#mapping.defaults[field];
    const value = fallback === undefined || fallback === "" ? cell : `coalesce(${cell}, ${quote(fallback)})`;
    return caseOf(value, this.#mapping.normalize[field] ?? {});
  }

  stage(field: string): string {
    return caseOf(this.text(field), this.#mapping.stages);
  }

  /** A DATE in the mapping's date format (NULL when empty or not a date). */
  date(field: string): string {
    const { prefix, format } = datePatterns[this.#mapping.dateFormat];
    return `try_strptime(regexp_extract(${this.text(field)}, ${quote(prefix)}), ${quote(format)})::DATE`;
  }

  /** A TIMESTAMPTZ: a timestamp with an offset as written, one without (or a bare date) in the mapping's time zone. */
  instant(field: string): string {
    const value = this.text(field);
    const withOffset = "^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})$";
    const localTime = `coalesce(try_cast(regexp_extract(${value}, '[T ](\\d{2}:\\d{2}(:\\d{2})?)', 1) AS TIME), TIME '00:00:00')`;
    return `CASE WHEN regexp_matches(${value}, ${quote(withOffset)}) THEN try_cast(replace(${value}, ' ', 'T') AS TIMESTAMPTZ)
      ELSE timezone(${quote(this.#mapping.timeZone)}, (${this.date(field)} + ${localTime})::TIMESTAMP) END`;
  }

  /**
   * A number as the mapping declares it: its thousands separator (only when it names one), its decimal separator, a
   * currency symbol or code only with `currencyInAmounts`, `(…)` negatives only with `accountingNegatives`. Anything
   * else is NULL (the importer rejects such a row, so it shows among the rejected rows, not as a difference).
   */
  money(field: string): string {
    const { decimalSeparator, thousandsSeparator, currencyInAmounts, accountingNegatives } = this.#mapping;
    let value = this.text(field);
    if (currencyInAmounts) value = `trim(regexp_replace(${value}, '^[^0-9(.,-]+|[^0-9).,]+$', '', 'g'))`;
    if (accountingNegatives) value = `regexp_replace(${value}, '^\\((.*)\\)$', '-\\1')`;
    if (thousandsSeparator !== "none") value = `replace(${value}, ${quote(thousandsSeparator)}, '')`;
    if (decimalSeparator === ",") value = `replace(${value}, ',', '.')`;
    return `CASE WHEN regexp_matches(${value}, '^-?[0-9]+(\\.[0-9]+)?$') THEN try_cast(${value} AS DOUBLE) END`;
  }
}

/** SQL for the calendar date of an instant in a time zone, as text. */
function localDate(timeZone: string): (instant: string) => string {
  return (instant) => `strftime(timezone(${quote(timeZone)}, ${instant}), '%Y-%m-%d')`;
}

function caseOf(value: string, table: Readonly<Record<string, string>>): string {
  const entries = Object.entries(table);
  if (entries.length === 0) return value;
  return `CASE ${value} ${entries.map(([from, to]) => `WHEN ${quote(from)} THEN ${quote(to)}`).join(" ")} ELSE ${value} END`;
}

/**
 * Opens the export in DuckDB's CSV reader, every column as text. DuckDB reads UTF-8 and Latin-1 itself; Windows-1252
 * is decoded with the platform's WHATWG decoder into a UTF-8 copy first.
 */
async function openSource(connection: DuckDBConnection, file: string, mapping: Mapping): Promise<string[]> {
  let path = file;
  let encoding = mapping.encoding === "latin1" ? "latin-1" : "utf-8";
  let scratch: string | undefined;
  if (mapping.encoding === "windows-1252") {
    scratch = mkdtempSync(join(tmpdir(), "revgraph-reconcile-"));
    path = join(scratch, basename(file));
    writeFileSync(path, new TextDecoder("windows-1252").decode(readFileSync(file)));
    encoding = "utf-8";
  }
  try {
    await connection.run("SET threads = 1");
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run(
      `CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS ${rowColumn}, * FROM read_csv(${quote(path)}, all_varchar = true,
        header = true, delim = ${quote(mapping.delimiter)}, quote = '"', escape = '"', encoding = ${quote(encoding)},
        null_padding = true, auto_detect = true)`,
    );
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n").slice(0, 2).join(" ");
    throw new SourceReadError(`${basename(file)}: DuckDB's CSV reader cannot read it: ${reason}`);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  const described = await connection.runAndReadAll("SELECT column_name FROM (DESCRIBE raw)");
  return described
    .getRowObjectsJson()
    .map((row) => String(row.column_name))
    .filter((column) => column !== rowColumn);
}

/** Every deal row needs these fields; without their columns (or defaults) there is nothing to compare. */
function requireColumns(format: DealFormat, mapping: Mapping, columns: readonly string[], file: string): void {
  const fields = ["dealId", "stage", format === "salesforce-history" ? "changedAt" : "createdAt"];
  for (const field of fields) {
    const column = mapping.columns[field] ?? field;
    if (!columns.includes(column) && mapping.defaults[field] === undefined)
      throw new SourceReadError(
        `${basename(file)} has no column ${JSON.stringify(column)} for ${field} (map it under "columns:"); columns: ${columns.join(", ")}`,
      );
  }
}

/** The fields of every row, read through the mapping, as the temp table `fields`. */
async function readFields(
  connection: DuckDBConnection,
  format: DealFormat,
  mapping: Mapping,
  columns: readonly string[],
): Promise<void> {
  const sql = new FieldSql(mapping, columns);
  // The row's instant: of the change for history rows, of the creation for one-row exports.
  const rowAt = format === "salesforce-history" ? sql.instant("changedAt") : sql.instant("createdAt");
  await connection.run(`CREATE TEMP TABLE fields AS SELECT
      ${rowColumn} AS ordinal,
      ${sql.text("dealId")} AS deal_id,
      ${sql.stage("stage")} AS stage,
      ${sql.money("amount")} AS amount,
      coalesce(${sql.text("currency")}, ${quote(mapping.currency)}) AS currency,
      strftime(${sql.date("expectedCloseDate")}, '%Y-%m-%d') AS close_date,
      ${rowAt} AS row_at,
      ${sql.instant("expectedCloseDate")} AS closed_at
    FROM raw`);
}

const historySql = (config: RevenueConfig, local: (instant: string) => string) => `
  WITH carried AS (
    SELECT *,
      coalesce(last_value(amount IGNORE NULLS) OVER upto, 0) AS amount_now,
      coalesce(last_value(close_date IGNORE NULLS) OVER upto, strftime(timezone('UTC', first_value(row_at) OVER upto), '%Y-%m-%d'))
        AS close_now,
      row_number() OVER byTime AS n
    FROM fields WHERE deal_id IS NOT NULL AND row_at IS NOT NULL
    WINDOW byTime AS (PARTITION BY deal_id ORDER BY row_at, ordinal),
      upto AS (PARTITION BY deal_id ORDER BY row_at, ordinal ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  ), changed AS (
    SELECT *,
      CASE WHEN n = 1 THEN stage IN (${quote(config.wonStage)}, ${quote(config.lostStage)})
        ELSE stage IS DISTINCT FROM lag(stage) OVER byTime OR amount_now <> lag(amount_now) OVER byTime
          OR close_now <> lag(close_now) OVER byTime END AS is_change,
      stage IN (${quote(config.wonStage)}, ${quote(config.lostStage)})
        AND (n = 1 OR stage IS DISTINCT FROM lag(stage) OVER byTime) AS is_close
    FROM carried WINDOW byTime AS (PARTITION BY deal_id ORDER BY row_at, ordinal)
  )
  SELECT deal_id,
    arg_max(stage, n) AS stage,
    arg_max(amount_now, n) AS amount,
    arg_max(currency, n) AS currency,
    arg_max(close_now, n) AS expected_close_date,
    ${local("arg_min(row_at, n)")} AS created_date,
    ${local("max(CASE WHEN is_close THEN row_at END)")} AS closed_date,
    count(DISTINCT CASE WHEN is_change THEN row_at END) AS changes
  FROM changed GROUP BY deal_id ORDER BY deal_id`;

const snapshotSql = (config: RevenueConfig, local: (instant: string) => string) => `
  SELECT deal_id,
    arg_min(stage, ordinal) AS stage,
    coalesce(arg_min(amount, ordinal), 0) AS amount,
    arg_min(currency, ordinal) AS currency,
    coalesce(arg_min(close_date, ordinal), strftime(timezone('UTC', arg_min(row_at, ordinal)), '%Y-%m-%d')) AS expected_close_date,
    ${local("arg_min(row_at, ordinal)")} AS created_date,
    CASE WHEN arg_min(stage, ordinal) IN (${quote(config.wonStage)}, ${quote(config.lostStage)})
      THEN ${local("arg_min(closed_at, ordinal)")} END AS closed_date,
    CASE WHEN arg_min(stage, ordinal) IN (${quote(config.wonStage)}, ${quote(config.lostStage)}) THEN 1 ELSE 0 END AS changes
  FROM fields WHERE deal_id IS NOT NULL GROUP BY deal_id ORDER BY deal_id`;

/**
 * Reads a deal export a second way, independent of the importer: DuckDB's CSV reader with the mapping's columns,
 * encoding, delimiter, defaults, normalisation and stage map, aggregated per deal in SQL.
 */
export async function readSourceDeals(
  file: string,
  format: DealFormat,
  mapping: Mapping,
  config: RevenueConfig,
): Promise<DealRecord[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const columns = await openSource(connection, file, mapping);
    requireColumns(format, mapping, columns, file);
    await readFields(connection, format, mapping, columns);
    const local = localDate(mapping.timeZone);
    const query = format === "salesforce-history" ? historySql(config, local) : snapshotSql(config, local);
    const rows = (await connection.runAndReadAll(query)).getRowObjectsJson();
    return rows.map((row) => {
      const stage = String(row.stage ?? "");
      const status = stage === config.wonStage ? "won" : stage === config.lostStage ? "lost" : "open";
      return {
        dealId: String(row.deal_id),
        stage,
        status,
        amount: Number(row.amount ?? 0),
        currency: String(row.currency),
        expectedCloseDate: String(row.expected_close_date ?? ""),
        createdDate: String(row.created_date ?? ""),
        closedDate:
          status === "open" || row.closed_date === null || row.closed_date === undefined ? null : String(row.closed_date),
        changes: Number(row.changes ?? 0),
      };
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Rows of this file the import rejected, from its rejects file (same DuckDB reader); none when there is no such file. */
export async function readRejectedRows(rejectsFile: string, sourceFile: string): Promise<RejectedRow[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT "row", "column", reason, nullif(deal, '') AS deal FROM read_csv(${quote(rejectsFile)}, all_varchar = true,
        header = true, delim = ',', quote = '"', escape = '"') WHERE file = ${quote(basename(sourceFile))}
        ORDER BY try_cast("row" AS INTEGER)`,
    );
    return reader.getRowObjectsJson().map((row) => ({
      row: Number(row.row),
      column: String(row.column ?? ""),
      reason: String(row.reason ?? ""),
      dealId: row.deal === null || row.deal === undefined ? null : String(row.deal),
    }));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
