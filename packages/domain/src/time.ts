import { DateTime } from "luxon";

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/** Whole or fractional days between two ISO instants. */
export function daysBetween(fromIso: string, toIso: string): number {
  return (Date.parse(toIso) - Date.parse(fromIso)) / DAY_MS;
}

/** Offsets in use anywhere on earth lie within ±14:00 (Kiribati); anything beyond is a typo or a forgery. */
export const MAX_UTC_OFFSET_MINUTES = 14 * 60;

/**
 * The minutes of a UTC offset written as sign, hours and minutes (`+05:30` → 330), or null when no clock on earth
 * shows it: minutes of 60 or more, or a total beyond ±14:00 (so `+14:30` is refused as well as `+15:00`).
 */
export function utcOffsetMinutes(sign: "+" | "-", hours: number, minutes: number): number | null {
  const total = hours * 60 + minutes;
  if (minutes >= 60 || total > MAX_UTC_OFFSET_MINUTES) return null;
  return sign === "-" ? -total : total;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
function zoneOffsetMs(instantMs: number, timeZone: string): number {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    offsetFormatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(instantMs)).map((part) => [part.type, part.value]));
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/** The UTC instant (ISO) at which local midnight of `date` (YYYY-MM-DD) begins in `timeZone`. */
export function startOfLocalDay(date: string, timeZone: string): string {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const localMidnightAsUtc = Date.UTC(year, month - 1, day);
  let guess = localMidnightAsUtc - zoneOffsetMs(localMidnightAsUtc, timeZone);
  guess = localMidnightAsUtc - zoneOffsetMs(guess, timeZone);
  return new Date(guess).toISOString();
}

/** The local calendar date (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDate(instantIso: string, timeZone: string): string {
  const ms = Date.parse(instantIso);
  return new Date(ms + zoneOffsetMs(ms, timeZone)).toISOString().slice(0, 10);
}

/** Adds days to a calendar date (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** A half-open business period `[from, to)` as calendar dates in a time zone, plus its UTC instants. */
export interface Period {
  readonly label: string;
  /** First day, inclusive (YYYY-MM-DD). */
  readonly from: string;
  /** Day after the last, exclusive (YYYY-MM-DD). */
  readonly to: string;
  readonly timeZone: string;
  readonly fromInstant: string;
  readonly toInstant: string;
}

/** A period that could not be understood, with the reason. */
export class PeriodError extends Error {
  override readonly name = "PeriodError";
}

/** The calendar years a period may fall in: `Date.UTC` would read year 50 as 1950, and far years are typos. */
export const periodYears = { min: 1900, max: 2200 } as const;

function checkedYear(spec: string, digits: string | undefined): number {
  const year = Number(digits);
  if (!(year >= periodYears.min && year <= periodYears.max))
    throw new PeriodError(`period ${JSON.stringify(spec)}: the year must be from ${periodYears.min} to ${periodYears.max}`);
  return year;
}

function monthStart(year: number, month: number): string {
  return DateTime.utc(year, 1, 1)
    .plus({ months: month - 1 })
    .toISODate() as string;
}

/**
 * Parses a period: `2026-Q1`, `2026-03`, `2026`, `2026-H2`, `trailing-90d` (ending today in the zone),
 * or an explicit `from..to` (to exclusive). `now` anchors trailing periods.
 */
export function parsePeriod(spec: string, timeZone: string, now: Date): Period {
  if (!isValidTimeZone(timeZone))
    throw new PeriodError(`unknown time zone ${JSON.stringify(timeZone)}: use an IANA name such as Europe/Berlin`);
  const make = (from: string, to: string): Period => {
    if (!(from < to)) throw new PeriodError(`period ${JSON.stringify(spec)}: from (${from}) must be before to (${to})`);
    return {
      label: spec,
      from,
      to,
      timeZone,
      fromInstant: startOfLocalDay(from, timeZone),
      toInstant: startOfLocalDay(to, timeZone),
    };
  };
  let match = /^(\d{4})-Q([1-4])$/.exec(spec);
  if (match) {
    const year = checkedYear(spec, match[1]);
    const quarter = Number(match[2]);
    return make(monthStart(year, quarter * 3 - 2), monthStart(year, quarter * 3 + 1));
  }
  match = /^(\d{4})-H([12])$/.exec(spec);
  if (match) {
    const year = checkedYear(spec, match[1]);
    return make(monthStart(year, match[2] === "1" ? 1 : 7), monthStart(year, match[2] === "1" ? 7 : 13));
  }
  match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(spec);
  if (match) {
    const year = checkedYear(spec, match[1]);
    return make(monthStart(year, Number(match[2])), monthStart(year, Number(match[2]) + 1));
  }
  match = /^(\d{4})$/.exec(spec);
  if (match) {
    const year = checkedYear(spec, match[1]);
    return make(`${match[1]}-01-01`, `${year + 1}-01-01`);
  }
  match = /^trailing-(\d{1,4})d$/.exec(spec);
  if (match) {
    const today = localDate(now.toISOString(), timeZone);
    const end = addDays(today, 1);
    return make(addDays(end, -Number(match[1])), end);
  }
  match = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(spec);
  if (match) {
    const [from, to] = [match[1] as string, match[2] as string];
    for (const date of [from, to]) {
      if (!DateTime.fromISO(date, { zone: "utc" }).isValid)
        throw new PeriodError(`period ${JSON.stringify(spec)}: ${date} is not a calendar date`);
      checkedYear(spec, date.slice(0, 4));
    }
    return make(from, to);
  }
  throw new PeriodError(
    `malformed period ${JSON.stringify(spec)}: use 2026-Q1, 2026-H1, 2026-03, 2026, trailing-90d or 2026-01-01..2026-04-01`,
  );
}

/** The period of the same kind immediately before `period` (same length in days for explicit ranges). */
export function previousPeriods(spec: string, count: number, timeZone: string, now: Date): Period[] {
  const periods: Period[] = [];
  let current = parsePeriod(spec, timeZone, now);
  for (let index = 0; index < count; index++) {
    const quarter = /^(\d{4})-Q([1-4])$/.exec(current.label);
    const month = /^(\d{4})-(\d{2})$/.exec(current.label);
    let label: string;
    if (quarter) {
      const q = Number(quarter[2]);
      label = q === 1 ? `${Number(quarter[1]) - 1}-Q4` : `${quarter[1]}-Q${q - 1}`;
    } else if (month) {
      label = monthStart(Number(month[1]), Number(month[2]) - 1).slice(0, 7);
    } else {
      const days = Math.round(daysBetween(`${current.from}T00:00:00Z`, `${current.to}T00:00:00Z`));
      label = `${addDays(current.from, -days)}..${current.from}`;
    }
    current = parsePeriod(label, timeZone, now);
    periods.push(current);
  }
  return periods;
}
