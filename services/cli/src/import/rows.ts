import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";

/** One data row of a source file, numbered as a spreadsheet would (the header is row 1). */
export interface SourceRow {
  readonly row: number;
  readonly values: Readonly<Record<string, string>>;
}

/** Decodes a file in the given encoding (UTF-8 with or without BOM, Latin-1, Windows-1252). */
export function readText(path: string, encoding: string): string {
  const bytes = readFileSync(path);
  const text = encoding === "utf-8" ? bytes.toString("utf8") : iconv.decode(bytes, encoding);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses CSV text with a header row into numbered rows. */
export function parseCsv(text: string, delimiter: string): SourceRow[] {
  const records = parse(text, {
    columns: true,
    delimiter,
    skip_empty_lines: true,
    relax_column_count: true,
    trim: true,
  }) as Record<string, string>[];
  return records.map((values, index) => ({ row: index + 2, values }));
}

/** Splits NDJSON text into numbered lines (empty lines skipped). */
export function parseNdjsonLines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ line: index + 1, text: line.trim() }))
    .filter((entry) => entry.text.length > 0);
}
