import { type Context, createLoaders, KpiService, schema, Viewer } from "@revgraph/api";
import { CommandPipeline } from "@revgraph/app";
import { defaultConfig } from "@revgraph/domain";
import { graphql } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness, NOW } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness(400);
});

describe("no N+1", () => {
  it("100 deals with their owners and accounts cost one batched lookup per entity kind", async () => {
    const lookups = { batches: 0 };
    const context: Context = {
      viewer: new Viewer({ sub: "eve", role: "exec" }, api.readModel),
      store: api.store,
      commands: new CommandPipeline({ store: api.store, config: defaultConfig, references: () => true }),
      correlationId: undefined,
      readModel: api.readModel,
      config: defaultConfig,
      kpis: new KpiService(api.readModel),
      now: NOW,
      loaders: createLoaders(api.readModel, lookups),
      lookups,
    };
    const result = await graphql({
      schema,
      contextValue: context,
      source: `{ deals(first: 100) { edges { node { dealId owner { name team { name } } account { name } } } } }`,
    });
    expect(result.errors).toBeUndefined();
    const edges = (
      (result.data as Record<string, unknown>).deals as {
        edges: { node: { owner: { name: string } | null; account: { name: string } | null } }[];
      }
    ).edges;
    expect(edges).toHaveLength(100);
    expect(edges.every((edge) => edge.node.owner !== null && edge.node.account !== null)).toBe(true);
    // reps, accounts, teams: three batches, however many deals.
    expect(lookups.batches).toBe(3);
  });
});
