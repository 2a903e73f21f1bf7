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
    const aliases = Array.from({ length: 40 }, (_, index) => `a${index}: viewer { role }`).join(" ");
    const many = await api.gql(api.tokens.exec, `{ ${aliases} }`);
    expect(many.body.errors?.[0]?.message).toMatch(/alias/i);
  });

  it("answers /health and /ready", async () => {
    expect((await api.app.fetch("http://revgraph.test/health")).status).toBe(200);
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
