import { encodeGlobalID } from "@pothos/plugin-relay";
import { defaultConfig } from "@revgraph/domain";
import { computeKpis } from "@revgraph/kpis";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness, NOW } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness();
});

describe("GraphQL API over yoga.fetch", () => {
  it("refuses anonymous callers and bad tokens with clear errors", async () => {
    const anonymous = await api.gql(null, "{ deals(first: 1) { edges { node { dealId } } } }");
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const bad = await api.gql("not-a-jwt", "{ viewer { role } }");
    expect(bad.status).toBe(401);
    expect(bad.body.errors?.[0]?.message).toMatch(/invalid bearer token/);
  });

  it("serves a scorecard equal to the KPI engine's numbers", async () => {
    const { body } = await api.gql(
      api.tokens.exec,
      `{ scorecard(period: "2026-Q3", kpis: ["win_rate", "average_deal_size", "pipeline_coverage"], groupBy: TEAM) { kpiId groupKey value nullReason band { id } derivation { formula eventCount inputs { name role value } } } }`,
    );
    const expected = computeKpis(
      api.readModel.state,
      defaultConfig,
      { kpis: ["win_rate", "average_deal_size", "pipeline_coverage"], period: "2026-Q3", groupBy: "team" },
      new Date(Math.floor(NOW.getTime() / 60_000) * 60_000),
    );
    const rows = body.data.scorecard as {
      kpiId: string;
      groupKey: string;
      value: number | null;
      derivation: { eventCount: number };
    }[];
    expect(rows.length).toBe(expected.length);
    expect(rows.map((row) => [row.kpiId, row.groupKey, row.value, row.derivation.eventCount])).toEqual(
      expected.map((result) => [result.definition.id, result.group?.key, result.value, result.derivation.eventIds.length]),
    );
    expect(rows.some((row) => row.value !== null)).toBe(true);
  });

  it("counts a scorecard's contributing events when its selection asks for them (also through fragments), without changing its values", async () => {
    const kpis = `kpis: ["win_rate", "pipeline"], period: "2026-Q3", groupBy: TEAM`;
    const plain = await api.gql(api.tokens.exec, `{ scorecard(${kpis}) { kpiId groupKey value derivation { formula } } }`);
    const counted = await api.gql(
      api.tokens.exec,
      `{ scorecard(${kpis}) { ...Row } } fragment Row on KpiValue { kpiId groupKey value derivation { ... on Derivation { inputs { name eventCount } eventCount } } }`,
    );
    const expected = computeKpis(
      api.readModel.state,
      defaultConfig,
      { kpis: ["win_rate", "pipeline"], period: "2026-Q3", groupBy: "team" },
      NOW,
    );
    type Row = { kpiId: string; groupKey: string; value: number | null; derivation: { eventCount: number } };
    const values = (rows: Row[]) => rows.map((row) => [row.kpiId, row.groupKey, row.value]);
    expect(values(plain.body.data.scorecard as Row[])).toEqual(values(counted.body.data.scorecard as Row[]));
    expect((counted.body.data.scorecard as Row[]).map((row) => row.derivation.eventCount)).toEqual(
      expected.map((result) => result.derivation.eventIds.length),
    );
    expect(expected.some((result) => result.derivation.eventIds.length > 0)).toBe(true);
  });

  it("pages a derivation's contributing events, all of them", async () => {
    const query = `query($after: String) { kpi(id: "win_rate", period: "2026-Q3") { derivation { eventCount events(first: 7, after: $after) { edges { cursor node { eventId type } } pageInfo { hasNextPage endCursor } } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (let page = 0; page < 100; page++) {
      const { body } = await api.gql(api.tokens.auditor, query, { after });
      const derivation = (
        body.data.kpi as {
          derivation: {
            eventCount: number;
            events: {
              edges: { node: { eventId: string; type: string } }[];
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
          };
        }[]
      )[0]?.derivation;
      total = derivation?.eventCount ?? 0;
      seen.push(...(derivation?.events.edges.map((edge) => edge.node.eventId) ?? []));
      if (!derivation?.events.pageInfo.hasNextPage) break;
      after = derivation.events.pageInfo.endCursor;
    }
    expect(total).toBeGreaterThan(7);
    expect(new Set(seen).size).toBe(total);
  });

  it.each([
    [`kpi(id: "nope", period: "2026-Q1")`, "kpi", /unknown KPI "nope"/],
    [`kpi(id: "win_rate", period: "Q1")`, "period", /malformed period "Q1"/],
    [`kpi(id: "win_rate", period: "2026-Q1", timeZone: "Mars/Olympus")`, "timeZone", /unknown time zone/],
    [`kpi(id: "win_rate", period: "2026-05-01..2026-02-01")`, "period", /must be before/],
    [`kpi(id: "win_rate", period: "2026-Q1", version: 7)`, "version", /no version 7/],
  ])("rejects bad KPI arguments: %s", async (call, argument, message) => {
    const { body } = await api.gql(api.tokens.exec, `{ ${call} { value } }`);
    expect(body.errors?.[0]?.message).toMatch(message);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument });
  });

  it("rejects a malformed DateTime argument naming it", async () => {
    const { body } = await api.gql(api.tokens.exec, `{ kpi(id: "win_rate", period: "2026-Q1", asOf: "yesterday") { value } }`);
    expect(body.errors?.[0]?.message).toMatch(/DateTime: "yesterday" is not an ISO-8601 instant/);
  });

  it("answers time-travel queries: as of the period start nothing in it had closed", async () => {
    const { body } = await api.gql(
      api.tokens.exec,
      `{ kpi(id: "win_rate", period: "2026-Q3", asOf: "2026-07-01T00:00:00Z") { value nullReason } }`,
    );
    expect(body.data.kpi).toEqual([{ value: null, nullReason: "closed_count is zero" }]);
  });

  it("exports a derivation as PROV-JSON and OpenLineage", async () => {
    const { body } = await api.gql(
      api.tokens.auditor,
      `{ prov: exportDerivation(kpi: "win_rate", period: "2026-Q3", format: PROV_JSON) ol: exportDerivation(kpi: "win_rate", period: "2026-Q3", format: OPENLINEAGE) }`,
    );
    const [prov] = body.data.prov as { entity: Record<string, unknown>; wasGeneratedBy: unknown }[];
    const [lineage] = body.data.ol as {
      eventType: string;
      inputs: { facets: { revgraph_events: { count: number } } }[];
    }[];
    expect(Object.keys(prov?.entity ?? {}).some((key) => key.startsWith("revgraph:event/"))).toBe(true);
    expect(lineage?.eventType).toBe("COMPLETE");
    expect(lineage?.inputs[0]?.facets.revgraph_events.count).toBeGreaterThan(0);
  });

  it("enforces depth and alias limits", async () => {
    const deep = await api.gql(
      api.tokens.exec,
      `{ deals(first: 1) { edges { node { account { deals(first: 1) { edges { node { account { deals(first: 1) { edges { node { account { deals(first:1) { edges { node { dealId } } } } } } } } } } } } } } } }`,
    );
    expect(deep.body.errors?.[0]?.message).toMatch(/depth/i);
    expect(deep.body.errors?.[0]?.extensions?.code).toBe("DEPTH_LIMIT_EXCEEDED");
    const aliases = Array.from({ length: 40 }, (_, index) => `a${index}: viewer { role }`).join(" ");
    const many = await api.gql(api.tokens.exec, `{ ${aliases} }`);
    expect(many.body.errors?.[0]?.message).toMatch(/alias/i);
    expect(many.body.errors?.[0]?.extensions?.code).toBe("ALIAS_LIMIT_EXCEEDED");
  });

  it("answers /health and /ready", async () => {
    const health = await api.app.fetch("http://revgraph.test/health");
    expect(health.status).toBe(200);
    expect(health.headers.get("content-type")).toContain("application/json");
    expect(await health.json()).toEqual({ status: "ok", position: api.readModel.position });
    const ready = await api.app.fetch("http://revgraph.test/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", lagEvents: 0 });
  });

  it("resolves node(id) for deals, reps and events by global id", async () => {
    const id = encodeGlobalID("Deal", api.myDeal.id);
    const { body } = await api.gql(
      api.tokens.exec,
      `query($id: ID!) { node(id: $id) { ... on Deal { dealId owner { repId } } } }`,
      { id },
    );
    expect(body.data.node).toEqual({ dealId: api.myDeal.id, owner: { repId: api.myDeal.ownerRepId } });
  });
});

describe("analytics queries", () => {
  it("returns the funnel with counts, time in stage, and the attainment distribution", async () => {
    const { body } = await api.gql(
      api.tokens.exec,
      `{ funnel(period: "2026-H1") { steps { from to entered converted rate } timeInStage { stage completed medianDays } }
         attainmentDistribution(period: "2026-Q3") { reps { repId attainment payoutMultiplier } p50 shareAtOrAbove100 } }`,
    );
    expect(body.errors).toBeUndefined();
    const [funnel] = body.data.funnel as { steps: { from: string; entered: number; converted: number; rate: number | null }[] }[];
    expect(funnel?.steps.map((step) => step.from)).toEqual(["discovery", "technical_validation", "business_case", "negotiation"]);
    expect(funnel?.steps[0]?.entered).toBeGreaterThan(0);
    for (const step of funnel?.steps ?? []) expect(step.converted).toBeLessThanOrEqual(step.entered);
    const distribution = body.data.attainmentDistribution as {
      reps: { attainment: number; payoutMultiplier: number }[];
      shareAtOrAbove100: number;
    };
    expect(distribution.reps.length).toBeGreaterThan(0);
    const share = distribution.reps.filter((rep) => rep.attainment >= 1).length / distribution.reps.length;
    expect(distribution.shareAtOrAbove100).toBeCloseTo(share, 10);
  });

  it("shows a back-dated correction as a restatement between two record times", async () => {
    const knownBefore = "2026-11-15T12:30:00Z";
    api.recordAt("2026-11-15T12:45:00Z");
    const open = (await api.dealsAsTheyStand()).find((deal) => deal.status === "open" && deal.createdAt < "2026-11-01") as {
      id: string;
    };
    const later = new Date("2026-11-15T13:00:00Z");
    const result = await api.store.append(`deal-${open.id}`, [
      { type: "DealLost", occurredAt: "2026-11-10T12:00:00Z", data: { dealId: open.id, reason: "timing" } },
    ]);
    await api.readModel.waitFor(result.positions[0] as number);
    const { body } = await api.gql(
      api.tokens.auditor,
      `query($a: DateTime!, $b: DateTime!) { restatements(kpi: "win_rate", period: "2026-Q4", knownAtA: $a, knownAtB: $b) { changed before { value } after { value } addedEventIds } }`,
      { a: knownBefore, b: later.toISOString() },
    );
    const [restatement] = body.data.restatements as {
      changed: boolean;
      before: { value: number };
      after: { value: number };
      addedEventIds: string[];
    }[];
    expect(restatement?.after.value).toBeLessThan(restatement?.before.value ?? 0);
    expect(restatement?.changed).toBe(true);
    expect(restatement?.addedEventIds).toContain(result.events[0]?.id);
  });

  it("pushes the scorecard again when an event changes it (scorecardChanged over SSE)", async () => {
    const response = await api.app.fetch("http://revgraph.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${api.tokens.exec}` },
      body: JSON.stringify({ query: `subscription { scorecardChanged(period: "2026-Q4", kpis: ["pipeline"]) { kpiId value } }` }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const next = async () => {
      let text = "";
      while (!text.includes("event: next")) text += decoder.decode((await reader.read()).value);
      while (!text.includes("\n\n", text.indexOf("event: next"))) text += decoder.decode((await reader.read()).value);
      return JSON.parse(/data: (.*)/.exec(text)?.[1] ?? "null").data.scorecardChanged[0].value as number;
    };
    const first = await next();
    const opened = await api.store.append("deal-sse-new", [
      {
        type: "DealCreated",
        occurredAt: "2026-11-15T12:00:00Z",
        data: {
          dealId: "sse-new",
          accountId: "acct-1",
          ownerRepId: "rep-1",
          name: "SSE",
          amount: 12345,
          stage: "discovery",
          expectedCloseDate: "2026-12-15",
        },
      },
    ]);
    expect(opened.positions).toHaveLength(1);
    const second = await next();
    await reader.cancel();
    expect(second - first).toBeCloseTo(12345, 6);
  });
});
