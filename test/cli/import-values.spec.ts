import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { convertDeals, dealConversionReport } from "../../services/cli/src/import/convert.ts";
import { loadMapping } from "../../services/cli/src/import/mapping.ts";
import { readCsv } from "../../services/cli/src/import/rows.ts";
import { type AmountFormat, parseAmount, parseDateTime, parseProbability } from "../../services/cli/src/import/values.ts";

const dot: AmountFormat = {
  decimalSeparator: ".",
  thousandsSeparator: "none",
  currencyInAmounts: false,
  accountingNegatives: false,
};
const german: AmountFormat = {
  decimalSeparator: ",",
  thousandsSeparator: ".",
  currencyInAmounts: false,
  accountingNegatives: false,
};

describe("strict amounts", () => {
  it("rejects what the old reader turned into other numbers by deleting characters", () => {
    for (const text of ["1e5", "1.5E+04", "0x10", "(500)", "1e309x", "1274,02", "03.03.2024", "12 500", "1.2.3", "--5", "5-", ""])
      expect(parseAmount(text, dot), text).toMatchObject({ ok: false });
  });

  it("reads plain amounts and the mapping's separators exactly", () => {
    expect(parseAmount("106268.77", dot)).toEqual({ ok: true, value: 106268.77, negative: false });
    expect(parseAmount("0", dot)).toEqual({ ok: true, value: 0, negative: false });
    expect(parseAmount("4.821,50", german)).toEqual({ ok: true, value: 4821.5, negative: false });
    expect(parseAmount("4821,50", german)).toEqual({ ok: true, value: 4821.5, negative: false });
    expect(parseAmount("1.274.000", german)).toEqual({ ok: true, value: 1274000, negative: false });
    expect(parseAmount("1.5", german)).toMatchObject({ ok: false });
    expect(parseAmount("12.34.567", german)).toMatchObject({ ok: false });
    expect(parseAmount("1,274.02", { ...dot, thousandsSeparator: "," })).toEqual({ ok: true, value: 1274.02, negative: false });
    expect(parseAmount("1 274,02", { ...german, thousandsSeparator: " " })).toEqual({
      ok: true,
      value: 1274.02,
      negative: false,
    });
    expect(parseAmount("1234567890123456", dot)).toMatchObject({ ok: false, reason: expect.stringContaining("15 significant") });
  });

  it("takes currency marks and accounting negatives only when the mapping allows them", () => {
    expect(parseAmount("€ 1.200,00", german)).toMatchObject({ ok: false });
    const withCurrency = { ...german, currencyInAmounts: true };
    expect(parseAmount("€ 1.200,00", withCurrency)).toEqual({ ok: true, value: 1200, negative: false, currency: "€" });
    expect(parseAmount("1.200,00 EUR", withCurrency)).toEqual({ ok: true, value: 1200, negative: false, currency: "EUR" });
    expect(parseAmount("EUR 1.200 EUR", withCurrency)).toMatchObject({ ok: false });
    expect(parseAmount("(500)", { ...dot, accountingNegatives: true })).toEqual({ ok: true, value: -500, negative: true });
    expect(parseAmount("(-500)", { ...dot, accountingNegatives: true })).toMatchObject({ ok: false });
  });

  it("reads probabilities in percent, 0–100", () => {
    expect(parseProbability("40", ".")).toEqual({ ok: true, value: 0.4, negative: false });
    expect(parseProbability("12.5 %", ".")).toEqual({ ok: true, value: 0.125, negative: false });
    expect(parseProbability("12,5", ",")).toEqual({ ok: true, value: 0.125, negative: false });
    for (const text of ["1e3", "101", "-5", "0x10", "40,5"])
      expect(parseProbability(text, "."), text).toMatchObject({ ok: false });
  });
});

