import { defaultConfig, projectGraph } from "@revgraph/domain";
import { canonicalJson, type RecordedEvent, validateEvent } from "@revgraph/events";
import { computeKpis } from "@revgraph/kpis";
import { describe, expect, it } from "vitest";
import { generateHistory } from "./history.ts";

const now = new Date("2026-11-15T00:00:00Z");

function record(deals: number, seed: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (const batch of generateHistory({ deals, seed, now })) {
    for (const raw of batch.events) {
      const validated = validateEvent(raw, events.length);
      events.push({
        ...validated,
        id: validated.id as string,
        streamId: batch.streamId,
        streamRevision: 0,
        globalPosition: events.length + 1,
        recordedAt: now.toISOString(),
        prevHash: null,
        hash: "0",
      } as RecordedEvent);
    }
  }
  return events;
}

describe("history generator", () => {
  it("is deterministic for a seed and different across seeds", () => {
    const first = [...generateHistory({ deals: 200, seed: 7, now })];
    expect(canonicalJson([...generateHistory({ deals: 200, seed: 7, now })])).toBe(canonicalJson(first));
    expect(canonicalJson([...generateHistory({ deals: 200, seed: 8, now })])).not.toBe(canonicalJson(first));
  });

  it("emits only valid events, none after `now`, with unique ids", () => {
    const events = record(500, 1);
    expect(events.every((event) => event.occurredAt <= now.toISOString())).toBe(true);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    expect(events.length / 500).toBeGreaterThan(10);
  });

  it("produces win rates, deal sizes and cycles in the articles' ranges per archetype", () => {
    const state = projectGraph(record(3_000, 3));
    const results = computeKpis(
      state,
      defaultConfig,
      { kpis: ["win_rate", "sales_cycle_length", "average_deal_size"], period: "2026-H1", groupBy: "dealSizeBand" },
      now,
    );
    const get = (kpi: string, band: string) =>
      results.find((result) => result.definition.id === kpi && result.group?.key === band)?.value;
    expect(get("win_rate", "SMB")).toBeGreaterThan(0.15);
    expect(get("win_rate", "SMB")).toBeLessThan(0.4);
    expect(get("sales_cycle_length", "SMB")).toBeLessThan(35);
    expect(get("sales_cycle_length", "Mid-Market")).toBeGreaterThan(25);
    expect(get("average_deal_size", "Enterprise")).toBeGreaterThan(150_000);
  });
});
