import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchRecordTimes } from "./record-times.ts";

describe("BatchRecordTimes", () => {
  it("holds what a map from time to position set event by event holds, in record order or not", () => {
    const time = fc.integer({ min: 0, max: 6 }).map((second) => `2026-01-01T00:00:0${second}.000Z`);
    fc.assert(
      fc.property(fc.array(time, { maxLength: 40 }), fc.boolean(), (times, sorted) => {
        const recorded = sorted ? [...times].sort() : times;
        const oracle = new Map<string, number>();
        const batch = new BatchRecordTimes();
        recorded.forEach((at, index) => {
          oracle.set(at, index + 1);
          batch.add(at, index + 1);
        });
        expect(batch.rows()).toEqual([...oracle]);
      }),
      { numRuns: 500 },
    );
  });
});
