import { defaultConfig, projectGraph } from "@revgraph/domain";
import { computeKpis, funnel, type KpiQuery, type KpiResult, kpiDefinitions } from "@revgraph/kpis";
import { computeKpisSql, type FunnelGroup, funnelSql, isCompiled } from "@revgraph/read-model";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  closeProjectedFacts,
  comparable,
  extra,
  history,
  now,
  projectFacts,
  query,
  rosterExtra,
  rosterForecast,
  rosterWin,
  same,
  stageExtra,
} from "./generated-histories.ts";

/** Every definition the SQL path compiles, active or candidate. */
const compiled = kpiDefinitions.filter(isCompiled);

/** KPIs over the rep-level measures, whose non-null share over the generated runs is checked. */
const rosterKpis = [
  "pipeline_coverage",
  "quota_attainment",
  "revenue_per_rep",
  "forecast_accuracy",
  "forecast_bias",
  "commit_close_rate",
];

/**
 * How often the generated histories exercise the stage, slippage and risk KPIs: runs where some group has a conversion,
 * a completed stay, a slipped deal, a stale deal, or a silent technical evaluator. Equal answers that are all zero or
 * null would hold these measures to nothing.
 */
const stageCoverage = {
  runs: 0,
  hits: {} as Record<string, number>,
  cases: {
    stage_conversion: (result: KpiResult) => result.definition.id === "stage_conversion" && (result.value ?? 0) > 0,
    time_in_stage: (result: KpiResult) => result.definition.id === "time_in_stage" && result.value !== null,
    slippage_rate: (result: KpiResult) => result.definition.id === "slippage_rate" && (result.value ?? 0) > 0,
    stale_deals: (result: KpiResult) => result.definition.id === "stale_deals" && (result.value ?? 0) > 0,
    evaluator_silent: (result: KpiResult) =>
      result.definition.id === "stale_deals" &&
      result.derivation.inputs.some((input) =>
        ((input.detail?.risks ?? []) as { kind: string }[]).some((risk) => risk.kind === "evaluator_silent"),
      ),
  } satisfies Record<string, (result: KpiResult) => boolean>,
  /** Counts one run's answers to the stage KPIs. */
  count(results: readonly KpiResult[]) {
    this.runs++;
    for (const [name, exercised] of Object.entries(this.cases))
      if (results.some(exercised)) this.hits[name] = (this.hits[name] ?? 0) + 1;
  },
  expectExercised() {
    const shares = Object.fromEntries(Object.keys(this.cases).map((name) => [name, (this.hits[name] ?? 0) / this.runs]));
    console.log(`stage KPIs exercised (share of ${this.runs} runs): ${JSON.stringify(shares)}`);
    // Measured over 200 runs: 10–50% each (slippage the rarest). At 2% (4 of 200 runs) the seed alone fails one CI run
    // in 680,000 (binomial tail at 10%).
    for (const share of Object.values(shares)) expect(share).toBeGreaterThanOrEqual(0.02);
  },
};

/** A funnel group as compared: its steps' contributing events as a set. */
function comparableFunnel(group: FunnelGroup) {
  return { ...group, steps: group.steps.map((step) => ({ ...step, eventIds: [...step.eventIds].sort() })) };
}

const isDefinition = (id: string) => kpiDefinitions.some((definition) => definition.id === id);

/** The compiled KPIs defined in more than one version. */
const versioned = [...new Set(compiled.map((definition) => definition.id))].filter(
  (id) => compiled.filter((definition) => definition.id === id).length > 1,
);

