import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inRecordOrder, type Timed } from "./record-order.ts";

let spoolDir = "";
let previousTmp: string | undefined;

beforeEach(() => {
  previousTmp = process.env.TMPDIR;
  spoolDir = mkdtempSync(join(tmpdir(), "revgraph-record-order-spec-"));
  process.env.TMPDIR = spoolDir;
});

afterEach(() => {
  if (previousTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmp;
  rmSync(spoolDir, { recursive: true, force: true });
});

const item = fc.record({
  streamId: fc.string({ maxLength: 12 }),
  data: fc.dictionary(
    fc.string({ maxLength: 6 }),
    fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
  ),
});

describe("inRecordOrder (the demo seed's external sort)", () => {
  it("yields the items stably sorted by record time, as JSON round-trips them, and leaves no spool file", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ recordedMs: fc.integer({ min: 0, max: 50 }), item }), { maxLength: 300 }),
        (timed: Timed<unknown>[]) => {
          const expected = timed
            .map((entry, order) => ({ ...entry, order }))
            .sort((a, b) => a.recordedMs - b.recordedMs || a.order - b.order)
            .map((entry) => JSON.parse(JSON.stringify(entry.item)));
          expect([...inRecordOrder(timed)]).toEqual(expected);
          expect(readdirSync(spoolDir)).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("holds items larger than its read buffer and its write chunk, and removes the spool when abandoned", () => {
    const large = "x".repeat(5 * 1024 * 1024);
    const items = [
      { recordedMs: 3, item: { text: "last" } },
      { recordedMs: 2, item: { text: large } },
      { recordedMs: 1, item: { text: "first" } },
    ];
    expect([...inRecordOrder(items)].map((entry) => entry.text.length)).toEqual([5, large.length, 4]);
    for (const entry of inRecordOrder(items)) {
      expect(entry.text).toBe("first");
      expect(readdirSync(spoolDir)).toHaveLength(1);
      break;
    }
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});
