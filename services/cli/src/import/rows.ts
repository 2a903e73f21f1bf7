import { isUtf8 } from "node:buffer";
import { basename } from "node:path";
import { type CsvError, parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import type { RowProblem } from "./convert.ts";
import { ImportInputError, type Mapping, readInputFile } from "./mapping.ts";

/** Why a row cannot be used as it is (wrong column count, invalid bytes): its deal is rejected with this reason. */
export interface RowDefect {
  readonly column: string;
  readonly reason: string;
}

/** One data row of a source file, numbered as a spreadsheet would (the header is row 1). */
export interface SourceRow {
  readonly row: number;
  readonly values: Readonly<Record<string, string>>;
  readonly defect?: RowDefect;
}

/** A CSV file read against its header: the rows, and the records that are not rows (syntax errors). */
export interface CsvTable {
  readonly file: string;
  readonly header: readonly string[];
  /** Names that appear more than once in the header → their 1-based positions; read them as `name#k`. */
  readonly duplicates: ReadonlyMap<string, readonly number[]>;
  readonly rows: SourceRow[];
  /** Records the CSV parser could not read (row and column of the syntax error). */
  readonly problems: RowProblem[];
}

type Encoding = Mapping["encoding"];

/** Bytes Windows-1252 leaves undefined. */
const undefinedIn1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** How many line feeds `bytes[0, end)` holds. */
function lineBreaks(bytes: Buffer, end: number): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1 && at < end; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}

/** Thrown out of the CSV parser after a syntax error: parsing starts again at `position` of the text it was given. */
class ResumeAt {
  readonly position: number;
  constructor(position: number) {
    this.position = position;
  }
}

/** Offset of the first byte that is not valid UTF-8 in `bytes[from, to)`, or -1. */
function firstInvalidUtf8(bytes: Uint8Array, from: number, to: number): number {
  let index = from;
  while (index < to) {
    const lead = bytes[index] as number;
    if (lead < 0x80) {
      index++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || index + length > to) return index;
    const second = bytes[index + 1] as number;
    const secondLow = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const secondHigh = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (second < secondLow || second > secondHigh) return index;
    for (let next = index + 2; next < index + length; next++) {
      const byte = bytes[next] as number;
      if (byte < 0x80 || byte > 0xbf) return index;
    }
    index += length;
  }
  return -1;
}

/** Offset of the first byte in `bytes[from, to)` that is invalid in the encoding, or -1. */
function firstInvalidByte(bytes: Uint8Array, encoding: Encoding, from: number, to: number): number {
  if (encoding === "utf-8") return firstInvalidUtf8(bytes, from, to);
  if (encoding === "windows-1252") {
    for (let index = from; index < to; index++) if (undefinedIn1252.has(bytes[index] as number)) return index;
  }
  return -1;
}

function hasInvalidBytes(bytes: Buffer, encoding: Encoding): boolean {
  if (encoding === "utf-8") return !isUtf8(bytes);
  if (encoding === "windows-1252") return [...undefinedIn1252].some((byte) => bytes.includes(byte));
  return false;
}

function decode(bytes: Buffer, encoding: Encoding): string {
  return encoding === "utf-8" ? bytes.toString("utf8") : iconv.decode(bytes, encoding);
}

function hex(byte: number | undefined): string {
  return `0x${(byte ?? 0).toString(16).padStart(2, "0")}`;
}

/**
 * A file's bytes without its UTF-8 byte-order mark, and how many bytes the mark took (offsets reported to the
 * user count from the start of the file).
 */
function withoutBom(bytes: Buffer, encoding: Encoding): { bytes: Buffer; skipped: number } {
  return encoding === "utf-8" && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
    ? { bytes: bytes.subarray(3), skipped: 3 }
    : { bytes, skipped: 0 };
}

/**
 * Reads a CSV file with a header row. Every record must have as many columns as the header (a short last
 * record without a final line break is a truncated file); a record holding bytes that are invalid in the
 * declared encoding is a defective row naming the byte offset, and such a byte in the header rejects the file.
 * A CSV syntax error (a stray or unclosed quote) is reported with its row, column and line, and reading goes on
 * at the next line (after the error's line, or after the first line of a record whose quote is never closed).
 */
