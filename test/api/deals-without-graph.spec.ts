import { encodeGlobalID } from "@pothos/plugin-relay";
import { createApp, signToken } from "@revgraph/api";
import { defaultConfig, type GraphState } from "@revgraph/domain";
import type { RevenueReadModel } from "@revgraph/read-model";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness, NOW, SECRET } from "./harness.ts";

/**
 * The API's deal reads never touch the graph's deals: the read model is wrapped so that reading `state.deals`,
 * `state.interactions` or `currentDeals()` throws, as in the read model's org mode (only the org part of the graph in
 * memory). Deal risks, restatements and KPIs are left out (they still run the engine over the graph).
 */
function withoutGraphDeals(model: RevenueReadModel): RevenueReadModel {
  const refused = (what: string) => new Error(`the API read ${what} of the graph`);
  const guarded = (state: GraphState) =>
    new Proxy(state, {
      get(target, property, receiver) {
        if (property === "deals" || property === "interactions") throw refused(`state.${property}`);
        return Reflect.get(target, property, receiver);
      },
    });
  return new Proxy(model, {
    get(target, property) {
      if (property === "state") return guarded(target.state);
      if (property === "currentDeals" || property === "replayedState") throw refused(String(property));
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
let gql: (token: string, query: string, variables?: Record<string, unknown>) => Promise<Record<string, unknown>>;

beforeAll(async () => {
  api = await apiHarness(120);
  const app = createApp({
    store: api.store,
    readModel: withoutGraphDeals(api.readModel),
    config: defaultConfig,
    jwtSecret: SECRET,
    clock: () => NOW,
    responseCache: false,
  });
  gql = async (token, query, variables = {}) => {
    const response = await app.fetch("http://revgraph.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data ?? {};
  };
});

const dealFields = `dealId name amount stage status owner { repId } account { accountId }
  contacts { contactId } stageHistory { stage } gates interactions(first: 5) { edges { node { interactionId contactIds } } }`;

describe("deals served without the graph's deals", () => {
  it("lists, pages and reads deals as things stand, in a slice, through nodes, reps and accounts", async () => {
    for (const token of [api.tokens.exec, api.tokens.manager, api.tokens.rep]) {
      const data = await gql(
        token,
        `query($node: ID!, $deal: String!) {
          page: deals(first: 10, filter: { status: [open, won] }, orderBy: { field: AMOUNT, direction: DESC }) {
            edges { cursor node { ${dealFields} } } pageInfo { hasNextPage endCursor } }
          past: deals(first: 5, asOf: "2026-09-01T00:00:00Z", knownAt: "2026-10-01T00:00:00Z", orderBy: { field: NAME }) {
            edges { node { dealId name } } }
          deal(dealId: $deal) { ${dealFields} }
          before: deal(dealId: $deal, knownAt: "2026-10-01T00:00:00Z") { dealId stage }
          node(id: $node) { ... on Deal { dealId } }
          reps { repId deals(first: 3) { edges { node { dealId } } } }
          accounts(first: 5) { edges { node { accountId engagedContactCount deals(first: 3) { edges { node { dealId } } } } } }
        }`,
        { node: encodeGlobalID("Deal", api.myDeal.id), deal: api.myDeal.id },
      );
      expect((data.page as { edges: unknown[] }).edges.length).toBeGreaterThan(0);
      expect((data.deal as { dealId: string }).dealId).toBe(api.myDeal.id);
      expect((data.node as { dealId: string }).dealId).toBe(api.myDeal.id);
    }
  });

  it("decides who may see a deal's events and change it by the deal's owner", async () => {
    const events = await gql(
      api.tokens.rep,
      `query($mine: String!, $foreign: String!) {
        mine: events(first: 5, streamPrefix: $mine) { edges { node { streamId } } }
        foreign: events(first: 5, streamPrefix: $foreign) { edges { node { streamId } } }
      }`,
      { mine: `deal-${api.myDeal.id}`, foreign: `deal-${api.foreignDeal.id}` },
    );
    const streams = (listed: unknown) =>
      (listed as { edges: { node: { streamId: string } }[] }).edges.map((edge) => edge.node.streamId);
    expect(streams(events.mine)).toContain(`deal-${api.myDeal.id}`);
    expect(streams(events.foreign)).not.toContain(`deal-${api.foreignDeal.id}`);
    // A deal opened by the rep is theirs for the next command; handed to another rep, it is that rep's.
    const opened = await gql(
      api.tokens.rep,
      `mutation { openDeal(input: { dealId: "org-1", accountId: "acct-1", ownerRepId: "rep-1", name: "Org", amount: 40000,
        expectedCloseDate: "2026-12-31" }) { __typename } }`,
    );
    expect(opened).toEqual({ openDeal: { __typename: "MutationOpenDealSuccess" } });
    const change = `mutation {
      setDealProbability(input: { dealId: "org-1", probability: 0.42 }) {
        __typename ... on MutationSetDealProbabilitySuccess { data { deal { dealId probability } } } } }`;
    const changed = {
      setDealProbability: {
        __typename: "MutationSetDealProbabilitySuccess",
        data: { deal: { dealId: "org-1", probability: 0.42 } },
      },
    };
    const refused = { setDealProbability: { __typename: "CommandRejectedError" } };
    const other = await signToken({ sub: "other", role: "rep", repId: api.foreignDeal.ownerRepId }, SECRET);
    expect(await gql(api.tokens.rep, change)).toEqual(changed);
    expect(await gql(other, change)).toEqual(refused);
    const reassign = `mutation($rep: String!) { changeDealOwner(input: { dealId: "org-1", ownerRepId: $rep }) { __typename } }`;
    expect(await gql(api.tokens.exec, reassign, { rep: api.foreignDeal.ownerRepId })).toEqual({
      changeDealOwner: { __typename: "MutationChangeDealOwnerSuccess" },
    });
    expect(await gql(other, change)).toEqual(changed);
    expect(await gql(api.tokens.rep, change)).toEqual(refused);
  });
});
