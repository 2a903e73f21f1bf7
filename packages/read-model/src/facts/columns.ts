import type { DuckDBAppender } from "@duckdb/node-api";

/** The DuckDB column types the fact tables use. */
export type ColumnType = "VARCHAR" | "DOUBLE" | "BIGINT" | "INTEGER";

/** One column of a fact table. */
export interface Column {
  readonly name: string;
  readonly type: ColumnType;
}

/** A row as the appender writes it: one value per column, in column order (null for SQL NULL). */
export type Row = readonly (string | number | null)[];

/** How each column type goes through the appender. */
const appendByType: Record<ColumnType, (appender: DuckDBAppender, value: string | number) => void> = {
  VARCHAR: (appender, value) => appender.appendVarchar(String(value)),
  DOUBLE: (appender, value) => appender.appendDouble(Number(value)),
  BIGINT: (appender, value) => appender.appendBigInt(BigInt(value)),
  INTEGER: (appender, value) => appender.appendInteger(Number(value)),
};

/** Appends rows to a table through DuckDB's appender (column by column, in the table's column order). */
export function appendRows(appender: DuckDBAppender, columns: readonly Column[], rows: Iterable<Row>): void {
  for (const row of rows) {
    columns.forEach((column, index) => {
      const value = row[index];
      if (value === null || value === undefined) appender.appendNull();
      else appendByType[column.type](appender, value);
    });
    appender.endRow();
  }
}

/** `CREATE TABLE IF NOT EXISTS` for a fact table. */
export function createTableSql(table: string, columns: readonly Column[]): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (${columns.map((column) => `${column.name} ${column.type}`).join(", ")})`;
}
