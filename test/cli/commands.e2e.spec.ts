import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { describe, expect, it } from "vitest";
import { revgraph, startRevgraph, workspace } from "./cli-harness.ts";

/**
 * The imported events in log order. The store's own checkpoint events (stream `revgraph-checkpoints`) are left out:
 * they fall where an append crosses a multiple of the checkpoint cadence, so a resumed import places them elsewhere
 * and every position after them moves; the imported events, their streams, revisions and order must not.
 */
function storedRows(dir: string): string[] {
  const db = new DatabaseSync(join(dir, "data", "revgraph.db"));
  const rows = db
    .prepare(
      "SELECT event_id, stream_id, stream_revision FROM events WHERE stream_id <> 'revgraph-checkpoints' ORDER BY position",
    )
    .all();
  db.close();
  return rows.map((row) => `${row.event_id}|${row.stream_id}|${row.stream_revision}`);
}

function historyCsv(deals: number): string {
  const stages = [
    "Prospecting",
    "Qualification",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
  ];
  const lines = ["OpportunityId,AccountId,OwnerId,CreatedDate,StageName,Amount,CloseDate,Probability"];
  for (let deal = 0; deal < deals; deal++) {
    const start = Date.UTC(2025, 0, 1) + deal * 3_600_000;
    stages.forEach((stage, step) => {
      const at = new Date(start + step * 5 * 86_400_000).toISOString();
      lines.push(
        `OPP${deal},ACC${deal % 50},REP${deal % 7},${at},${stage},${1000 + deal + step * 10},2025-06-30,${Math.min(100, step * 20)}`,
      );
    });
  }
  return `${lines.join("\n")}\n`;
}

describe("revgraph commands (real CLI processes)", () => {
  it("a SIGKILLed import, run again, ends exactly where an uninterrupted import ends", async () => {
    const csvText = historyCsv(4000);
    const clean = workspace();
    const cleanRun = revgraph(clean.dir, "--json", "import", clean.file("h.csv", csvText), "--format", "salesforce-history");
    expect(cleanRun.code, cleanRun.stderr).toBe(0);
    const expected = storedRows(clean.dir);

    const killed = workspace();
    const csv = killed.file("h.csv", csvText);
    const child = startRevgraph(killed.dir, "--json", "import", csv, "--format", "salesforce-history");
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const db = join(killed.dir, "data", "revgraph.db");
    for (let waited = 0; waited < 60_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      try {
        const store = new DatabaseSync(db, { readOnly: true });
        const count = (store.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n;
        store.close();
        if (count > 0) break;
      } catch {
        // the database does not exist yet
      }
    }
    child.kill("SIGKILL");
    await exited;
    const partial = storedRows(killed.dir).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(expected.length);
    const resumed = revgraph(killed.dir, "--json", "import", csv, "--format", "salesforce-history");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json()).toMatchObject({ eventsAlreadyPresent: partial, eventsWritten: expected.length - partial });
    expect(storedRows(killed.dir)).toEqual(expected);
  }, 180_000);

  it("seed, rebuild, verify, then verify names a tampered event and exits 4", () => {
    const { dir } = workspace();
    expect(revgraph(dir, "seed", "--deals", "150", "--seed", "2").code).toBe(0);
    const rebuilt = revgraph(dir, "--json", "rebuild");
    expect(rebuilt.json()).toMatchObject({ deals: 150 });
    expect(rebuilt.json().eventsPerSecond).toBeGreaterThan(0);
    const ok = revgraph(dir, "--json", "verify");
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ ok: true, findings: [] });
    const db = new DatabaseSync(join(dir, "data", "revgraph.db"));
    db.prepare("UPDATE events SET envelope = json_set(envelope, '$.actor', 'mallory') WHERE position = 42").run();
    const tamperedId = (db.prepare("SELECT event_id FROM events WHERE position = 42").get() as { event_id: string }).event_id;
    db.close();
    const bad = revgraph(dir, "verify");
    expect(bad.code).toBe(4);
    expect(bad.stdout).toContain(`position 42, event ${tamperedId}`);
    expect(bad.stdout).toMatch(/content hash mismatch/);
  }, 120_000);

  it("kpi, explain (text, PROV, OpenLineage), replay and export agree with each other", async () => {
    const { dir } = workspace();
    revgraph(dir, "seed", "--deals", "200", "--seed", "4");
    const kpi = revgraph(dir, "--json", "kpi", "win_rate", "--period", "2026-Q3", "--group-by", "team").json() as {
      group: string;
      value: number;
      events: number;
    }[];
    expect(kpi.length).toBe(2);
    const explained = revgraph(dir, "explain", "win_rate", "--period", "2026-Q3", "--filter", "team=team-1", "--page-size", "5");
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.stdout).toContain("formula: won_count / closed_count");
    expect(explained.stdout).toContain(`value:   ${kpi.find((row) => row.group === "team=team-1")?.value}`);
    expect(explained.stdout).toMatch(/contributing events: \d+ \(page 1 of \d+\)/);
    const prov = JSON.parse(revgraph(dir, "explain", "win_rate", "--period", "2026-Q3", "--format", "prov").stdout);
    expect(Object.keys(prov.entity).filter((key: string) => key.startsWith("revgraph:event/")).length).toBeGreaterThan(0);
    const lineage = JSON.parse(revgraph(dir, "explain", "win_rate", "--period", "2026-Q3", "--format", "openlineage").stdout);
    expect(lineage).toMatchObject({ eventType: "COMPLETE", job: { namespace: "revgraph", name: "kpi.win_rate.v1" } });
    const badFilter = revgraph(dir, "explain", "win_rate", "--period", "2026-Q3", "--filter", "colour=red");
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toContain('--filter "colour=red"');

    const events = revgraph(dir, "export", "events", "--format", "ndjson").stdout.trim().split("\n");
    const store = openSqliteEventStore({ path: join(dir, "data", "revgraph.db") });
    expect(events.length).toBe(await store.headPosition());
    await store.close();
    expect(JSON.parse(events[0] as string)).toMatchObject({ globalPosition: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const csv = revgraph(dir, "export", "deals", "--format", "csv").stdout.split("\n");
    expect(csv[0]).toMatch(/^dealId,name,accountId,ownerRepId,stage,status/);
    expect(csv.filter(Boolean).length).toBe(201);
    const kpis = revgraph(dir, "export", "kpis", "--format", "json", "--period", "2026-Q3").stdout;
    expect(JSON.parse(kpis).length).toBeGreaterThan(20);
    const replayed = revgraph(dir, "--json", "replay", "--until", String(Math.floor(events.length / 2))).json();
    expect(replayed.position).toBe(Math.floor(events.length / 2));
    expect(replayed.deals).toBeLessThan(200);
    // Ten real CLI processes, four of them also building their DuckDB fact tables: more than the default 30 s on a busy machine.
  }, 90_000);
});

