import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCalendarDate, parseInstant, TimeParseError } from "./time.ts";

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

describe("strict dates", () => {
  it("accepts a YYYY-MM-DD text exactly when it is a real calendar date in 1900–2200 (oracle: Date.UTC round trip)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1800, max: 2300 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (year, month, day) => {
          const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
          const roundTrip = new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10) === text;
          const real = month >= 1 && month <= 12 && day >= 1 && roundTrip && year >= 1900 && year <= 2200;
          if (real) expect(parseCalendarDate(text)).toBe(text);
          else expect(() => parseCalendarDate(text)).toThrow(TimeParseError);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("reads an instant with any real offset as the same UTC instant Date does, and refuses rollover", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1900-01-02T00:00:00Z"), max: new Date("2200-12-30T00:00:00Z"), noInvalidDate: true }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (date, offsetMinutes) => {
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? "-" : "+";
          const offset = `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
          expect(parseInstant(`${local}${offset}`)).toBe(date.toISOString());
        },
      ),
      { numRuns: 2_000 },
    );
    for (const text of [
      "2026-02-30T00:00:00Z",
      "2026-03-01T24:00:00Z",
      "2026-03-01T10:60:00Z",
      "2026-03-01T10:00:00+25:00",
      "2026-03-01T10:00:00+14:30",
      "2026-03-01T10:00:00-14:01",
      "2026-03-01T10:00:00+05:60",
      "2026-03-01",
      "2026-03-01T10:00:00",
      "0050-01-01T00:00:00Z",
    ])
      expect(() => parseInstant(text), text).toThrow(TimeParseError);
  });
});
