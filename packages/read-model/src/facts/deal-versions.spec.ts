import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig, projectGraph } from "@revgraph/domain";
import { collectEvents, createMemoryEventStore } from "@revgraph/event-store";
import { describe, expect, it } from "vitest";
import { type DealVersionChanges, DealVersionProjection } from "./deal-versions.ts";

const emptyChanges = (): DealVersionChanges => ({ inserted: new Map(), ended: [] });

describe("DealVersionProjection", () => {
  it("writes the same rows whether it keeps every deal's last values or one deal's (the rest derived again)", async () => {
    const store = createMemoryEventStore();
    await seedDemoData(store, { deals: 150, seed: 11, now: new Date("2026-11-15T00:00:00Z") });
    const events = await collectEvents(store.readAll());
    const state = projectGraph([]);
    const everyDeal = new DealVersionProjection(defaultConfig, Number.POSITIVE_INFINITY);
    const oneDeal = new DealVersionProjection(defaultConfig, 1);
    let inserted = 0;
    let ended = 0;
    // In batches, as the fact store flushes: rows of earlier batches end rather than change in place.
    for (let start = 0; start < events.length; start += 50) {
      const kept = emptyChanges();
      const bounded = emptyChanges();
      for (const event of events.slice(start, start + 50)) {
        projectGraph([event], state);
        everyDeal.apply(state, event, kept);
        oneDeal.apply(state, event, bounded);
      }
      expect(bounded).toEqual(kept);
      inserted += kept.inserted.size;
      ended += kept.ended.length;
    }
    expect(inserted).toBeGreaterThan(1_000);
    expect(ended).toBeGreaterThan(100);
  }, 60_000);
});
