import { defaultConfig, type GraphState, projectGraph } from "@revgraph/domain";
import {
  computeKpis,
  type DealRisk,
  type DimensionFilter,
  dealRisks,
  type KpiQuery,
  KpiQueryError,
  type KpiScope,
  kpiDefinitions,
  prepareQuery,
  restatements,
} from "@revgraph/kpis";
import { type DealRiskQuery, dealRisksSql, isCompiled, restatementsSql, riskKinds } from "@revgraph/read-model";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  closeProjectedFacts,
  comparable,
  type Extra,
  engagementExtra,
  extra,
  history,
  now,
  projectFacts,
  query,
  type StageExtra,
  same,
  stageExtra,
} from "./generated-histories.ts";

const DAY = 86_400_000;

/** The engine's risks (the oracle) for a query, of the kinds asked. */
function engineRisks(state: GraphState, asked: DealRiskQuery, at: Date, kinds: readonly string[]): DealRisk[] {
  const scope = prepareQuery(state, defaultConfig, { ...asked, kpis: ["stale_deals"] }, at).scopes[0]?.scope as KpiScope;
  return dealRisks(scope).filter((risk) => kinds.includes(risk.kind));
}

/** A filter the API asks risks with: none (an executive), a team or a rep (the viewer's), an account (`Deal.risks`), a segment. */
const riskFilter = fc.oneof(
  { arbitrary: fc.constant<"none">("none"), weight: 3 },
  fc.record({ team: fc.constantFrom(["team-1"], ["team-2", "team-3"]) }),
  fc.record({ rep: fc.nat(12) }),
  fc.record({ account: fc.nat(30) }),
  fc.record({ segment: fc.constantFrom(["SMB"], ["Mid-Market", "Enterprise"], ["unknown"]) }),
);

/** The filter for a history: reps and accounts picked among those it has. */
function filterFor(picked: typeof riskFilter extends fc.Arbitrary<infer T> ? T : never, state: GraphState): DimensionFilter {
  if (picked === "none") return {};
  if ("rep" in picked) {
    const reps = Object.keys(state.reps).sort();
    return { rep: [reps[picked.rep % Math.max(reps.length, 1)] ?? "rep-1"] };
  }
  if ("account" in picked) {
    const accounts = Object.keys(state.accounts).sort();
    return { account: [accounts[picked.account % Math.max(accounts.length, 1)] ?? "acct-1"] };
  }
  return picked;
}

/**
 * A deal created (in business time) after facts back-dated before it: reopened into technical validation with an
 * evaluator and on into the business case, all before its creation. It left the single-thread stage before it existed,
 * so with no stakeholders (the SQL once counted the evaluator assigned then).
 */
const backDatedBeforeCreation: [
  number,
  number,
  number[],
  Extra[],
  StageExtra[],
  "none",
  readonly DealRisk["kind"][],
  number,
  null,
  null,
] = [
  1608,
  4,
  [0],
  [],
  [
    { kind: "close", deal: 23, won: true, date: "2026-03-31", daysBack: 1 },
    { kind: "evaluate", deal: 11, contact: 0, touched: false, daysBack: 0 },
    { kind: "close", deal: 0, won: false, date: "2026-03-31", daysBack: 0 },
    { kind: "slip", deal: 27, inDays: 5, pushDays: 0, daysBack: 0 },
  ],
  "none",
  riskKinds,
  0,
  null,
  null,
];

/** A value in a quarter of the runs, else none (an asOf or knownAt: the API asks risks as things stand). */
const rarely = <T>(values: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: values, weight: 1 });

/** Runs in which the compared answer holds each kind of risk: a kind never found would hold the SQL to nothing. */
const found = { runs: 0, hits: Object.fromEntries(riskKinds.map((kind) => [kind, 0])) as Record<string, number> };

const compiledIds = [...new Set(kpiDefinitions.filter(isCompiled).map((definition) => definition.id))];
/** Record times to compare (the first four also as the earlier one: a history is recorded up to 2026-11-15). */
const recordTimes = ["2026-02-01", "2026-07-15T08:00:00Z", "2026-09-01", "2026-10-20", "2026-10-27", "2026-11-01", "2026-11-15"];