export function readCsv(path: string, encoding: Encoding, delimiter: string): CsvTable {
  const file = basename(path);
  const { bytes, skipped } = withoutBom(readInputFile(path, "file"), encoding);
  // The parser reads the bytes themselves (no decoded copy of the file): as UTF-8 when they are valid UTF-8,
  // otherwise one character per byte (Latin-1), so positions are byte offsets, with each field then decoded in
  // the declared encoding and each record checked for invalid bytes.
  const bytewise = hasInvalidBytes(bytes, encoding);
  const parseEncoding = encoding === "utf-8" && !bytewise ? "utf8" : "latin1";
  const decodeField =
    encoding === "latin1" || !(bytewise || encoding === "windows-1252")
      ? (field: string) => field
      : (field: string) => (/[\x80-\xff]/.test(field) ? decode(Buffer.from(field, "latin1"), encoding) : field);
  const endsWithLineBreak = bytes.at(-1) === 0x0a || bytes.at(-1) === 0x0d;
  // Short cells (ids, names, stages, dates, amounts) repeat across rows: one string each keeps the rows small.
  const interned = new Map<string, string>();
  const intern = (value: string) => {
    if (value.length > 16) return value;
    const known = interned.get(value);
    if (known !== undefined) return known;
    interned.set(value, value);
    return value;
  };

  let header: string[] | undefined;
  const duplicates = new Map<string, number[]>();
  let keys: string[] = [];
  const rows: SourceRow[] = [];
  const problems: RowProblem[] = [];
  let row = 0;
  // Where the text being parsed starts (the parser restarts after a syntax error), and where its current record starts.
  let offset = 0;
  let recordStart = 0;
  const onRecord = (record: string[], info: { bytes: number }) => {
    row++;
    const start = offset + recordStart;
    const end = offset + info.bytes;
    recordStart = info.bytes;
    const invalid = bytewise ? firstInvalidByte(bytes, encoding, start, Math.min(end, bytes.length)) : -1;
    if (!header) {
      if (invalid !== -1)
        throw new ImportInputError(
          `${path}: byte ${invalid + skipped} (${hex(bytes[invalid])}) in the header is not valid ${encoding}: is the mapping's encoding right?`,
        );
      header = record.map((name) => decodeField(name).trim());
      header.forEach((name, index) => {
        duplicates.set(name, [...(duplicates.get(name) ?? []), index + 1]);
      });
      for (const [name, positions] of duplicates) if (positions.length === 1) duplicates.delete(name);
      const seen = new Map<string, number>();
      keys = header.map((name) => {
        if (!duplicates.has(name)) return name;
        const occurrence = (seen.get(name) ?? 0) + 1;
        seen.set(name, occurrence);
        return `${name}#${occurrence}`;
      });
      return null;
    }
    const values: Record<string, string> = {};
    record.forEach((field, index) => {
      const key = keys[index];
      if (key !== undefined) values[key] = intern(decodeField(field));
    });
    let defect: RowDefect | undefined;
    if (invalid !== -1) {
      const column = keys.find((key) => (values[key] ?? "").includes("\uFFFD")) ?? "(row)";
      defect = {
        column,
        reason: `byte ${invalid + skipped} (${hex(bytes[invalid])}) is not valid ${encoding}: is the mapping's encoding right?`,
      };
    } else if (record.length !== keys.length) {
      const last = end >= bytes.length;
      defect = {
        column: record.length < keys.length ? (keys[record.length] as string) : `field ${keys.length + 1}`,
        reason:
          last && !endsWithLineBreak && record.length < keys.length
            ? `has ${record.length} of the header's ${keys.length} columns and ends the file without a line break: the file looks truncated`
            : `has ${record.length} columns, the header has ${keys.length}`,
      };
    }
    rows.push(defect ? { row, values, defect } : { row, values });
    return null;
  };
  /** Reports a syntax error and returns where parsing starts again: the line after the error, or after the record's first line. */
  const onSkip = (error: CsvError | undefined, segment: Buffer, lineBase: number): number => {
    if (!header) throw new ImportInputError(`${path}: the header is not valid CSV: ${error?.message ?? "unknown error"}`);
    row++;
    const index = typeof error?.index === "number" ? error.index : 0;
    const unclosed = error?.code === "CSV_QUOTE_NOT_CLOSED";
    /** Where the text continues after `lines` line breaks, counted from `from`. */
    const after = (from: number, lines: number) => {
      let at = from;
      for (let count = 0; count < lines; count++) {
        const next = segment.indexOf(0x0a, at);
        if (next === -1) return segment.length;
        at = next + 1;
      }
      return at;
    };
    const resume = Math.max(after(recordStart, 1), unclosed ? 0 : after(0, Number(error?.lines ?? 1)));
    const line = lineBase + lineBreaks(segment, recordStart) + 1;
    problems.push({
      file,
      row,
      column: (header && keys[index]) ?? `field ${index + 1}`,
      reason: unclosed
        ? `a quote opened in this row (line ${line}) is never closed; reading goes on at the next line`
        : `CSV syntax error, row not read: ${(error?.message ?? "unknown").replace(/at line \d+/, `at line ${lineBase + Number(error?.lines ?? 1)}`)}`,
    });
    return resume;
  };
  let lineBase = 0;
  while (offset < bytes.length) {
    const segment = bytes.subarray(offset);
    recordStart = 0;
    try {
      parse(segment, {
        encoding: parseEncoding,
        delimiter,
        skip_empty_lines: true,
        relax_column_count: true,
        skip_records_with_error: true,
        on_skip: (error) => {
          throw new ResumeAt(onSkip(error, segment, lineBase));
        },
        on_record: onRecord,
      });
      break;
    } catch (error) {
      if (error instanceof ImportInputError) throw error;
      if (!(error instanceof ResumeAt))
        throw new ImportInputError(`${path}: cannot be read as CSV: ${error instanceof Error ? error.message : error}`);
      lineBase += lineBreaks(segment, error.position);
      offset += error.position;
    }
  }
  if (!header) throw new ImportInputError(`${path}: is empty (a header row is needed)`);
  return { file: path, header, duplicates, rows, problems };
}

