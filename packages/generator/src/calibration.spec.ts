import { defaultConfig, projectGraph } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import { validateEvent } from "@revgraph/events";
import { computeKpis, restatements } from "@revgraph/kpis";
import { describe, expect, it } from "vitest";
import { generateHistory } from "./history.ts";

const now = new Date("2026-11-15T00:00:00Z");

/** The default demo (2,000 deals, seed 7) as the seeding records it: in record-time order, with its record times. */
function demoLog(): RecordedEvent[] {
  const entries: { streamId: string; raw: Parameters<typeof validateEvent>[0]; recordedAt: string }[] = [];
  for (const batch of generateHistory({ deals: 2_000, seed: 7, now })) {
    batch.events.forEach((raw, index) => {
      entries.push({ streamId: batch.streamId, raw, recordedAt: batch.recordedAt[index] as string });
    });
  }
  entries.sort((a, b) => (a.recordedAt < b.recordedAt ? -1 : a.recordedAt > b.recordedAt ? 1 : 0));
  return entries.map(({ streamId, raw, recordedAt }, index) => {
    const validated = validateEvent(raw, index);
    return {
      ...validated,
      id: validated.id as string,
      streamId,
      streamRevision: 0,
      globalPosition: index + 1,
      recordedAt,
      prevHash: null,
      hash: "0",
    } as RecordedEvent;
  });
}

const DAY = 86_400_000;

function quarterStartMs(period: string): number {
  const [year, quarter] = period.split("-Q").map(Number);
  return Date.UTC(year as number, ((quarter as number) - 1) * 3, 1);
}

describe("default demo calibration (2,000 deals, seed 7)", () => {
  const log = demoLog();
  const state = projectGraph(log);
  /** Whole quarters after the first half year, when the first pipeline has had time to close. */
  const settled = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"];
  const kpi = (id: string, period: string, extra: { asOf?: string; knownAt?: string } = {}) =>
    computeKpis(state, defaultConfig, { kpis: [id], period, ...extra }, now)[0];

  it("gives company pipeline coverage mostly between 2× and 5× three weeks into each quarter, never far outside", () => {
    const coverages = [...settled, "2026-Q4"].map((period) => {
      const asOf = new Date(Math.min(quarterStartMs(period) + 21 * DAY, now.getTime())).toISOString();
      return kpi("pipeline_coverage", period, { asOf })?.value ?? Number.NaN;
    });
    expect(coverages.filter((coverage) => coverage >= 2 && coverage <= 5).length).toBeGreaterThanOrEqual(4);
    for (const coverage of coverages) {
      expect(coverage).toBeGreaterThanOrEqual(1.5);
      expect(coverage).toBeLessThanOrEqual(6.5);
    }
  });

  it("gives most team-quarters pipeline coverage between 2× and 5× three weeks in, none above 10×", () => {
    const coverages = [...settled, "2026-Q4"].flatMap((period) => {
      const asOf = new Date(Math.min(quarterStartMs(period) + 21 * DAY, now.getTime())).toISOString();
      return computeKpis(state, defaultConfig, { kpis: ["pipeline_coverage"], period, asOf, groupBy: "team" }, now).map(
        (result) => ({ period, team: result.group?.key, coverage: result.value }),
      );
    });
    expect(coverages.length).toBeGreaterThanOrEqual(10);
    const inBand = coverages.filter(({ coverage }) => coverage !== null && coverage >= 2 && coverage <= 5);
    expect(inBand.length / coverages.length).toBeGreaterThanOrEqual(0.6);
    for (const entry of coverages) expect(entry).toEqual({ ...entry, coverage: expect.any(Number) });
    expect(coverages.filter(({ coverage }) => (coverage ?? 0) > 10)).toEqual([]);
  });

  it("has 40–70% of ramped reps at or above quota over the settled quarters", () => {
    let ramped = 0;
    let atQuota = 0;
    for (const period of settled) {
      const result = kpi("quota_attainment", period);
      const detail = result?.derivation.inputs.find((input) => input.name === "attainment_distribution")?.detail as {
        reps: { repId: string; attainment: number }[];
      };
      const rampedReps = detail.reps.filter(
        (rep) => Date.parse(state.reps[rep.repId]?.startDate ?? "") <= quarterStartMs(period) - 90 * DAY,
      );
      ramped += rampedReps.length;
      atQuota += rampedReps.filter((rep) => rep.attainment >= 1).length;
    }
    expect(ramped).toBeGreaterThan(20);
    expect(atQuota / ramped).toBeGreaterThanOrEqual(0.4);
    expect(atQuota / ramped).toBeLessThanOrEqual(0.7);
  });

  it("gives every rep a distinct name", () => {
    const names = Object.values(state.reps).map((rep) => rep.name);
    expect(names.length).toBeGreaterThan(10);
    expect(new Set(names).size).toBe(names.length);
  });

  it("has forecast accuracy, bias and commit close rate for every settled quarter", () => {
    for (const period of settled) {
      const accuracy = kpi("forecast_accuracy", period)?.value;
      expect({ period, accuracy }).toEqual({ period, accuracy: expect.any(Number) });
      expect(accuracy).toBeGreaterThan(0.7);
      expect(kpi("forecast_bias", period)?.value).toEqual(expect.any(Number));
      expect(kpi("commit_close_rate", period)?.value).toEqual(expect.any(Number));
    }
  });

  it("records most events within hours of their business time and a few days or weeks late, never after now", () => {
    const delays = log.map((event) => Date.parse(event.recordedAt) - Date.parse(event.occurredAt));
    expect(delays.every((delay) => delay >= 0)).toBe(true);
    expect(log.every((event) => event.recordedAt <= now.toISOString())).toBe(true);
    const late = delays.filter((delay) => delay > DAY).length / delays.length;
    expect(late).toBeGreaterThan(0.005);
    expect(late).toBeLessThan(0.05);
  });

  it("restates a few, not all, closed-quarter figures between the quarter's end and today", () => {
    const changes = restatements(
      state,
      defaultConfig,
      { kpis: ["win_rate", "average_deal_size", "sales_cycle_length"], period: "2026-Q1", groupBy: "team" },
      "2026-04-01T00:00:00Z",
      now.toISOString(),
      now,
    );
    const changed = changes.filter((change) => change.changed).length;
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(changes.length / 2);
  });
});
