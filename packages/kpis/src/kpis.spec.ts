import { defaultConfig, projectGraph } from "@revgraph/domain";
import { describe, expect, it } from "vitest";
import { computeKpis, funnel, KpiQueryError, restatements } from "./engine.ts";
import { engineRunner, handComputedKpis, NOW, scenario } from "./hand-computed.cases.ts";

handComputedKpis(engineRunner);

describe("funnel on the hand-computed scenario", () => {
  it("counts skipped stages as passed and reports counts", () => {
    const [all] = funnel(projectGraph(scenario().events), defaultConfig, { period: "2026-Q1" }, NOW);
    // discovery → technical_validation: d1 skipped it to business_case (passed), d3 moved, d5 won → 3 of 5.
    expect(all?.steps[0]).toMatchObject({ from: "discovery", to: "technical_validation", entered: 5, converted: 3 });
  });
});

describe("restatements", () => {
  it("knownAt shows a back-dated correction as a restatement, naming the events that changed it", () => {
    const log = scenario();
    log.recordAt("2026-04-10T00:00:00Z");
    const correction = log.add("deal-d6", "DealLost", { dealId: "d6", reason: "timing" }, "2026-03-28T12:00:00Z");
    const state = projectGraph(log.events);
    const [change] = restatements(
      state,
      defaultConfig,
      { kpis: ["win_rate"], period: "2026-Q1" },
      "2026-04-01T00:00:00Z",
      "2026-04-12T00:00:00Z",
      NOW,
    );
    expect(change?.before.value).toBe(0.5);
    expect(change?.after.value).toBeCloseTo(1 / 3, 10);
    expect(change?.addedEventIds).toEqual([correction.id]);
  });
});

describe("query errors", () => {
  const state = projectGraph(scenario().events);
  it.each([
    [{ kpis: ["nope"], period: "2026-Q1" }, /kpi: unknown KPI "nope"/],
    [{ kpis: ["win_rate"], period: "Q1-2026" }, /period: malformed period "Q1-2026"/],
    [{ kpis: ["win_rate"], period: "2026-Q1", timeZone: "Mars/Base" }, /timeZone: unknown time zone "Mars\/Base"/],
    [{ kpis: ["win_rate"], period: "2026-04-01..2026-01-01" }, /period: .*from \(2026-04-01\) must be before to/],
    [{ kpis: ["win_rate"], period: "2026-Q1", versions: { win_rate: 9 } }, /version: KPI win_rate has no version 9/],
  ])("rejects %j", (query, message) => {
    expect(() => computeKpis(state, defaultConfig, query, NOW)).toThrow(KpiQueryError);
    expect(() => computeKpis(state, defaultConfig, query, NOW)).toThrow(message);
  });
});
