import { isValidTimeZone, utcOffsetMinutes } from "@revgraph/domain";
import { DateTime, FixedOffsetZone } from "luxon";
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

/** How the mapping says amounts are written. */
export type AmountFormat = Pick<Mapping, "decimalSeparator" | "thousandsSeparator" | "currencyInAmounts" | "accountingNegatives">;

/** A number read from a cell, or why the text is not one. */
export type ParsedNumber =
  | { readonly ok: true; readonly value: number; readonly negative: boolean; readonly currency?: string }
  | { readonly ok: false; readonly reason: string };

const currencySymbols: Record<string, readonly string[]> = {
  $: ["USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"],
  "€": ["EUR"],
  "£": ["GBP"],
  "¥": ["JPY", "CNY"],
  "₹": ["INR"],
  kr: ["SEK", "NOK", "DKK", "ISK"],
  "Fr.": ["CHF"],
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Spaces a thousands separator " " may be written as: space, no-break space, narrow no-break space. */
const spaceSeparator = "[ \\u00a0\\u202f]";
/** Amounts with more significant digits than this are not exact as numbers. */
const maxDigits = 15;

const grammars = new Map<string, RegExp>();

function amountGrammar(format: AmountFormat): RegExp {
  const key = `${format.decimalSeparator}|${format.thousandsSeparator}|${format.currencyInAmounts}|${format.accountingNegatives}`;
  const known = grammars.get(key);
  if (known) return known;
  const decimal = escapeRegExp(format.decimalSeparator);
  const thousands = format.thousandsSeparator === " " ? spaceSeparator : escapeRegExp(format.thousandsSeparator);
  const integer = format.thousandsSeparator === "none" ? "\\d+" : `\\d{1,3}(?:${thousands}\\d{3})+|\\d+`;
  const body = `(?<minus>-)?(?<integer>${integer})(?:${decimal}(?<fraction>\\d+))?`;
  const currency = `(?:${Object.keys(currencySymbols).map(escapeRegExp).join("|")}|[A-Z]{3})`;
  const amount = format.currencyInAmounts
    ? `(?:(?<prefix>${currency})[ \\u00a0]?${body}|${body.replaceAll("?<", "?<s_")}(?:[ \\u00a0]?(?<suffix>${currency}))?)`
    : body;
  const grammar = new RegExp(
    format.accountingNegatives ? `^(?:${amount}|\\((?<negated>${amount.replaceAll("?<", "?<n_")})\\))$` : `^${amount}$`,
    "u",
  );
  grammars.set(key, grammar);
  return grammar;
}

function describeFormat(format: AmountFormat): string {
  const parts = [`decimal separator ${JSON.stringify(format.decimalSeparator)}`];
  parts.push(
    format.thousandsSeparator === "none"
      ? "no thousands separator"
      : `thousands separator ${JSON.stringify(format.thousandsSeparator)}`,
  );
  if (format.currencyInAmounts) parts.push("optional currency symbol or code");
  if (format.accountingNegatives) parts.push("(…) for negatives");
  return parts.join(", ");
}

/**
 * Reads an amount by a strict grammar built from the mapping: digits, the mapping's decimal separator, its
 * thousands separator only between groups of three, a currency symbol or ISO code and accounting negatives
 * `(500)` only when the mapping allows them. Anything else (exponents, hex, stray characters, the other
 * separator) is not an amount; nothing is ever deleted from the text to make it fit.
 */
export function parseAmount(text: string, format: AmountFormat): ParsedNumber {
  const match = amountGrammar(format).exec(text);
  if (!match?.groups) return { ok: false, reason: `is not an amount (${describeFormat(format)})` };
  const groups = match.groups;
  const pick = (name: string) => groups[name] ?? groups[`s_${name}`] ?? groups[`n_${name}`] ?? groups[`n_s_${name}`];
  const integer = (pick("integer") as string).replace(/\D/g, "");
  const fraction = pick("fraction") ?? "";
  const digits = `${integer}${fraction}`.replace(/^0+/, "");
  if (digits.length > maxDigits)
    return { ok: false, reason: `has more than ${maxDigits} significant digits, too many to keep exactly` };
  const magnitude = Number(`${integer}.${fraction || "0"}`);
  const negative = pick("minus") !== undefined || groups.negated !== undefined;
  if (pick("minus") !== undefined && groups.negated !== undefined)
    return { ok: false, reason: "has both a minus sign and accounting parentheses" };
  const symbol = pick("prefix") ?? pick("suffix");
  const value = negative && magnitude !== 0 ? -magnitude : magnitude;
  return symbol === undefined ? { ok: true, value, negative } : { ok: true, value, negative, currency: symbol };
}

/** Whether a currency symbol or code written in an amount cell stands for the row's currency. */
function currencyMatches(written: string, currency: string): boolean {
  return written === currency || (currencySymbols[written]?.includes(currency) ?? false);
}

/**
 * Reads a probability in percent, 0–100 (an optional `%` after the number), as a fraction 0–1. The number
 * follows the mapping's decimal separator and has no thousands separator.
 */
export function parseProbability(text: string, decimalSeparator: Mapping["decimalSeparator"]): ParsedNumber {
  const match = new RegExp(`^(\\d{1,3})(?:${escapeRegExp(decimalSeparator)}(\\d+))? ?%?$`).exec(text);
  if (!match)
    return {
      ok: false,
      reason: `is not a probability in percent (0–100, decimal separator ${JSON.stringify(decimalSeparator)})`,
    };
  const percent = Number(`${match[1]}.${match[2] ?? "0"}`);
  if (percent > 100) return { ok: false, reason: `is not a probability in percent: ${percent} is above 100` };
  return { ok: true, value: Number((percent / 100).toPrecision(15)), negative: false };
}

const datePatterns: Record<Mapping["dateFormat"], string> = {
  iso: "(?<y>\\d{4})-(?<m>\\d{2})-(?<d>\\d{2})",
  "YYYY-MM-DD": "(?<y>\\d{4})-(?<m>\\d{1,2})-(?<d>\\d{1,2})",
  "DD.MM.YYYY": "(?<d>\\d{1,2})\\.(?<m>\\d{1,2})\\.(?<y>\\d{4})",
  "DD/MM/YYYY": "(?<d>\\d{1,2})\\/(?<m>\\d{1,2})\\/(?<y>\\d{4})",
  "MM/DD/YYYY": "(?<m>\\d{1,2})\\/(?<d>\\d{1,2})\\/(?<y>\\d{4})",
};
const timePattern =
  "(?:[T ](?<hh>\\d{2}):(?<mi>\\d{2})(?::(?<ss>\\d{2})(?:\\.(?<ms>\\d{1,3}))?)?(?<offset>Z|[+-]\\d{2}(?::?\\d{2})?)?)?";
const dateTimeGrammars = Object.fromEntries(
  Object.entries(datePatterns).map(([format, date]) => [format, new RegExp(`^${date}${timePattern}$`)]),
) as Record<Mapping["dateFormat"], RegExp>;

/** A date and time read from a cell: the calendar date as written, and the instant (UTC) it stands for. */
export type ParsedDateTime =
  | { readonly ok: true; readonly date: string; readonly instant: string; readonly hasTime: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a date, optionally followed by a time and an offset, in the mapping's date format. Every part is
 * checked by luxon: a day, hour, minute or second that does not exist is an error, never rolled into the next
 * one; so is an offset beyond ±14:00 and a local time skipped by a clock change. A time without offset is
 * local to `timeZone`; a bare date stands for its local midnight.
 */
export function parseDateTime(text: string, dateFormat: Mapping["dateFormat"], timeZone: string): ParsedDateTime {
  const groups = dateTimeGrammars[dateFormat].exec(text)?.groups;
  if (!groups) return { ok: false, reason: `is not a date in format ${dateFormat} (optionally with a time)` };
  const parts = {
    year: Number(groups.y),
    month: Number(groups.m),
    day: Number(groups.d),
    hour: Number(groups.hh ?? 0),
    minute: Number(groups.mi ?? 0),
    second: Number(groups.ss ?? 0),
    millisecond: Number((groups.ms ?? "0").padEnd(3, "0")),
  };
  let zone: string | FixedOffsetZone = timeZone;
  if (groups.offset !== undefined && groups.offset !== "Z") {
    const [, sign, hours, minutes] = /^([+-])(\d{2}):?(\d{2})?$/.exec(groups.offset) ?? [];
    const offset = utcOffsetMinutes(sign === "-" ? "-" : "+", Number(hours), Number(minutes ?? 0));
    if (offset === null) return { ok: false, reason: `has an impossible UTC offset ${groups.offset}` };
    zone = FixedOffsetZone.instance(offset);
  } else if (groups.offset === "Z") zone = FixedOffsetZone.utcInstance;
  const parsed = DateTime.fromObject(parts, { zone });
  if (!parsed.isValid)
    return { ok: false, reason: `is not a real date or time: ${parsed.invalidExplanation ?? parsed.invalidReason}` };
  if (groups.hh !== undefined && (parsed.hour !== parts.hour || parsed.minute !== parts.minute))
    return { ok: false, reason: `is a local time that does not exist in ${timeZone} (clock change)` };
  const date = `${groups.y}-${String(parts.month).padStart(2, "0")}-${String(parts.day).padStart(2, "0")}`;
  return { ok: true, date, instant: parsed.toUTC().toISO() as string, hasTime: groups.hh !== undefined };
}

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

  #dateTime(row: SourceRow, field: string): (ParsedDateTime & { ok: true }) | undefined {
    const value = this.text(row, field);
    if (value === undefined) return undefined;
    const parsed = parseDateTime(value, this.#mapping.dateFormat, this.#mapping.timeZone);
    if (!parsed.ok) throw new CellError(this.column(field), `${JSON.stringify(value)} ${parsed.reason}`);
    return parsed;
  }

  /** A calendar date (YYYY-MM-DD) in the mapping's date format; a time after it is checked and left out. */
  date(row: SourceRow, field: string): string | undefined {
    return this.#dateTime(row, field)?.date;
  }

  /** An instant: a timestamp with offset as is, one without in the mapping's time zone, a bare date at its local midnight. */
  instant(row: SourceRow, field: string): string | undefined {
    return this.#dateTime(row, field)?.instant;
  }

  /** A non-negative amount in the mapping's amount format (see {@link parseAmount}), in the row's currency. */
  money(row: SourceRow, field: string): number | undefined {
    const value = this.text(row, field);
    if (value === undefined) return undefined;
    const parsed = parseAmount(value, this.#mapping);
    const fail = (reason: string) => new CellError(this.column(field), `${JSON.stringify(value)} ${reason}`);
    if (!parsed.ok) throw fail(parsed.reason);
    if (parsed.negative) throw fail("is negative: amounts cannot be negative");
    const currency = this.text(row, "currency") ?? this.#mapping.currency;
    if (parsed.currency !== undefined && !currencyMatches(parsed.currency, currency))
      throw fail(`is written in ${parsed.currency}, but the row's currency is ${currency}`);
    return parsed.value;
  }

  /** A probability given in percent, 0–100, as a fraction 0–1. */
  probability(row: SourceRow, field: string): number | undefined {
    const value = this.text(row, field);
    if (value === undefined) return undefined;
    const parsed = parseProbability(value, this.#mapping.decimalSeparator);
    if (!parsed.ok) throw new CellError(this.column(field), `${JSON.stringify(value)} ${parsed.reason}`);
    return parsed.value;
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
