import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DealOrder, type Keyed, mergedKeyed, sortedKeyed } from "./deal-reads.ts";

const orders = fc.record({
  field: fc.constantFrom<DealOrder["field"]>("amount", "expectedCloseDate", "createdAt", "name", "id"),
  direction: fc.constantFrom<DealOrder["direction"]>("ASC", "DESC"),
});

/** A value of the order's field: amounts are numbers, the rest text (names and ids with numbers in them). */
const fieldValue = (order: DealOrder, seed: number): string | number =>
  order.field === "amount" ? seed % 7 : order.field === "id" ? "" : `${["a", "B", "deal-"][seed % 3]}${seed % 13}`;

describe("sorted deal lists kept up to date", () => {
  it("merging changed deals into a sorted list (one by one or in one pass) sorts as sorting everything again", () => {
    fc.assert(
      fc.property(
        orders,
        fc.uniqueArray(fc.nat(400), { maxLength: 200, size: "max" }),
        fc.array(fc.record({ deal: fc.nat(500), seed: fc.nat() }), { maxLength: 150, size: "max" }),
        fc.nat(),
        (order, present, changes, salt) => {
          const id = (n: number) => `deal-${n}`;
          const value = (n: number, seed: number) => (order.field === "id" ? id(n) : fieldValue(order, seed));
          const current = new Map(present.map((n) => [id(n), value(n, n + salt)] as const));
          const sorted = sortedKeyed({ ids: [...current.keys()], values: [...current.values()] }, order);
          const changed: Keyed = { ids: [], values: [] };
          for (const { deal, seed } of changes) {
            if (changed.ids.includes(id(deal))) continue;
            changed.ids.push(id(deal));
            changed.values.push(value(deal, seed));
            current.set(id(deal), value(deal, seed));
          }
          const expected = sortedKeyed({ ids: [...current.keys()], values: [...current.values()] }, order);
          expect(mergedKeyed(sorted, changed, order)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
