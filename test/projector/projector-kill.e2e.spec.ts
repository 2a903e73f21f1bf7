import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemoData } from "@revgraph/api/demo";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { openSqliteSink, Projector } from "@revgraph/projector";
import { describe, expect, it } from "vitest";
import { spawnProjector } from "../support/projector-process.ts";

describe("the projector process", () => {
  it("killed with SIGKILL three times mid-run and restarted, ends with exactly the rows of a clean rebuild", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-projector-kill-"));
    try {
      const store = openSqliteEventStore({ path: join(dir, "revgraph.db") });
      await seedDemoData(store, { deals: 300, seed: 5, now: new Date("2026-11-01T12:00:00Z") });
      const head = await store.headPosition();
      const target = join(dir, "read-models.db");
      const watcher = openSqliteSink(target);
      const args = [
        "--data",
        dir,
        "--target",
        `sqlite:${target}`,
        "run",
        "--batch-size",
        "25",
        "--port",
        "0",
        "--exit-when-caught-up",
      ];
      const killedAt: number[] = [];
      for (const fraction of [0.15, 0.45, 0.75]) {
        const run = spawnProjector(args);
        let checkpoint = 0;
        for (let waited = 0; checkpoint < head * fraction; waited += 5) {
          if (waited > 60_000) throw new Error(`the projector made no progress:\n${run.output()}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          checkpoint = await watcher.checkpoint(1);
        }
        run.child.kill("SIGKILL");
        await run.exited;
        killedAt.push(await watcher.checkpoint(1));
      }
      expect(killedAt.every((position) => position > 0 && position < head)).toBe(true);
      const final = spawnProjector(args);
      expect(await final.exited, final.output()).toBe(0);
      expect(await watcher.checkpoint(1)).toBe(head);
      const status = spawnProjector(["--data", dir, "--target", `sqlite:${target}`, "status"]);
      expect(await status.exited).toBe(0);
      expect(JSON.parse(status.output())).toEqual({
        head,
        active: 1,
        versions: [{ version: 1, checkpoint: head, lagEvents: 0 }],
      });

      const clean = openSqliteSink(join(dir, "clean.db"));
      await new Projector({ store, sink: clean, version: 1, batchSize: 5_000 }).catchUp();
      const [recovered, rebuilt] = [await watcher.dump(1), await clean.dump(1)];
      expect(recovered.length).toBe(300);
      expect(JSON.stringify(recovered)).toBe(JSON.stringify(rebuilt));
      await Promise.all([watcher.close(), clean.close(), store.close()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