describe("strict dates and times", () => {
  it("rejects impossible dates, times and offsets instead of rolling them over", () => {
    for (const text of [
      "2024-02-30T10:00:00Z",
      "2024-02-29T25:61:00Z",
      "2024-02-29T10:00:00+2500",
      "2024-02-29T10:00:00+14:30",
      "2024-02-29T24:00:00Z",
      "2024-02-29T10:00:60Z",
      "2024-13-01",
      "2023-02-29",
    ])
      expect(parseDateTime(text, "iso", "UTC"), text).toMatchObject({ ok: false });
    expect(parseDateTime("31.02.2026", "DD.MM.YYYY", "UTC")).toMatchObject({ ok: false });
    expect(parseDateTime("2026-03-29T02:30:00", "iso", "Europe/Berlin")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("clock change"),
    });
  });

  it("reads offsets, local times in the mapping's zone and bare dates", () => {
    expect(parseDateTime("2024-02-29T10:00:00+05:30", "iso", "UTC")).toEqual({
      ok: true,
      date: "2024-02-29",
      instant: "2024-02-29T04:30:00.000Z",
      hasTime: true,
    });
    expect(parseDateTime("2024-02-29 10:00", "iso", "Europe/Berlin")).toMatchObject({ instant: "2024-02-29T09:00:00.000Z" });
    expect(parseDateTime("17.02.2026", "DD.MM.YYYY", "Europe/Berlin")).toMatchObject({
      date: "2026-02-17",
      instant: "2026-02-16T23:00:00.000Z",
      hasTime: false,
    });
  });
});

describe("reading CSV bytes and structure", () => {
  it("rejects a file whose header holds a byte invalid in the declared encoding, naming the offset", () => {
    const path = join(folder, "bad-header.csv");
    writeFileSync(path, Buffer.concat([Buffer.from("OpportunityId,Am"), Buffer.from([0xff]), Buffer.from("ount\n006A,5\n")]));
    expect(() => readCsv(path, "utf-8", ",")).toThrow(
      expect.objectContaining({
        name: "ImportInputError",
        message: expect.stringContaining("byte 16 (0xff) in the header is not valid utf-8"),
      }),
    );
  });

  it("marks a Windows-1252 row holding an undefined byte, and reads its defined ones", () => {
    const path = join(folder, "cp1252.csv");
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from("id,name\n1,"),
        Buffer.from([0x80]),
        Buffer.from("\n2,x"),
        Buffer.from([0x81]),
        Buffer.from("\n"),
      ]),
    );
    const table = readCsv(path, "windows-1252", ",");
    expect(table.rows[0]).toEqual({ row: 2, values: { id: "1", name: "€" } });
    expect(table.rows[1]?.defect).toEqual({
      column: "name",
      reason: expect.stringContaining("byte 15 (0x81) is not valid windows-1252"),
    });
  });

  it("derives ids whose first 8 hex digits are the stream's, so a stream's events sit together", () => {
    const path = join(folder, "two-deals.csv");
    writeFileSync(
      path,
      `${header}\n006A,2026-01-05T09:00:00Z,Prospecting,100,2026-03-31,10\n006A,2026-01-06T09:00:00Z,Qualification,200,2026-03-31,20\n006B,2026-01-05T09:00:00Z,Prospecting,100,2026-03-31,10\n`,
    );
    const report = dealConversionReport();
    const streams = [
      ...convertDeals("salesforce-history", path, readCsv(path, "utf-8", ",").rows, loadMapping("salesforce-history"), report),
    ];
    for (const stream of streams) expect(new Set(stream.events.map((event) => event.id?.slice(0, 8))).size).toBe(1);
    expect(streams[0]?.events[0]?.id?.slice(0, 8)).not.toBe(streams[1]?.events[0]?.id?.slice(0, 8));
  });
});

/** The oracle: an independent strict reading of a plain amount (decimal point, no thousands marks). */
function oracleAmount(text: string): number | undefined {
  return /^\d+(\.\d+)?$/.test(text) && text.replace(/^0+/, "").replace(".", "").length <= 15 ? Number(text) : undefined;
}

/**
 * The oracle for ISO timestamps (optional seconds and milliseconds, `Z`, an offset within ±14:00, or none for UTC):
 * every component must survive a round trip through Date.UTC.
 */
