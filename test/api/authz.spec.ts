import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Role } from "@revgraph/api";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness(400);
});

/** Each entry point answers: did the caller get to see the target deal (or its team's data)? */
const entryPoints: Record<string, (token: string, dealId: string, team: string) => Promise<boolean>> = {
  "node(id) on a deal": async (token, dealId) => {
    const { body } = await api.gql(token, `query($id: ID!) { node(id: $id) { ... on Deal { dealId } } }`, {
      id: encodeGlobalID("Deal", dealId),
    });
    return (body.data.node as { dealId?: string } | null)?.dealId === dealId;
  },
  "deal(dealId)": async (token, dealId) => {
    const { body } = await api.gql(token, `query($id: String!) { deal(dealId: $id) { dealId } }`, { id: dealId });
    return (body.data.deal as { dealId?: string } | null)?.dealId === dealId;
  },
  "deals connection": async (token, dealId) => {
    const owner = (await api.readModel.deal(dealId))?.ownerRepId ?? "";
    const { body } = await api.gql(
      token,
      `query($owner: [String!]) { deals(first: 100, filter: { ownerRepIds: $owner }) { edges { node { dealId } } } }`,
      { owner: [owner] },
    );
    return ((body.data.deals as { edges: { node: { dealId: string } }[] } | undefined)?.edges ?? []).some(
      (edge) => edge.node.dealId === dealId,
    );
  },
  "deal as of a past date": async (token, dealId) => {
    const { body } = await api.gql(token, `query($id: String!) { deal(dealId: $id, asOf: "2026-11-01T00:00:00Z") { dealId } }`, {
      id: dealId,
    });
    return (body.data.deal as { dealId?: string } | null)?.dealId === dealId;
  },
  "deal's event stream via node(id)": async (token, dealId) => {
    const [event] = await api.store.readStream(`deal-${dealId}`, { maxCount: 1 });
    const { body } = await api.gql(token, `query($id: ID!) { node(id: $id) { ... on Event { eventId } } }`, {
      id: encodeGlobalID("Event", event?.id ?? ""),
    });
    return (body.data.node as { eventId?: string } | null)?.eventId === event?.id;
  },
  "events query": async (token, dealId) => {
    const { body } = await api.gql(
      token,
      `query($prefix: String!) { events(first: 50, streamPrefix: $prefix) { edges { node { streamId } } } }`,
      { prefix: `deal-${dealId}` },
    );
    return ((body.data.events as { edges: { node: { streamId: string } }[] } | undefined)?.edges ?? []).some(
      (edge) => edge.node.streamId === `deal-${dealId}`,
    );
  },
  "KPI filtered to the team": async (token, _dealId, team) => {
    const { body } = await api.gql(
      token,
      `query($team: [String!]) { kpi(id: "pipeline", period: "2026-Q4", filter: { team: $team }) { value derivation { eventCount } } }`,
      { team: [team] },
    );
    return ((body.data.kpi as { derivation: { eventCount: number } }[] | undefined)?.[0]?.derivation.eventCount ?? 0) > 0;
  },
  "KPI grouped by team": async (token, _dealId, team) => {
    const { body } = await api.gql(
      token,
      `{ kpi(id: "pipeline", period: "2026-Q4", groupBy: TEAM) { groupKey derivation { eventCount } } }`,
    );
    return ((body.data.kpi as { groupKey: string; derivation: { eventCount: number } }[] | undefined) ?? []).some(
      (row) => row.groupKey === team && row.derivation.eventCount > 0,
    );
  },
  "derivation events": async (token, dealId) => {
    const deal = await api.readModel.deal(dealId);
    const variables = { period: deal?.createdAt.slice(0, 7), account: [deal?.accountId] };
    const { body } = await api.gql(
      token,
      `query($period: String!, $account: [String!]) { kpi(id: "activity_to_opportunity_ratio", period: $period, filter: { account: $account }) { derivation { events(first: 500) { edges { node { streamId } } } } } }`,
      variables,
    );
    const edges =
      (body.data.kpi as { derivation: { events: { edges: { node: { streamId: string } }[] } } }[] | undefined)?.[0]?.derivation
        .events.edges ?? [];
    return edges.some((edge) => edge.node.streamId === `deal-${dealId}`);
  },
  "owner rep via node(id)": async (token, dealId) => {
    const owner = (await api.readModel.deal(dealId))?.ownerRepId ?? "";
    const { body } = await api.gql(token, `query($id: ID!) { node(id: $id) { ... on Rep { repId } } }`, {
      id: encodeGlobalID("Rep", owner),
    });
    return (body.data.node as { repId?: string } | null)?.repId === owner;
  },
  "dealEvents subscription": async (token, dealId) => {
    const response = await api.app.fetch("http://revgraph.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `subscription($id: String!) { dealEvents(dealId: $id) { eventId } }`,
        variables: { id: dealId },
      }),
    });
    const reader = response.body?.getReader();
    const chunk = await reader?.read();
    await reader?.cancel();
    const text = new TextDecoder().decode(chunk?.value);
    return !text.includes("errors");
  },
};

const canSeeForeign: Record<Role, boolean> = { rep: false, manager: false, exec: true, auditor: true, admin: true };
const canSeeTeammate: Record<Role, boolean> = { rep: false, manager: true, exec: true, auditor: true, admin: true };
const roles = Object.keys(canSeeForeign) as Role[];

describe("authorization matrix: every role × every entry point", () => {
  for (const [entry, sees] of Object.entries(entryPoints)) {
    it.each(roles)(`${entry} — %s`, async (role) => {
      expect(await sees(api.tokens[role], api.myDeal.id, api.myTeam), "own deal").toBe(true);
      expect(await sees(api.tokens[role], api.foreignDeal.id, api.foreignTeam), "another team's deal").toBe(canSeeForeign[role]);
      if (api.teammateDeal && !entry.startsWith("KPI")) {
        expect(await sees(api.tokens[role], api.teammateDeal.id, api.myTeam), "a teammate's deal").toBe(canSeeTeammate[role]);
      }
    });
  }
});

describe("lists never include what the caller may not see", () => {
  it.each(["rep", "manager"] as Role[])("deal risks for a %s are all on deals they may see", async (role) => {
    const { body } = await api.gql(api.tokens[role], `{ dealRisks { dealId deal { dealId } } }`);
    const risks = body.data.dealRisks as { dealId: string }[];
    const everyone = (await api.gql(api.tokens.exec, `{ dealRisks { dealId } }`)).body.data.dealRisks as { dealId: string }[];
    expect(everyone.length).toBeGreaterThan(risks.length);
    expect(body.errors).toBeUndefined();
  });
});
