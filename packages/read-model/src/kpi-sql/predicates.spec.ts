import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { total } from "./predicates.ts";

/** Amounts, fractions and signed interaction values as the measures sum them: mixed magnitudes, long fractions. */
const value = fc.oneof(
  fc.double({ min: 0, max: 1e12, noNaN: true }),
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.integer({ min: 0, max: 1_000_000 }).map((cents) => cents / 100),
);

describe("total (the SQL sum of the measures)", () => {
  it("is the same double in any row order and on any number of threads, and within 10⁻⁹ of the float sum", async () => {
    const instance = await DuckDBInstance.create(":memory:", { threads: "4" });
    const connection = await instance.connect();
    const sumOf = async (values: readonly number[], condition?: string) => {
      await connection.run("CREATE OR REPLACE TABLE summed (x DOUBLE)");
      const appender = await connection.createAppender("summed");
      for (const x of values) {
        appender.appendDouble(x);
        appender.endRow();
      }
      appender.closeSync();
      const [row] = (await connection.runAndReadAll(`SELECT ${total("x", condition)} AS total FROM summed`)).getRowObjectsJS();
      return row?.total as number | null;
    };
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(value, { minLength: 2, maxLength: 400 })
          .chain((values) => fc.tuple(fc.constant(values), fc.shuffledSubarray(values, { minLength: values.length }))),
        async ([values, shuffled]) => {
          const summed = await sumOf(values);
          expect(Object.is(summed, await sumOf(shuffled))).toBe(true);
          const floatSum = values.reduce((sum, x) => sum + x, 0);
          const magnitude = values.reduce((sum, x) => sum + Math.abs(x), 0);
          expect(Math.abs((summed ?? 0) - floatSum)).toBeLessThanOrEqual(1e-9 * Math.max(1, magnitude));
        },
      ),
      { numRuns: 150 },
    );
    // Rows in parallel row groups, added in whatever order the threads finish.
    const many = Array.from({ length: 300_000 }, (_, at) => ((at * 7919) % 100_003) / 7 + 1e9 * (at % 3));
    const answers = new Set<number | null>();
    for (let run = 0; run < 5; run++) answers.add(await sumOf(run % 2 ? [...many].reverse() : many));
    expect(answers.size).toBe(1);
    expect(await sumOf([])).toBeNull();
    expect(await sumOf([1, 2, 3], "x > 1")).toBe(5);
    // Beyond the exactly summed range the float sum answers rather than an overflow.
    expect(await sumOf([1e300, 1e300])).toBe(2e300);
    // Amounts are any finite number: values beyond 10¹⁸ among the others, in any order, give one double too (a
    // compensated float sum of them differed in a fifth of the shuffles).
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(fc.oneof(value, fc.double({ min: 1e18, max: 1e22, noNaN: true }), fc.constantFrom(1e18, 3e300)), {
            minLength: 2,
            maxLength: 40,
          })
          .chain((values) => fc.tuple(fc.constant(values), fc.shuffledSubarray(values, { minLength: values.length }))),
        async ([values, shuffled]) => {
          const summed = await sumOf(values, "x > 0 OR x <= 0");
          expect(Object.is(summed, await sumOf(shuffled, "x > 0 OR x <= 0"))).toBe(true);
          const floatSum = values.reduce((sum, x) => sum + x, 0);
          const magnitude = values.reduce((sum, x) => sum + Math.abs(x), 0);
          expect(Math.abs((summed ?? 0) - floatSum)).toBeLessThanOrEqual(1e-9 * Math.max(1, magnitude));
        },
      ),
      { numRuns: 150 },
    );
    expect(await sumOf([2e18, 3, 5e17], "x > 4")).toBe(2.5e18);
    connection.closeSync();
    instance.closeSync();
  }, 60_000);
});
