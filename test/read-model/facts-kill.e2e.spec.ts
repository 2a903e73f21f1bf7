import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { RevenueReadModel } from "@revgraph/read-model";
import { describe, expect, it } from "vitest";
import { spawnNode } from "../support/node-process.ts";
import { factContents } from "./fact-contents.ts";

const script = join(import.meta.dirname, "facts-catch-up.ts");

describe("the read model's fact tables in a real process", () => {
  it("killed with SIGKILL mid catch-up and started again, end with exactly the rows of an uninterrupted build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-facts-kill-"));
    try {
      const storePath = join(dir, "revgraph.db");
      const store = openSqliteEventStore({ path: storePath });
      await seedDemoData(store, { deals: 120, seed: 11, now: new Date("2026-11-01T12:00:00Z") });
      const head = await store.headPosition();
      const clean = join(dir, "clean.duckdb");
      await (await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath: clean })).close();
      await store.close();

      const killed = join(dir, "killed.duckdb");
      let kills = 0;
      for (const fraction of [0.2, 0.5, 0.8]) {
        const run = spawnNode(script, [storePath, killed]);
        for (let waited = 0; ; waited += 5) {
          if (waited > 120_000) throw new Error(`no progress:\n${run.output()}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          const written = [...run.output().matchAll(/facts (\d+)/g)].map((match) => Number(match[1]));
          if ((written.at(-1) ?? 0) >= head * fraction || run.output().includes("done")) break;
        }
        if (!run.output().includes("done")) {
          run.child.kill("SIGKILL");
          kills++;
        }
        await run.exited;
      }
      expect(kills).toBeGreaterThan(0);
      const resumed = spawnNode(script, [storePath, killed]);
      expect(await resumed.exited, resumed.output()).toBe(0);
      // An event applied twice would show as a duplicate fact row or a version ended twice.
      expect(await factContents(killed)).toEqual(await factContents(clean));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
