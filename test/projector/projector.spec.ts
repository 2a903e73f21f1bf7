import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemoData } from "@revgraph/api/demo";
import type { EventStore } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { openPostgresSink, openSqliteSink, Projector, type ReadModelSink, switchVersion } from "@revgraph/projector";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "../support/postgres-database.ts";

const now = new Date("2026-11-01T12:00:00Z");

interface SinkHarness {
  open(): Promise<ReadModelSink>;
  dispose(): Promise<void>;
}

const sinks: Record<string, (dir: string) => Promise<SinkHarness>> = {
  sqlite: async (dir) => ({ open: async () => openSqliteSink(join(dir, "read-models.db")), dispose: async () => {} }),
  postgres: async () => {
    const database = await createTestDatabase(inject("postgresUrl"), "projector");
    return { open: () => openPostgresSink(database.url), dispose: database.drop };
  },
};

for (const [name, makeSink] of Object.entries(sinks)) {
  describe(`projector into ${name}`, () => {
    let dir: string;
    let store: EventStore;
    let harness: SinkHarness;
    let sink: ReadModelSink;

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), "revgraph-projector-"));
      store = openSqliteEventStore({ path: join(dir, "revgraph.db") });
      await seedDemoData(store, { deals: 120, seed: 11, now });
      harness = await makeSink(dir);
      sink = await harness.open();
    });

    afterEach(async () => {
      await sink.close();
      await store.close();
      await harness.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it("builds rows in batches, checkpoint with each, and a restarted projector resumes to the same rows as one run", async () => {
      const head = await store.headPosition();
      const interrupted = new Projector({ store, sink, version: 1, batchSize: 97 });
      for (let batch = 0; batch < 5; batch++) await interrupted.step();
      expect(await sink.checkpoint(1)).toBe(5 * 97);
      const resumed = new Projector({ store, sink, version: 1, batchSize: 500 });
      await resumed.start();
      expect(resumed.position).toBe(5 * 97);
      await resumed.catchUp();
      expect(await sink.checkpoint(1)).toBe(head);

      const fresh = new Projector({ store, sink, version: 2, batchSize: 10_000 });
      await fresh.catchUp();
      const [incremental, rebuilt] = [await sink.dump(1), await sink.dump(2)];
      expect(incremental.length).toBe(120);
      expect(JSON.stringify(incremental)).toBe(JSON.stringify(rebuilt));
      expect((await resumed.lag()).events).toBe(0);
    });

    it("keeps the serving version until a caught-up new version is switched in (blue/green)", async () => {
      const blue = new Projector({ store, sink, version: 1 });
      await blue.catchUp();
      await sink.activate(1);
      const green = new Projector({ store, sink, version: 2, batchSize: 100 });
      await green.step();
      await expect(switchVersion(store, sink, 2)).rejects.toThrow(
        /version 2 is at position 100, the log at \d+: let it catch up first/,
      );
      expect(await sink.activeVersion()).toBe(1);
      await green.catchUp();
      await switchVersion(store, sink, 2);
      expect(await sink.activeVersion()).toBe(2);
      const head = await store.headPosition();
      expect(await sink.versions()).toEqual([
        { version: 1, checkpoint: head },
        { version: 2, checkpoint: head },
      ]);
      expect(JSON.stringify(await sink.dump(1))).toBe(JSON.stringify(await sink.dump(2)));
    });

    it("reports lag in events and in seconds since the oldest unapplied event was recorded", async () => {
      const projector = new Projector({ store, sink, version: 1, batchSize: 50, clock: () => new Date(Date.now() + 60_000) });
      await projector.step();
      const lag = await projector.lag();
      expect(lag.events).toBe((await store.headPosition()) - 50);
      expect(lag.seconds).toBeGreaterThanOrEqual(59);
      await projector.catchUp();
      expect(await projector.lag()).toMatchObject({ events: 0, seconds: 0 });
    });
  });
}

describe("projector following the log", () => {
  it("retries a failed batch from its checkpoint and goes on once the sink works again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-projector-retry-"));
    const store = openSqliteEventStore({ path: join(dir, "revgraph.db") });
    await seedDemoData(store, { deals: 20, seed: 4, now });
    const sink = openSqliteSink(join(dir, "read-models.db"));
    let failing = 2;
    const flaky: ReadModelSink = {
      ...sink,
      commit: async (version, rows, position) => {
        if (failing-- > 0) throw new Error("connection reset");
        await sink.commit(version, rows, position);
      },
    };
    const errors: number[] = [];
    const projector = new Projector({
      store,
      sink: flaky,
      version: 1,
      idleWaitMs: 10,
      onError: (_error, failures) => errors.push(failures),
    });
    const stop = new AbortController();
    const following = projector.follow(stop.signal);
    const head = await store.headPosition();
    for (let waited = 0; projector.position < head && waited < 10_000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    await following;
    expect(errors).toEqual([1, 2]);
    expect(await sink.checkpoint(1)).toBe(head);
    expect((await sink.dump(1)).length).toBe(20);
    await sink.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