describe("deal risks and restatements from the fact tables", () => {
  afterAll(closeProjectedFacts);

  it("risks equal the engine's (the oracle) over generated histories, for any filter, kinds, now, asOf and knownAt, each kind found in a fair share of runs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 4, max: 14 }),
        fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 20 }),
        // Engagement extras twice as often: their thinly threaded deals are the single-threaded risks.
        fc.array(fc.oneof(extra, engagementExtra()), { maxLength: 8 }),
        fc.array(stageExtra, { minLength: 2, maxLength: 16 }),
        riskFilter,
        fc.oneof({ arbitrary: fc.constant(riskKinds), weight: 2 }, fc.subarray([...riskKinds], { minLength: 1 })),
        fc.integer({ min: -120, max: 90 }),
        rarely(fc.constantFrom("2026-06-30T12:00:00Z", "2026-10-01", "2027-01-01")),
        rarely(fc.constantFrom("2026-07-15T08:00:00Z", "2026-10-20", "2026-11-01")),
        async (seed, deals, lags, extras, stageExtras, picked, kinds, nowDays, asOf, knownAt) => {
          const events = history(seed, deals, lags, extras, [], stageExtras);
          const state = projectGraph(events);
          const facts = await projectFacts(events, state);
          const at = new Date(now.getTime() + nowDays * DAY);
          const asked: DealRiskQuery = {
            period: "trailing-90d",
            timeZone: "UTC",
            filter: filterFor(picked, state),
            ...(asOf ? { asOf } : {}),
            ...(knownAt ? { knownAt } : {}),
          };
          const expected = engineRisks(state, asked, at, kinds);
          const actual = await dealRisksSql(facts.reader, facts, defaultConfig, asked, at, kinds);
          expect(actual).toEqual(expected);
          found.runs++;
          for (const kind of riskKinds)
            if (expected.some((risk) => risk.kind === kind)) found.hits[kind] = (found.hits[kind] ?? 0) + 1;
        },
      ),
      { numRuns: 100, examples: [backDatedBeforeCreation] },
    );
    const shares = Object.fromEntries(riskKinds.map((kind) => [kind, (found.hits[kind] ?? 0) / found.runs]));
    console.log(`risk kinds found (share of ${found.runs} runs): ${JSON.stringify(shares)}`);
    // Measured over 600 runs: 15–62% each (slipped the rarest). At 8% (9 of 101 runs) the seed alone would fail one CI
    // run in 40 (binomial tail); at 2% (3 runs) one in 76,000.
    for (const kind of riskKinds) expect(shares[kind], `share of runs with a ${kind} risk`).toBeGreaterThanOrEqual(0.02);
  }, 300_000);

  it("an unknown risk kind is a query error naming the kinds", async () => {
    const events = history(7, 4, [0], [], [], []);
    const facts = await projectFacts(events, projectGraph(events));
    const asked = { period: "trailing-90d", timeZone: "UTC" };
    await expect(dealRisksSql(facts.reader, facts, defaultConfig, asked, now, ["stale", "stalled"])).rejects.toThrow(
      KpiQueryError,
    );
    await expect(dealRisksSql(facts.reader, facts, defaultConfig, asked, now, ["stalled"])).rejects.toMatchObject({
      argument: "kinds",
    });
    expect(await dealRisksSql(facts.reader, facts, defaultConfig, asked, now, [])).toEqual([]);
  });

  it("restatements equal the engine's over generated histories, for any KPIs, query and pair of record times", async () => {
    let changed = 0;
    let appeared = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 4, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 20 }),
        fc.array(extra, { maxLength: 8 }),
        fc.array(stageExtra, { maxLength: 8 }),
        query,
        fc.shuffledSubarray(compiledIds, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...recordTimes.slice(0, 4)),
        fc.constantFrom(...recordTimes),
        fc.boolean(),
        async (seed, deals, lags, extras, stageExtras, asked, kpis, knownAtA, knownAtB, unfiltered) => {
          const events = history(seed, deals, lags, extras, [], stageExtras);
          const state = projectGraph(events);
          const facts = await projectFacts(events, state);
          // Half the runs unfiltered: the random filter often leaves nothing to restate.
          const { knownAt: _knownAt, filter, ...rest } = asked;
          const kpiQuery: Omit<KpiQuery, "knownAt"> = { ...rest, ...(unfiltered || !filter ? {} : { filter }), kpis };
          const expected = restatements(state, defaultConfig, kpiQuery, knownAtA, knownAtB, now);
          const actual = await restatementsSql(facts.reader, facts, defaultConfig, kpiQuery, knownAtA, knownAtB, now);
          const comparableRestatement = (restatement: (typeof expected)[number]) => ({
            kpi: restatement.kpi,
            group: restatement.group,
            before: comparable(restatement.before),
            after: comparable(restatement.after),
            changed: restatement.changed,
            addedEventIds: [...restatement.addedEventIds].sort(),
            removedEventIds: [...restatement.removedEventIds].sort(),
          });
          const oracle = expected.map(comparableRestatement);
          const answered = actual.map(comparableRestatement);
          if (!same(answered, oracle)) expect(answered).toEqual(oracle);
          if (expected.some((restatement) => restatement.changed)) changed++;
          // A group only the later answer has (a rep or deal recorded in between) is computed alone as known before.
          if (kpiQuery.groupBy) {
            const earlier = new Set(
              computeKpis(state, defaultConfig, { ...kpiQuery, knownAt: knownAtA }, now).map((result) => result.group?.key),
            );
            if (expected.some((restatement) => !earlier.has(restatement.group?.key))) appeared++;
          }
        },
      ),
      { numRuns: 100 },
    );
    // A restatement that never changes anything would hold the comparison to little.
    expect(changed).toBeGreaterThanOrEqual(10);
    console.log(`restatements: ${changed} runs with a change, ${appeared} with a group that appeared in between`);
    expect(appeared).toBeGreaterThanOrEqual(5);
  }, 300_000);
});