function oracleInstant(text: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millisecond = Number((match[7] ?? "0").padEnd(3, "0"));
  const offsetText = match[8] && match[8] !== "Z" ? match[8] : "+00:00";
  const offsetHours = Number(offsetText.slice(1, 3));
  const offsetMinutesOnly = offsetText.length > 3 ? Number(offsetText.slice(-2)) : 0;
  if (offsetMinutesOnly >= 60 || offsetHours * 60 + offsetMinutesOnly > 14 * 60) return undefined;
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond));
  const same =
    local.getUTCFullYear() === year &&
    local.getUTCMonth() === month - 1 &&
    local.getUTCDate() === day &&
    local.getUTCHours() === hour &&
    local.getUTCMinutes() === minute &&
    local.getUTCSeconds() === second;
  if (!same) return undefined;
  const sign = offsetText.startsWith("-") ? -1 : 1;
  return new Date(local.getTime() - sign * (offsetHours * 60 + offsetMinutesOnly) * 60_000).toISOString();
}

const folder = mkdtempSync(join(tmpdir(), "revgraph-import-values-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const header = "OpportunityId,CreatedDate,StageName,Amount,CloseDate,Probability";
const rowCells = ["006A", "2026-01-05T09:00:00Z", "Prospecting", "10000", "2026-03-31", "10"];
const mutableColumns = { Amount: 3, CreatedDate: 1, Probability: 5 } as const;

/** A mutation of a cell: characters inserted, deleted or replaced, from digits, separators, signs and letters. */
const mutation = fc.record({
  column: fc.constantFrom(...(Object.keys(mutableColumns) as (keyof typeof mutableColumns)[])),
  edits: fc.array(
    fc.record({
      kind: fc.constantFrom("insert", "delete", "replace"),
      at: fc.nat(),
      char: fc.constantFrom(..."0123456789.,-+eExX()$€ %:TZ:/abc"),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

function mutate(text: string, edits: { kind: string; at: number; char: string }[]): string {
  let result = text;
  for (const edit of edits) {
    const at = result.length === 0 ? 0 : edit.at % (result.length + 1);
    if (edit.kind === "insert") result = result.slice(0, at) + edit.char + result.slice(at);
    else if (edit.kind === "delete") result = result.slice(0, at) + result.slice(at + 1);
    else result = result.slice(0, at) + edit.char + result.slice(at + 1);
  }
  return result;
}

describe("a mutated cell (property)", () => {
  it("either imports with exactly the strict reading's value or rejects the row, naming the cell", () => {
    const mapping = loadMapping("salesforce-history");
    let run = 0;
    fc.assert(
      fc.property(mutation, ({ column, edits }) => {
        const cells = [...rowCells];
        const index = mutableColumns[column];
        const text = mutate(cells[index] as string, edits);
        cells[index] = text;
        const path = join(folder, `mutated-${run++}.csv`);
        writeFileSync(path, `${header}\n${cells.map((cell) => `"${cell.replaceAll('"', '""')}"`).join(",")}\n`);
        const table = readCsv(path, "utf-8", ",");
        const report = dealConversionReport();
        const conversion = {
          streams: [...convertDeals("salesforce-history", path, table.rows, mapping, report)],
          problems: report.problems,
        };
        const created = conversion.streams[0]?.events[0];
        const probability = conversion.streams[0]?.events.find((event) => event.type === "DealProbabilityChanged");
        const cell = text.trim();
        const expected =
          cell === ""
            ? "empty"
            : column === "Amount"
              ? oracleAmount(cell)
              : column === "CreatedDate"
                ? oracleInstant(cell)
                : /^\d{1,3}(\.\d+)? ?%?$/.test(cell) && Number.parseFloat(cell) <= 100
                  ? Number.parseFloat(cell)
                  : undefined;
        if (expected === undefined) {
          expect(conversion.streams).toEqual([]);
          expect(conversion.problems).toContainEqual(expect.objectContaining({ row: 2, column }));
          return;
        }
        if (expected === "empty") return;
        expect(conversion.problems).toEqual([]);
        if (column === "Amount") expect((created?.data as { amount: number } | undefined)?.amount).toBe(expected);
        if (column === "CreatedDate") expect(created?.occurredAt).toBe(expected);
        if (column === "Probability")
          expect((probability?.data as { probability: number } | undefined)?.probability).toBeCloseTo(
            (expected as number) / 100,
            12,
          );
      }),
      { numRuns: 400 },
    );
  });
});
