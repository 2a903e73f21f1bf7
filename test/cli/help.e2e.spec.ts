import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const entryPoints = {
  api: join(root, "services/api/bin/revgraph-api.js"),
  cli: join(root, "services/cli/bin/revgraph"),
  projector: join(root, "services/projector/bin/revgraph-projector.js"),
} as const;

/** A module hook that prints every module the process resolves, so loading a heavy module is caught however fast the machine. */
const traceResolutions =
  'data:text/javascript,import{registerHooks}from"node:module";registerHooks({resolve(s,c,n){process.stderr.write("resolved "+s+"\\n");return n(s,c)}})';

function run(node: string, script: string, ...args: string[]) {
  const result = spawnSync(node, [script, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The machine's own Node when it is older than 24 (Debian's Node 20 here); the launchers must explain themselves to it. */
const systemNode = ["/usr/bin/node", "/bin/node"].find((path) => {
  if (!existsSync(path)) return false;
  const major = Number(spawnSync(path, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).stdout.trim());
  return major > 0 && major < 24;
});

describe("entry points", () => {
  it.each(Object.entries(entryPoints))("%s prints its help and exits 0 on Node 24", (_, script) => {
    const result = run(process.execPath, script, "--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("the API's help names every flag and environment variable", () => {
    const { stdout } = run(process.execPath, entryPoints.api, "--help");
    for (const name of ["--demo", "--port", "--host", "--data", "--deals", "--web", "PORT", "HOST", "REVGRAPH_DATA"])
      expect(stdout).toContain(name);
    for (const name of ["REVGRAPH_DEMO_DEALS", "REVGRAPH_STORE", "REVGRAPH_DATABASE_URL", "REVGRAPH_JWT_SECRET", "LOG_LEVEL"])
      expect(stdout).toContain(name);
  });

  it("the API answers --help and usage errors before loading the store, read model or GraphQL modules", () => {
    for (const args of [["--help"], ["--port", "eighty"]]) {
      const result = run(process.execPath, "--import", traceResolutions, entryPoints.api, ...args);
      const resolved = result.stderr.split("\n").filter((line) => line.startsWith("resolved "));
      expect(resolved).toContain("resolved ../src/main.ts");
      for (const heavy of ["@revgraph/read-model", "@revgraph/event-store/open", "graphql-yoga", "@duckdb/node-api", "./app.ts"])
        expect(resolved).not.toContain(`resolved ${heavy}`);
    }
  });

  it("the CLI loads DuckDB and the PostgreSQL and KurrentDB clients only for commands that use them", () => {
    const result = run(process.execPath, "--import", traceResolutions, entryPoints.cli, "--help");
    const resolved = result.stderr.split("\n").filter((line) => line.startsWith("resolved "));
    expect(resolved).toContain("resolved ../src/main.ts");
    for (const heavy of ["@revgraph/read-model", "@duckdb/node-api", "pg", "@kurrent/kurrentdb-client"])
      expect(resolved).not.toContain(`resolved ${heavy}`);
  });

  it("the API names an unknown option or a bad port in one message with exit code 2, without a stack trace", () => {
    const unknown = run(process.execPath, entryPoints.api, "--bogus");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const port = run(process.execPath, entryPoints.api, "--port", "eighty");
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port (or PORT) must be a port number 0–65535, got "eighty"');
  });

  // Runs only where an older system Node exists (it does on the project's machines; a Node-24-only image has none).
  it.skipIf(systemNode === undefined).each(Object.entries(entryPoints))(
    "%s on the system's older Node says in one line how to run it",
    (_, script) => {
      const result = run(systemNode as string, script, "--help");
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/needs Node 24 or newer \(this is Node 2\d\.[\d.]+\).*source scripts\/toolchain\.sh/);
    },
  );
});
