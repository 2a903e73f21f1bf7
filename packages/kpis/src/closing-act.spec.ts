import { dealAt, defaultConfig, eventLog, projectGraph, timeSlice } from "@revgraph/domain";
import { describe, expect, it } from "vitest";
import { computeKpis, prepareQuery } from "./engine.ts";
import { dealRisks } from "./measures.ts";

const day = (date: string, time = "12:00:00") => `${date}T${time}Z`;

/**
 * KPIS.md: whatever changes together with a close (the same command or source row) is part of the close — not a push,
 * and it does not make the deal "forecast to close" while open. Given:
 *  c1 (the case) created Jan 10 at 10,000 expecting Mar 31; won Apr 10 by one act that sets the close date to
 *     Apr 10 and the amount to 15,000.
 *  c2 created Jan 5 at 40,000 expecting May 20; lost Mar 15 by one act that pulls the close date in to Mar 15 and sets
 *     the amount to 25,000.
 *  c3 created Jan 20 at 20,000 expecting Feb 28; won Feb 20 by one act setting the close date to Feb 20.
 *  c6 created Jan 15 at 8,000 expecting May 31; lost Feb 10 by one act (close date Feb 10, amount 5,000); reopened
 *     Mar 1 — open again, with the close's values (close date Feb 10, 5,000) from the close on.
 *  c5 (two acts, for contrast) created Jan 12 at 30,000 expecting Mar 20; its close date moved to Apr 5 by its own
 *     command at 09:00 on Apr 5 while open (a push), then won at noon.
 *  c7 created Jan 25 at 6,000 expecting Feb 15; lost Feb 20 by one act moving the close date later to Feb 20;
 *     reopened Mar 1 — open, its expected close passed, but never pushed.
 * Rep r1 (team t1) owns them all, with a Q1 quota of 100,000.
 */
function scenario() {
  const log = eventLog("2026-01-01T00:00:00Z");
  log.add("team-t1", "TeamFormed", { teamId: "t1", name: "East" }, day("2025-01-01"));
  log.add("rep-r1", "RepHired", { repId: "r1", name: "Ana", teamId: "t1", startDate: "2025-01-01" }, day("2025-01-01"));
  log.add(
    "rep-r1",
    "QuotaSet",
    { repId: "r1", period: "2026-Q1", from: "2026-01-01", to: "2026-04-01", amount: 100_000 },
    day("2026-01-01"),
  );
  const open = (id: string, date: string, amount: number, close: string) =>
    log.add(
      `deal-${id}`,
      "DealCreated",
      { dealId: id, accountId: "a1", ownerRepId: "r1", name: id, amount, stage: "discovery", expectedCloseDate: close },
      day(date),
    );
  open("c1", "2026-01-10", 10_000, "2026-03-31");
  log.add("deal-c1", "DealWon", { dealId: "c1", amount: 15_000, expectedCloseDate: "2026-04-10" }, day("2026-04-10"));
  open("c2", "2026-01-05", 40_000, "2026-05-20");
  log.add(
    "deal-c2",
    "DealLost",
    { dealId: "c2", reason: "pricing", amount: 25_000, expectedCloseDate: "2026-03-15" },
    day("2026-03-15"),
  );
  open("c3", "2026-01-20", 20_000, "2026-02-28");
  log.add("deal-c3", "DealWon", { dealId: "c3", amount: 20_000, expectedCloseDate: "2026-02-20" }, day("2026-02-20"));
  open("c6", "2026-01-15", 8_000, "2026-05-31");
  log.add(
    "deal-c6",
    "DealLost",
    { dealId: "c6", reason: "timing", amount: 5_000, expectedCloseDate: "2026-02-10" },
    day("2026-02-10"),
  );
  log.add("deal-c6", "DealReopened", { dealId: "c6", stage: "discovery" }, day("2026-03-01"));
  open("c5", "2026-01-12", 30_000, "2026-03-20");
  log.add("deal-c5", "DealCloseDateChanged", { dealId: "c5", expectedCloseDate: "2026-04-05" }, day("2026-04-05", "09:00:00"));
  log.add("deal-c5", "DealWon", { dealId: "c5", amount: 30_000 }, day("2026-04-05"));
  open("c7", "2026-01-25", 6_000, "2026-02-15");
  log.add("deal-c7", "DealLost", { dealId: "c7", reason: "timing", expectedCloseDate: "2026-02-20" }, day("2026-02-20"));
  log.add("deal-c7", "DealReopened", { dealId: "c7", stage: "discovery" }, day("2026-03-01"));
  return log;
}

function kpi(id: string, period: string, now: string, extra: Record<string, unknown> = {}) {
  const [result] = computeKpis(projectGraph(scenario().events), defaultConfig, { kpis: [id], period, ...extra }, new Date(now));
  if (!result) throw new Error(`no result for ${id}`);
  return result;
}

