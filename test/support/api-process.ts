import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "./free-port.ts";
import { spawnNode } from "./node-process.ts";

/** The demo roles the API prints a token for. */
export type Role = "rep" | "manager" | "exec" | "auditor" | "admin";

/** A real API process started as the Quick start does (`revgraph-api.js --demo`), with what it printed. */
export interface ApiProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** The demo token it printed for a role. */
  token(role: Role): string;
  /** Runs a GraphQL operation with the demo token of `role`; GraphQL errors throw, naming the server. */
  query<T>(role: Role, query: string, variables?: Record<string, unknown>): Promise<T>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/** Starts the API (`services/api/bin/revgraph-api.js --demo`, as `scripts/start` does) on a free port over `dataDir` (or the store `env` names) and waits for the demo tokens. */
export async function startDemoApi(dataDir: string, deals: number, env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const main = join(import.meta.dirname, "../../services/api/bin/revgraph-api.js");
  const {
    child,
    output: printed,
    exited,
  } = spawnNode(main, ["--demo", "--deals", String(deals), "--data", dataDir, "--port", String(port)], env);
  for (let waited = 0; !/admin\s+\S+/.test(printed()); waited += 50) {
    if (waited > 90_000 || child.exitCode !== null) throw new Error(`the API process did not start:\n${printed()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = `http://127.0.0.1:${port}`;
  const token = (role: Role) => {
    const output = printed();
    const found = new RegExp(`${role}\\s+(\\S+)`).exec(output.slice(output.indexOf("demo tokens")))?.[1];
    if (!found) throw new Error(`no ${role} token in the output:\n${output}`);
    return found;
  };
  return {
    child,
    url,
    output: printed,
    token,
    async query<T>(role: Role, query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token(role)}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown };
      if (!body.data) throw new Error(`GraphQL error from ${url}: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
