import { isValidTimeZone, startOfLocalDay } from "@revgraph/domain";
import { type Mapping, MappingError } from "./mapping.ts";
import type { SourceRow } from "./rows.ts";

/** A value that could not be read, naming the column. */
export class CellError extends Error {
  override readonly name = "CellError";
  readonly column: string;
  constructor(column: string, reason: string) {
    super(reason);
    this.column = column;
  }
}

const datePatterns: Record<Mapping["dateFormat"], RegExp> = {
  iso: /^(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})/,
  "YYYY-MM-DD": /^(?<y>\d{4})-(?<m>\d{1,2})-(?<d>\d{1,2})/,
  "DD.MM.YYYY": /^(?<d>\d{1,2})\.(?<m>\d{1,2})\.(?<y>\d{4})/,
  "DD/MM/YYYY": /^(?<d>\d{1,2})\/(?<m>\d{1,2})\/(?<y>\d{4})/,
  "MM/DD/YYYY": /^(?<m>\d{1,2})\/(?<d>\d{1,2})\/(?<y>\d{4})/,
};

/** Reads a row's fields through the mapping: column names, defaults, normalised spellings, typed values. */
export class RowReader {
  readonly #mapping: Mapping;
  constructor(mapping: Mapping) {
    if (!isValidTimeZone(mapping.timeZone))
      throw new MappingError(`mapping: key timeZone: unknown time zone ${JSON.stringify(mapping.timeZone)}`);
    this.#mapping = mapping;
  }

  column(field: string): string {
    return this.#mapping.columns[field] ?? field;
  }

  /** The text of a field, or undefined when the cell is empty and there is no default. */
  text(row: SourceRow, field: string): string | undefined {
    const raw = row.values[this.column(field)]?.trim();
    const value = raw ? raw : this.#mapping.defaults[field];
    if (value === undefined || value === "") return undefined;
    return this.#mapping.normalize[field]?.[value] ?? value;
  }

  required(row: SourceRow, field: string): string {
    const value = this.text(row, field);
    if (value === undefined) throw new CellError(this.column(field), "is empty (map the column or give a default)");
    return value;
  }

  /** A calendar date (YYYY-MM-DD) in the mapping's date format. */
  date(row: SourceRow, field: string): string | undefined {
    const value = this.text(row, field);
    if (value === undefined) return undefined;
    const match = datePatterns[this.#mapping.dateFormat].exec(value);
    const { y, m, d } = match?.groups ?? {};
    const date = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
    if (
      !match ||
      Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ||
      new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date
    ) {
      throw new CellError(this.column(field), `${JSON.stringify(value)} is not a date in format ${this.#mapping.dateFormat}`);
    }
    return date;
  }

  /** An instant: a timestamp with offset as is, one without in the mapping's time zone, a bare date at its local midnight. */
  instant(row: SourceRow, field: string): string | undefined {
    const value = this.text(row, field);
    if (value === undefined) return undefined;
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
      const parsed = Date.parse(value.replace(" ", "T"));
      if (!Number.isNaN(parsed)) return new Date(parsed).toISOString();
    }
    const time = /[T ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
    const date = this.date(row, field) as string;
    const midnight = Date.parse(startOfLocalDay(date, this.#mapping.timeZone));
    const offset = time ? (Number(time[1]) * 3600 + Number(time[2]) * 60 + Number(time[3] ?? 0)) * 1000 : 0;
    return new Date(midnight + offset).toISOString();
  }

  /** A non-negative amount, honouring the decimal separator and ignoring currency symbols and thousands marks. */
  money(row: SourceRow, field: string): number | undefined {
    const value = this.text(row, field);
    if (value === undefined) return undefined;
    const decimal = this.#mapping.decimalSeparator;
    const cleaned = value
      .replace(/[^\d.,-]/g, "")
      .replace(decimal === "," ? /\./g : /,/g, "")
      .replace(",", ".");
    const amount = Number(cleaned);
    if (cleaned === "" || !Number.isFinite(amount) || amount < 0)
      throw new CellError(this.column(field), `${JSON.stringify(value)} is not a non-negative amount`);
    return amount;
  }

  /** A probability given as 0–100 or 0–1. */
  probability(row: SourceRow, field: string): number | undefined {
    const amount = this.money(row, field);
    if (amount === undefined) return undefined;
    if (amount > 100) throw new CellError(this.column(field), `${amount} is not a probability (0–100)`);
    return amount > 1 ? amount / 100 : amount;
  }

  /** A source stage mapped to a configured one. */
  stage(row: SourceRow, field: string, known: readonly string[]): string {
    const value = this.required(row, field);
    const mapped = this.#mapping.stages[value] ?? value;
    if (!known.includes(mapped)) {
      throw new CellError(
        this.column(field),
        `unknown stage ${JSON.stringify(value)}: map it under "stages:" to one of ${known.join(", ")}`,
      );
    }
    return mapped;
  }
}
