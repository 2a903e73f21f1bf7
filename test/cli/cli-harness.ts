import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import iconv from "iconv-lite";
import { afterAll } from "vitest";

const cli = join(import.meta.dirname, "../../services/cli/bin/revgraph");
export const CLI_NOW = "2026-11-15T00:00:00Z";

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temp working directory with its own data folder, removed after the spec file. */
export function workspace(): { dir: string; file: (name: string, content: string, encoding?: "utf8" | "latin1") => string } {
  const dir = mkdtempSync(join(tmpdir(), "revgraph-cli-"));
  created.push(dir);
  return {
    dir,
    file: (name, content, encoding = "utf8") => {
      const path = join(dir, name);
      writeFileSync(path, encoding === "latin1" ? iconv.encode(content, "latin1") : content);
      return path;
    },
  };
}

/** Runs the real CLI as a child process. */
export function revgraph(dir: string, ...args: string[]) {
  return revgraphWithEnv({}, dir, ...args);
}

/** Runs the real CLI as a child process with these environment variables added. */
export function revgraphWithEnv(env: Record<string, string>, dir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [cli, "--data", join(dir, "data"), "--now", CLI_NOW, ...args], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, json: () => JSON.parse(result.stdout) };
}

/** Starts the real CLI without waiting (for kill tests). */
export function startRevgraph(dir: string, ...args: string[]): ChildProcess {
  return spawn(process.execPath, [cli, "--data", join(dir, "data"), "--now", CLI_NOW, ...args], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Deal `x` of account `a` owned by rep `r`, created in discovery on 2026-01-02: the NDJSON import specs' sample deal. */
export const sampleDealCreated = {
  type: "DealCreated",
  occurredAt: "2026-01-02T00:00:00Z",
  data: {
    dealId: "x",
    accountId: "a",
    ownerRepId: "r",
    name: "X",
    amount: 5,
    stage: "discovery",
    expectedCloseDate: "2026-03-01",
  },
};

/**
 * A mapping for the German CRM export the import specs use (Latin-1, `;`, DD.MM.YYYY, `4.821,50`, Berlin time), with
 * the given column and stage lines (YAML flow maps) and any further lines.
 */
export function germanCrmMapping(columns: string, stages: string, ...more: string[]): string {
  return [
    "encoding: latin1",
    'delimiter: ";"',
    "dateFormat: DD.MM.YYYY",
    'decimalSeparator: ","',
    'thousandsSeparator: "."',
    "timeZone: Europe/Berlin",
    `columns: ${columns}`,
    `stages: ${stages}`,
    ...more,
    "",
  ].join("\n");
}
