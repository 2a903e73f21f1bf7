import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describeEventStoreConformance } from "@revgraph/event-store/conformance";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";

describeEventStoreConformance("sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "revgraph-sqlite-"));
  const path = join(dir, "events.db");
  return {
    async open() {
      return openSqliteEventStore({ path, durability: "normal" });
    },
    async connect() {
      return openSqliteEventStore({ path, durability: "normal" });
    },
    async reopen() {
      return openSqliteEventStore({ path });
    },
    async tamper(position) {
      const db = new DatabaseSync(path);
      db.prepare("UPDATE events SET envelope = json_set(envelope, '$.data.amount', 424242) WHERE position = ?").run(position);
      db.close();
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