function input(result: ReturnType<typeof kpi>, name: string) {
  return result.derivation.inputs.find((entry) => entry.name === name);
}

describe("one act per close (KPIS.md's push rule) in the oracle engine", () => {
  it("a deal's values after a close are the close's own, and a close's later date is not a push", () => {
    const state = projectGraph(scenario().events);
    const snapshot = (id: string) =>
      dealAt(state, state.deals[id] as (typeof state.deals)[string], timeSlice(state), defaultConfig);
    expect(snapshot("c1")).toMatchObject({ expectedCloseDate: "2026-04-10", amount: 15_000, pushes: 0, status: "won" });
    expect(snapshot("c2")).toMatchObject({ expectedCloseDate: "2026-03-15", amount: 25_000, pushes: 0, status: "lost" });
    // Reopened: open again with the close's values; moving to them was part of the close, not a push.
    expect(snapshot("c6")).toMatchObject({ expectedCloseDate: "2026-02-10", amount: 5_000, pushes: 0, status: "open" });
    // Two acts: the move came first, by its own command, while the deal was open.
    expect(snapshot("c5")).toMatchObject({ expectedCloseDate: "2026-04-05", pushes: 1, status: "won" });
    expect(snapshot("c1")?.closeDateHistory.map((entry) => [entry.date, entry.closing, entry.whileOpen])).toEqual([
      ["2026-03-31", false, true],
      ["2026-04-10", true, false],
    ]);
  });

  it("Q1 slippage: forecast c1, c3, c5, c6 (its close's Feb 10 while reopened) and c7, not c2 (Mar 15 came with its loss); c1, c5, c6, c7 slipped → 4 ÷ 5", () => {
    const result = kpi("slippage_rate", "2026-Q1", "2026-04-15T12:00:00Z");
    expect(input(result, "forecast_to_close_count")?.value).toBe(5);
    expect(input(result, "slipped_count")?.value).toBe(4);
    expect(result.value).toBeCloseTo(4 / 5, 10);
    expect(input(result, "slipped_count")?.detail?.pushesPerDeal).toBe(0);
  });

  it("Q2 slippage (the issue's case): c1's closing row moving its date to Apr 10 is not a forecast for Q2; c2, c5, c6 are, c6 slipped → 1 ÷ 3, pushes per deal 1 ÷ 3 (c5's own move)", () => {
    const result = kpi("slippage_rate", "2026-Q2", "2026-07-15T12:00:00Z");
    expect(input(result, "forecast_to_close_count")?.value).toBe(3);
    expect(input(result, "slipped_count")?.value).toBe(1);
    expect(result.value).toBeCloseTo(1 / 3, 10);
    expect(input(result, "slipped_count")?.detail?.pushesPerDeal).toBeCloseTo(1 / 3, 10);
  });

  it("pipeline as of Q1's end: open c1 10,000 + c5 30,000 + c6 5,000 (reopened with its close's amount and date) + c7 6,000 = 51,000 closing in Q1; coverage 51,000 ÷ (100,000 − won c3 20,000)", () => {
    const pipeline = kpi("pipeline", "2026-Q1", "2026-04-15T12:00:00Z");
    expect(input(pipeline, "open_pipeline_in_period")?.value).toBe(51_000);
    expect(pipeline.value).toBe(51_000);
    expect(kpi("pipeline_coverage", "2026-Q1", "2026-04-15T12:00:00Z").value).toBeCloseTo(51_000 / 80_000, 10);
  });

  it("win rate by value takes the amounts the closes carried: won c3 20,000 ÷ (20,000 + lost c2 25,000)", () => {
    const result = kpi("win_rate", "2026-Q1", "2026-04-15T12:00:00Z", { versions: { win_rate: 2 } });
    expect(result.value).toBeCloseTo(20_000 / 45_000, 10);
  });

  it("stale deals look at open deals only: on Apr 8 c1, c6 and c7 (idle since creation), on Apr 15 c6 and c7", () => {
    expect(kpi("stale_deals", "2026-Q2", "2026-04-08T12:00:00Z").value).toBe(3);
    expect(kpi("stale_deals", "2026-Q2", "2026-04-15T12:00:00Z").value).toBe(2);
  });

  it("risks: c7's expected close (Feb 20) has passed, but it came with its loss, so c7 is not a slipped deal — only stale", () => {
    const now = new Date("2026-04-15T12:00:00Z");
    const { scope } = prepareQuery(projectGraph(scenario().events), defaultConfig, { kpis: ["win_rate"], period: "2026-Q2" }, now)
      .scopes[0] as { scope: Parameters<typeof dealRisks>[0] };
    expect(dealRisks(scope).map((risk) => [risk.dealId, risk.kind])).toEqual([
      ["c6", "stale"],
      ["c7", "stale"],
    ]);
  });
});