/**
 * The column a field is read from, refusing a header name that appears more than once unless the mapping picks
 * one occurrence as `name#k`.
 */
export function checkColumns(table: CsvTable, columns: Iterable<string>): void {
  for (const column of columns) {
    const positions = table.duplicates.get(column);
    if (positions)
      throw new ImportInputError(
        `${table.file}: the header has column ${JSON.stringify(column)} ${positions.length} times (columns ${positions.join(", ")}); pick one in the mapping: ${positions.map((_, index) => JSON.stringify(`${column}#${index + 1}`)).join(" or ")}`,
      );
  }
}

/** One line of an NDJSON file, numbered from 1, with invalid bytes reported like a CSV row's. */
export interface SourceLine {
  readonly line: number;
  readonly text: string;
  readonly defect?: RowDefect;
}

/** Splits an NDJSON file into numbered non-empty lines; a line with bytes invalid in the encoding is defective. */
export function readNdjsonLines(path: string, encoding: Encoding): SourceLine[] {
  const { bytes, skipped } = withoutBom(readInputFile(path, "file"), encoding);
  const bytewise = hasInvalidBytes(bytes, encoding);
  const lines: SourceLine[] = [];
  let start = 0;
  let line = 0;
  while (start <= bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    line++;
    const text = decode(bytes.subarray(start, end), encoding).trim();
    if (text.length > 0) {
      const invalid = bytewise ? firstInvalidByte(bytes, encoding, start, end) : -1;
      lines.push(
        invalid === -1
          ? { line, text }
          : {
              line,
              text,
              defect: {
                column: "(line)",
                reason: `byte ${invalid + skipped} (${hex(bytes[invalid])}) is not valid ${encoding}`,
              },
            },
      );
    }
    if (newline === -1) break;
    start = newline + 1;
  }
  return lines;
}
