import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { revgraph, revgraphWithEnv, workspace } from "./cli-harness.ts";

/** One line on stderr, no stack trace. */
function oneLine(stderr: string): string {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  return stderr.trimEnd();
}

describe("storage faults and missing stores (real CLI processes)", () => {
  it("read-only commands refuse a data directory without a store, exit 2, and create nothing", () => {
    const { dir } = workspace();
    const missing = join(dir, "data", "revgraph.db");
    for (const command of [
      ["verify"],
      ["digest"],
      ["kpi", "win_rate", "--period", "2026-Q1"],
      ["explain", "win_rate", "--period", "2026-Q1"],
      ["export", "events"],
      ["replay", "--until", "10"],
    ]) {
      const result = revgraph(dir, ...command);
      expect(result.code, command.join(" ")).toBe(2);
      expect(oneLine(result.stderr)).toBe(`revgraph: no revgraph store at ${missing}`);
    }
    expect(existsSync(join(dir, "data"))).toBe(false);
  }, 120_000);

  it("a full disk (the store capped with max_page_count) ends the write in one line naming the path, exit 1; the store stays whole and usable", () => {
    const { dir } = workspace();
    const path = join(dir, "data", "revgraph.db");
    const full = { REVGRAPH_SQLITE_MAX_PAGES: "120" };
    const seed = revgraphWithEnv(full, dir, "seed", "--deals", "300");
    expect(seed.code, seed.stderr).toBe(1);
    expect(oneLine(seed.stderr)).toMatch(
      new RegExp(
        `^revgraph: storage fault at ${path}: disk full \\(database or disk is full\\); nothing of the failed write was stored$`,
      ),
    );
    // With the disk still full, reading commands answer and close cleanly.
    const verify = revgraphWithEnv(full, dir, "--json", "verify");
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stderr).toBe("");
    expect(verify.json()).toMatchObject({ ok: true, findings: [] });
    const digest = revgraphWithEnv(full, dir, "--json", "digest");
    expect(digest.code).toBe(0);
    expect(digest.json().position).toBe(verify.json().eventsChecked);
    // Space freed: the same command run again completes, and the log stays sound.
    const again = revgraph(dir, "--json", "seed", "--deals", "300");
    expect(again.code, again.stderr).toBe(0);
    const after = revgraph(dir, "--json", "verify");
    expect(after.json()).toMatchObject({ ok: true, eventsChecked: again.json().events });
  }, 120_000);
});
