import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { canonicalJson } from "@revgraph/events";
import { RevenueReadModel, rebuildGraph } from "@revgraph/read-model";
import { afterEach, describe, expect, it } from "vitest";

const now = new Date("2026-11-15T00:00:00Z");
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("read model snapshots", () => {
  it("restarts from its snapshot, replays only newer events, and equals a rebuild from scratch", async () => {
    dir = mkdtempSync(join(tmpdir(), "revgraph-rm-"));
    const store = openSqliteEventStore({ path: join(dir, "events.db") });
    await seedDemoData(store, { deals: 120, seed: 9, now });
    const snapshotPath = join(dir, "graph.snapshot.json");
    const first = await RevenueReadModel.open({ store, config: defaultConfig, snapshotPath });
    const seeded = first.position;
    await first.close();
    await store.append("deal-extra", [
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
    const replayed: number[] = [];
    const second = await RevenueReadModel.open({
      store,
      config: defaultConfig,
      snapshotPath,
      follow: false,
      onProgress: ({ events }) => replayed.push(events),
    });
    expect(replayed.at(-1)).toBe(1);
    expect(second.position).toBe(seeded + 1);
    expect(canonicalJson(second.state)).toBe(canonicalJson(await rebuildGraph(store)));
    await store.close();
  });

  it("ignores a snapshot that belongs to another log", async () => {
    dir = mkdtempSync(join(tmpdir(), "revgraph-rm-"));
    const snapshotPath = join(dir, "graph.snapshot.json");
    const storeA = openSqliteEventStore({ path: join(dir, "a.db") });
    await seedDemoData(storeA, { deals: 30, seed: 1, now });
    await (await RevenueReadModel.open({ store: storeA, config: defaultConfig, snapshotPath, follow: false })).close();
    const storeB = openSqliteEventStore({ path: join(dir, "b.db") });
    await seedDemoData(storeB, { deals: 30, seed: 2, now });
    const model = await RevenueReadModel.open({ store: storeB, config: defaultConfig, snapshotPath, follow: false });
    expect(canonicalJson(model.state)).toBe(canonicalJson(await rebuildGraph(storeB)));
    await storeA.close();
    await storeB.close();
  });
});
