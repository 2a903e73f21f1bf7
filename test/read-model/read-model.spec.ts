import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { canonicalJson } from "@revgraph/events";
import { computeKpis, type KpiResult, kpiDefinitions } from "@revgraph/kpis";
import { isCompiled, RevenueReadModel, rebuildGraph } from "@revgraph/read-model";
import { afterEach, describe, expect, it } from "vitest";

const now = new Date("2026-11-15T00:00:00Z");
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("read model", () => {
  it("catches up from the log, follows new events live, equals a rebuild and writes no snapshot file", async () => {
    dir = mkdtempSync(join(tmpdir(), "revgraph-rm-"));
    const store = openSqliteEventStore({ path: join(dir, "events.db") });
    await seedDemoData(store, { deals: 120, seed: 9, now });
    const model = await RevenueReadModel.open({ store, config: defaultConfig });
    const seeded = model.position;
    expect(seeded).toBe(await store.headPosition());
    const appended = await store.append("deal-extra", [
      {
        type: "DealCreated",
        occurredAt: now.toISOString(),
        data: {
          dealId: "extra",
          accountId: "acct-1",
          ownerRepId: "rep-1",
          name: "X",
          amount: 1,
          stage: "discovery",
          expectedCloseDate: "2026-12-31",
        },
      },
    ]);
    await model.waitFor(appended.positions[0] as number);
    expect(model.position).toBe(seeded + 1);
    expect(model.currentDeals().get("extra")?.amount).toBe(1);
    expect(canonicalJson(model.state)).toBe(canonicalJson(await rebuildGraph(store)));
    await model.close();
    expect(readdirSync(dir).filter((name) => name.endsWith(".json"))).toEqual([]);
    await store.close();
  });

  it("with graphWhenNeeded and its fact file at the head, opens without replaying the log until a question needs the graph", async () => {
    dir = mkdtempSync(join(tmpdir(), "revgraph-rm-"));
    const store = openSqliteEventStore({ path: join(dir, "events.db") });
    await seedDemoData(store, { deals: 60, seed: 4, now });
    const factsPath = join(dir, "read-model.duckdb");
    await (await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath })).close();
    const reference = await rebuildGraph(store);
    const compiled = [...new Set(kpiDefinitions.filter((d) => d.status === "active" && isCompiled(d)).map((d) => d.id))];
    const sqlQuery = { kpis: compiled, period: "2026-Q3", groupBy: "team" as const };
    // Values to 12 significant digits: SQL adds in another order than the engine.
    const values = (results: readonly KpiResult[]) =>
      results.map((result) => [
        result.definition.id,
        result.group?.key,
        result.value === null ? null : Number(result.value.toPrecision(12)),
      ]);

    const model = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graphWhenNeeded: true });
    expect(() => model.state).toThrow(/not been replayed/);
    expect(model.position).toBe(reference.position);
    expect(values(await model.computeKpis(sqlQuery, now))).toEqual(values(computeKpis(reference, defaultConfig, sqlQuery, now)));
    expect(() => model.currentDeals()).toThrow(/not been replayed/);
    const replayed = await model.replayedState();
    expect(values(computeKpis(replayed, defaultConfig, sqlQuery, now))).toEqual(values(await model.computeKpis(sqlQuery, now)));
    expect(canonicalJson(model.state)).toBe(canonicalJson(reference));
    await model.close();

    await store.append("deal-late", [
      {
        type: "DealCreated",
        occurredAt: now.toISOString(),
        data: {
          dealId: "late",
          accountId: "acct-1",
          ownerRepId: "rep-1",
          name: "Y",
          amount: 2,
          stage: "discovery",
          expectedCloseDate: "2026-12-31",
        },
      },
    ]);
    const behind = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graphWhenNeeded: true });
    expect(behind.currentDeals().get("late")?.amount).toBe(2);
    await behind.close();
    await store.close();
  });
});