describe("revgraph copy", () => {
  it("copies the log into another store with the same ids, streams, revisions and positions; a second run copies nothing", () => {
    const { dir } = workspace();
    expect(revgraph(dir, "seed", "--deals", "60", "--seed", "8").code).toBe(0);
    const target = join(dir, "copy");
    const first = revgraph(dir, "--json", "copy", "--to-store", "sqlite", "--to-data", target);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ resumedFrom: 0, head: storedRows(dir).length });
    const copied = new DatabaseSync(join(target, "revgraph.db"));
    const rows = copied.prepare("SELECT position, event_id, stream_id, stream_revision FROM events ORDER BY position").all();
    copied.close();
    expect(rows.map((row) => `${row.event_id}|${row.stream_id}|${row.stream_revision}`)).toEqual(storedRows(dir));
    // Sixty deals stay below the checkpoint cadence, so the source's positions are 1…n as well.
    expect(rows.map((row) => row.position)).toEqual(rows.map((_, index) => index + 1));
    expect(revgraph(dir, "--data", target, "verify").stdout).toMatch(/log ok/);
    const again = revgraph(dir, "--json", "copy", "--to-store", "sqlite", "--to-data", target);
    expect(again.json()).toMatchObject({ copied: 0, resumedFrom: storedRows(dir).length });
  });

  it("copies a log past a checkpoint digest: the target writes its own checkpoints, verifies, and resumes after its last event", () => {
    const { dir } = workspace();
    expect(revgraph(dir, "seed", "--deals", "600", "--seed", "4").code).toBe(0);
    const types = (data: string) => {
      const db = new DatabaseSync(join(data, "revgraph.db"));
      const rows = db.prepare("SELECT type, event_id FROM events ORDER BY position").all();
      db.close();
      return rows.map((row) => `${row.type}|${row.type === "LogCheckpointed" ? "" : row.event_id}`);
    };
    const source = types(join(dir, "data"));
    expect(source.filter((row) => row.startsWith("LogCheckpointed"))).toHaveLength(1);
    const target = join(dir, "copy");
    const copied = revgraph(dir, "--json", "copy", "--to-store", "sqlite", "--to-data", target);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.json().copied).toBe(source.length - 1);
    expect(types(target).filter((row) => !row.startsWith("LogCheckpointed"))).toEqual(
      source.filter((row) => !row.startsWith("LogCheckpointed")),
    );
    expect(types(target).filter((row) => row.startsWith("LogCheckpointed"))).toHaveLength(1);
    const verified = revgraph(dir, "--data", target, "verify");
    expect(verified.code, verified.stdout).toBe(0);
    expect(revgraph(dir, "--json", "copy", "--to-store", "sqlite", "--to-data", target).json()).toMatchObject({ copied: 0 });
  }, 180_000);

  it("refuses a target that holds other events", () => {
    const { dir } = workspace();
    revgraph(dir, "seed", "--deals", "5", "--seed", "1");
    const other = workspace().dir;
    revgraph(other, "seed", "--deals", "5", "--seed", "2");
    const result = revgraph(dir, "copy", "--to-store", "sqlite", "--to-data", join(other, "data"));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a prefix of this log: copy into an empty store/);
  });
});
