import { KpiService } from "@revgraph/api";
import { defaultConfig, type GraphState } from "@revgraph/domain";
import { createMemoryEventStore } from "@revgraph/event-store";
import { computeKpis, type DealRisk, dealRisks, type KpiScope, prepareQuery, restatements } from "@revgraph/kpis";
import { RevenueReadModel, rebuildGraph } from "@revgraph/read-model";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness, NOW } from "./harness.ts";

let api: Awaited<ReturnType<typeof apiHarness>>;
/** The graph replayed from the log on its own: the engine's answers are the oracle. */
let rebuilt: GraphState;
beforeAll(async () => {
  api = await apiHarness(150);
  rebuilt = await rebuildGraph(api.store);
});

/** The engine's deal risks as the API asked it before: the last 90 days, UTC, at the start of the request's minute. */
function engineRisks(filter: Record<string, string[]> = {}): DealRisk[] {
  const query = { kpis: ["win_rate"], period: "trailing-90d", timeZone: "UTC", filter };
  const scope = prepareQuery(rebuilt, defaultConfig, query, KpiService.evaluationTime(NOW)).scopes[0]?.scope as KpiScope;
  return dealRisks(scope);
}

const riskFields = "dealId kind detail evidenceEventId";

describe("deal risks from the fact tables", () => {
  it("are the engine's, every kind, for an executive and by kind", async () => {
    const expected = engineRisks();
    expect(new Set(expected.map((risk) => risk.kind)).size).toBeGreaterThanOrEqual(2);
    const all = await api.gql(api.tokens.exec, `{ dealRisks { ${riskFields} } }`);
    expect(all.body.errors).toBeUndefined();
    expect(all.body.data.dealRisks).toEqual(expected);
    const some = await api.gql(api.tokens.exec, `{ dealRisks(kinds: ["slipped", "stale"]) { ${riskFields} } }`);
    expect(some.body.data.dealRisks).toEqual(expected.filter((risk) => risk.kind === "slipped" || risk.kind === "stale"));
  });

  it("on a deal are the engine's for that deal, deals asked together included", async () => {
    const dealIds = [...new Set(engineRisks().map((risk) => risk.dealId))].slice(0, 4);
    const fields = dealIds.map((dealId, index) => `d${index}: deal(dealId: "${dealId}") { risks { ${riskFields} } }`);
    const { body } = await api.gql(api.tokens.exec, `{ ${fields.join(" ")} }`);
    expect(body.errors).toBeUndefined();
    dealIds.forEach((dealId, index) => {
      const accountId = rebuilt.deals[dealId]?.created?.accountId as string;
      const expected = engineRisks({ account: [accountId] }).filter((risk) => risk.dealId === dealId);
      expect(expected.length).toBeGreaterThan(0);
      expect((body.data[`d${index}`] as { risks: DealRisk[] }).risks).toEqual(expected);
    });
  });

  it("for a rep are the engine's for the rep's own deals", async () => {
    const { body } = await api.gql(api.tokens.rep, `{ dealRisks { ${riskFields} } }`);
    expect(body.data.dealRisks).toEqual(engineRisks({ rep: ["rep-1"] }));
  });

  it("refuse an unknown kind with a BAD_USER_INPUT error naming kinds", async () => {
    const { status, body } = await api.gql(api.tokens.exec, `{ dealRisks(kinds: ["stale", "stalled"]) { dealId } }`);
    expect(status).toBe(200);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument: "kinds" });
    expect(body.errors?.[0]?.message).toContain("stalled");
  });
});

