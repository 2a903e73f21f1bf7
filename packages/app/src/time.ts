import { utcOffsetMinutes } from "@revgraph/domain";
import { DateTime } from "luxon";

/** The calendar years dates and instants must fall in (default 1900–2200). */
export interface YearBounds {
  readonly minYear: number;
  readonly maxYear: number;
}

/** The default {@link YearBounds}. */
export const defaultYearBounds: YearBounds = { minYear: 1900, maxYear: 2200 };

/** Text that is not an acceptable date or instant, with the reason in one sentence. */
export class TimeParseError extends Error {
  override readonly name = "TimeParseError";
}

const instantShape = /^\d{4}-\d{2}-\d{2}T(\d{2}):\d{2}(:\d{2}(\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))$/;
const dateShape = /^\d{4}-\d{2}-\d{2}$/;

function quoted(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function withinYears(parsed: DateTime, text: string, bounds: YearBounds): void {
  if (parsed.year < bounds.minYear || parsed.year > bounds.maxYear)
    throw new TimeParseError(`${quoted(text)} is outside the years ${bounds.minYear} to ${bounds.maxYear}`);
}

/**
 * Parses an ISO-8601 instant with an explicit offset or Z (`2026-03-31T23:30:00-05:00`) and returns it in UTC
 * (`2026-04-01T04:30:00.000Z`). Impossible dates and times (Feb 30, hour 24, offset +25:00) and date-only text are
 * refused, never rolled over.
 */
export function parseInstant(text: string, bounds: YearBounds = defaultYearBounds): string {
  const shape = instantShape.exec(text);
  if (!shape) throw new TimeParseError(`${quoted(text)} is not an ISO-8601 instant with an offset, e.g. 2026-04-01T00:00:00Z`);
  // luxon reads hour 24 as the next day's midnight and takes offsets beyond the real ones (±14:00); neither is allowed.
  if (Number(shape[1]) > 23) throw new TimeParseError(`${quoted(text)} is not a real instant: the hour must be 00 to 23`);
  const [sign, hours, minutes] = [shape[5] as "+" | "-" | undefined, shape[6], shape[7]];
  if (sign !== undefined && utcOffsetMinutes(sign, Number(hours), Number(minutes)) === null)
    throw new TimeParseError(`${quoted(text)} is not a real instant: the offset must be within ±14:00`);
  const parsed = DateTime.fromISO(text, { setZone: true });
  if (!parsed.isValid)
    throw new TimeParseError(`${quoted(text)} is not a real instant: ${parsed.invalidExplanation ?? "invalid"}`);
  const utc = parsed.toUTC();
  withinYears(utc, text, bounds);
  return utc.toISO() as string;
}

/** Parses a calendar date `YYYY-MM-DD`; impossible dates (2026-02-30) are refused, never rolled over. */
export function parseCalendarDate(text: string, bounds: YearBounds = defaultYearBounds): string {
  if (!dateShape.test(text)) throw new TimeParseError(`${quoted(text)} is not a calendar date YYYY-MM-DD`);
  const parsed = DateTime.fromISO(text, { zone: "utc" });
  if (!parsed.isValid) throw new TimeParseError(`${quoted(text)} is not a real date: ${parsed.invalidExplanation ?? "invalid"}`);
  withinYears(parsed, text, bounds);
  return text;
}