describe("KPIs compiled to SQL over the DuckDB fact tables", () => {
  afterAll(closeProjectedFacts);

  it("compiles at least win rate, deal size, cycle, pipeline, velocity and loss reasons", () => {
    expect(compiled.map((definition) => definition.id)).toEqual(
      expect.arrayContaining([
        "win_rate",
        "average_deal_size",
        "sales_cycle_length",
        "pipeline",
        "weighted_pipeline",
        "pipeline_velocity",
        "loss_reasons",
      ]),
    );
  });

  it("compiles the quota, forecast, rep and commit KPIs", () => {
    expect(compiled.map((definition) => definition.id)).toEqual(expect.arrayContaining(rosterKpis));
  });

  it("compiles both versions of win rate (the differential test asks each KPI with several versions in both)", () => {
    expect(versioned).toContain("win_rate");
  });

  it("equal the in-memory engine (the oracle) over generated histories, for any group, filter, period, asOf and knownAt; without event ids, the same values; the funnel too", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 4, max: 14 }),
        fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 20 }),
        fc.array(extra, { maxLength: 12 }),
        query,
        fc.array(rosterExtra, { maxLength: 8 }),
        fc.array(stageExtra, { minLength: 2, maxLength: 16 }),
        async (seed, deals, lags, extras, asked, rosterExtras, stageExtras) => {
          const events = history(seed, deals, lags, extras, rosterExtras, stageExtras);
          const state = projectGraph(events);
          const kpiQuery: KpiQuery = {
            ...asked,
            kpis: compiled.map((definition) => definition.id),
            versions: { win_rate: 2 },
          };
          const facts = await projectFacts(events, state);
          // The stage KPIs once more without the filter, which often leaves too few deals to exercise them.
          const stageQuery: KpiQuery = { ...kpiQuery, kpis: Object.keys(stageCoverage.cases).filter(isDefinition), filter: {} };
          // The KPIs with several versions once more in their default version (the others would repeat the first query).
          const defaultVersions: KpiQuery = { ...kpiQuery, kpis: versioned, versions: {} };
          let withIds: readonly KpiResult[] = [];
          for (const each of [kpiQuery, defaultVersions, stageQuery]) {
            const expected = computeKpis(state, defaultConfig, each, now).map(comparable);
            const answered = await computeKpisSql(facts.reader, facts, defaultConfig, each, now);
            if (each === kpiQuery) withIds = answered;
            const actual = answered.map(comparable);
            expect(actual.map((result) => [result.kpi, result.group])).toEqual(
              expected.map((result) => [result.kpi, result.group]),
            );
            actual.forEach((result, index) => {
              const oracle = expected[index];
              if (!same(result, oracle)) expect(result).toEqual(oracle);
            });
            if (each === stageQuery) stageCoverage.count(answered);
          }
          const { kpis: _stageKpis, ...funnelQuery } = stageQuery;
          const funnelOracle = funnel(state, defaultConfig, funnelQuery, now).map(comparableFunnel);
          const funnelActual = (await funnelSql(facts.reader, facts, defaultConfig, funnelQuery, now)).map(comparableFunnel);
          if (!same(funnelActual, funnelOracle)) expect(funnelActual).toEqual(funnelOracle);
          const valuesOnly = await computeKpisSql(facts.reader, facts, defaultConfig, kpiQuery, now, { eventIds: false });
          expect(valuesOnly.map((result) => [result.definition.id, result.group?.key, result.value, result.nullReason])).toEqual(
            withIds.map((result) => [result.definition.id, result.group?.key, result.value, result.nullReason]),
          );
          // Values only lists no events, but for KPIs with a measure that may leave listed ids out (listed whole).
          valuesOnly.forEach((result, index) => {
            if (result.derivation.eventIds.length > 0)
              expect(result.derivation.eventIds).toEqual(withIds[index]?.derivation.eventIds);
          });
        },
      ),
      { numRuns: 200 },
    );
    stageCoverage.expectExercised();
  }, 1_800_000);

  it("equal the engine for the quota, forecast, rep and commit KPIs over periods with quotas and forecasts, each with a value in at least a twentieth of the runs", async () => {
    // The query above mostly filters everything out or asks for periods without quotas; a KPI that is null in every
    // run proves nothing. Here: the periods quotas and forecasts are set for, at most one team filter.
    // Over 3,000 generated runs the rarest, forecast accuracy and bias, had a value in 23.8% of them. A twentieth of 60
    // runs (3) then fails by chance with probability 1.6e-5 (binomial tail); a tenth (6) failed one CI run in ~550.
    const rosterQuery = fc.record(
      {
        period: fc.constantFrom("2026-Q2", "2026-Q3", "2026-Q4", "2026-H1", "2026-08", "2025-Q4"),
        timeZone: fc.constantFrom("UTC", "America/New_York", "Asia/Tokyo"),
        groupBy: fc.constantFrom("team" as const, "rep" as const, "manager" as const, "segment" as const, "region" as const),
        filter: fc.constantFrom({}, { team: ["team-1"] }, { rep: ["rep-1"] }),
        knownAt: fc.constant("2026-11-01"),
        forecastKnownAt: fc.constant("2027-01-01"),
      },
      { requiredKeys: ["period", "timeZone"] },
    );
    const runsWithValue = new Map<string, number>(rosterKpis.map((id) => [id, 0]));
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 8, max: 14 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 5 }),
        rosterQuery,
        fc.array(fc.oneof(rosterExtra, rosterWin, rosterForecast), { minLength: 6, maxLength: 16 }),
        async (seed, deals, lags, asked, rosterExtras) => {
          runs++;
          const events = history(seed, deals, lags, [], rosterExtras);
          const state = projectGraph(events);
          const facts = await projectFacts(events, state);
          const kpiQuery: KpiQuery = { ...asked, kpis: rosterKpis };
          const expected = computeKpis(state, defaultConfig, kpiQuery, now).map(comparable);
          const actual = (await computeKpisSql(facts.reader, facts, defaultConfig, kpiQuery, now)).map(comparable);
          expect(actual.map((result) => [result.kpi, result.group])).toEqual(
            expected.map((result) => [result.kpi, result.group]),
          );
          actual.forEach((result, index) => {
            const oracle = expected[index];
            if (!same(result, oracle)) expect(result).toEqual(oracle);
          });
          for (const id of rosterKpis)
            if (expected.some((result) => result.kpi.startsWith(`${id}@`) && result.value !== null))
              runsWithValue.set(id, (runsWithValue.get(id) ?? 0) + 1);
        },
      ),
      { numRuns: 60 },
    );
    for (const id of rosterKpis)
      expect((runsWithValue.get(id) ?? 0) / runs, `share of runs with a ${id} value`).toBeGreaterThanOrEqual(1 / 20);
  }, 600_000);

  it("page contributing events by the same predicates: counts equal the engine's, any slice equals that slice of the listed events, which are the engine's set", async () => {
    const slices = fc.array(
      fc.record({ result: fc.nat(), start: fc.double({ min: 0, max: 1.2, noNaN: true }), size: fc.integer({ min: 0, max: 40 }) }),
      { minLength: 1, maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 4, max: 14 }),
        fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 20 }),
        fc.array(extra, { maxLength: 12 }),
        query,
        slices,
        // A few KPIs per history (every count and page re-runs the scope's CTEs): over the runs, every compiled one.
        fc.shuffledSubarray([...new Set(compiled.map((definition) => definition.id))], { minLength: 1, maxLength: 3 }),
        async (seed, deals, lags, extras, asked, pages, kpis) => {
          const events = history(seed, deals, lags, extras);
          const state = projectGraph(events);
          const kpiQuery: KpiQuery = { ...asked, kpis, versions: { win_rate: 2 } };
          const facts = await projectFacts(events, state);
          const expected = computeKpis(state, defaultConfig, kpiQuery, now);
          const actual = await computeKpisSql(facts.reader, facts, defaultConfig, kpiQuery, now, { eventIds: false });
          expect(actual.length).toBe(expected.length);
          for (const [index, result] of actual.entries()) {
            const oracle = expected[index] as KpiResult;
            const kpi = `${result.definition.id} ${result.group?.key ?? ""}`;
            expect(await result.contributing.count(), kpi).toBe(oracle.derivation.eventIds.length);
            for (const [input, { name, eventCount }] of oracle.derivation.inputs.entries())
              expect(await result.contributing.inputCount(input), `${kpi}: ${name}`).toBe(eventCount);
          }
          // The order of contributing events is the SQL path's own (the engine's order is not a contract: the
          // differential test compares sets); pages must be slices of the listed events, whose set is the engine's.
          const listed = await computeKpisSql(facts.reader, facts, defaultConfig, kpiQuery, now);
          for (const page of actual.length ? pages : []) {
            const at = page.result % actual.length;
            const ids = (listed[at] as KpiResult).derivation.eventIds;
            expect([...ids].sort()).toEqual([...(expected[at] as KpiResult).derivation.eventIds].sort());
            const start = Math.floor(page.start * ids.length);
            expect(await actual[at]?.contributing.slice(start, start + page.size)).toEqual(ids.slice(start, start + page.size));
          }
        },
      ),
      { numRuns: 50 },
    );
  }, 600_000);
});