describe("restatements from the fact tables", () => {
  it("by group are the engine's, a group only one record time knows included", async () => {
    // A rep hired and a deal won by them, both recorded after NOW: their group is new at the later record time.
    api.recordAt("2026-11-15T13:00:00Z");
    const accountId = Object.keys(rebuilt.accounts).sort()[0] as string;
    const deal = { dealId: "late-rep-deal", accountId, ownerRepId: "rep-late", name: "Late rep's deal" };
    const written = await api.store.appendMany([
      {
        streamId: "rep-rep-late",
        events: [
          {
            type: "RepHired",
            occurredAt: "2026-03-01T00:00:00Z",
            data: { repId: "rep-late", name: "Late Rep", teamId: api.myTeam, startDate: "2026-03-01" },
          },
        ],
      },
      {
        streamId: "deal-late-rep-deal",
        events: [
          {
            type: "DealCreated",
            occurredAt: "2026-04-01T00:00:00Z",
            data: { ...deal, amount: 40_000, currency: "USD", stage: "discovery", expectedCloseDate: "2026-06-30" },
          },
          {
            type: "DealWon",
            occurredAt: "2026-06-15T00:00:00Z",
            data: { dealId: deal.dealId, amount: 40_000, currency: "USD" },
          },
        ],
      },
    ]);
    await api.readModel.waitFor(written.at(-1)?.positions.at(-1) ?? 0);
    rebuilt = await rebuildGraph(api.store);
    const knownAtA = NOW.toISOString();
    const knownAtB = "2026-11-15T13:30:00Z";
    const { body } = await api.gql(
      api.tokens.auditor,
      `query($a: DateTime!, $b: DateTime!) { restatements(kpi: "won_revenue", period: "2026", groupBy: REP, knownAtA: $a, knownAtB: $b) {
        kpiId groupKey changed before { value groupKey } after { value groupKey } addedEventIds removedEventIds } }`,
      { a: knownAtA, b: knownAtB },
    );
    expect(body.errors).toBeUndefined();
    const query = { kpis: ["won_revenue"], period: "2026", groupBy: "rep" as const, timeZone: "UTC", filter: {} };
    const expected = restatements(rebuilt, defaultConfig, query, knownAtA, knownAtB, KpiService.evaluationTime(NOW));
    const answered = body.data.restatements as {
      groupKey: string;
      changed: boolean;
      before: { value: number | null; groupKey: string };
      after: { value: number | null };
      addedEventIds: string[];
      removedEventIds: string[];
    }[];
    expect(answered.map((each) => [each.groupKey, each.before.groupKey, each.changed])).toEqual(
      expected.map((each) => [each.group?.key, each.group?.key, each.changed]),
    );
    answered.forEach((each, index) => {
      const oracle = expected[index];
      expect(each.before.value).toBeCloseTo(oracle?.before.value ?? Number.NaN, 6);
      expect(each.after.value).toBeCloseTo(oracle?.after.value ?? Number.NaN, 6);
      expect([...each.addedEventIds].sort()).toEqual([...(oracle?.addedEventIds ?? [])].sort());
      expect([...each.removedEventIds].sort()).toEqual([...(oracle?.removedEventIds ?? [])].sort());
    });
    expect(expected.some((each) => each.changed)).toBe(true);
    const earlier = computeKpis(rebuilt, defaultConfig, { ...query, knownAt: knownAtA }, KpiService.evaluationTime(NOW));
    const earlierKeys = new Set(earlier.map((result) => result.group?.key));
    expect(answered.some((each) => !earlierKeys.has(each.groupKey))).toBe(true);
  });
});

describe("KpiService", () => {
  it("refuses a query its read model's fact tables do not answer, naming the KPIs (never answered from the graph)", async () => {
    const store = createMemoryEventStore();
    const model = await RevenueReadModel.open({ store, config: defaultConfig, follow: false });
    const service = new KpiService(model);
    await expect(service.compute({ kpis: ["win_rate"], period: "2026-Q3" }, NOW)).rejects.toMatchObject({
      argument: "kpis",
      message: expect.stringContaining("fact tables"),
    });
    // A bad query is refused as the engine refuses it.
    await expect(service.compute({ kpis: ["no_such_kpi"], period: "2026-Q3" }, NOW)).rejects.toMatchObject({
      argument: "kpi",
    });
    await model.close();
  });
});
