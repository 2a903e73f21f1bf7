import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("the Quick-start API process", () => {
  it("seeds demo data into the embedded store, serves GraphQL with the printed tokens, and keeps data across restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-start-"));
    const main = join(import.meta.dirname, "../../services/api/src/main.ts");
    const start = async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [main, "--demo", "--deals", "60", "--data", dir, "--port", String(port)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
      });
      for (let waited = 0; waited < 60_000 && !/admin\s+\S+/.test(output); waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50));
      return { child, output: () => output, url: `http://127.0.0.1:${port}` };
    };
    try {
      const first = await start();
      expect(first.output()).toMatch(/seeded demo history: 60 deals, \d+ events/);
      expect(first.output()).toContain(`GraphiQL:  ${first.url}/graphql`);
      const token = /exec\s+(\S+)/.exec(first.output())?.[1];
      const response = await fetch(`${first.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ deals(first: 1) { edges { node { dealId } } } viewer { role } }" }),
      });
      const body = (await response.json()) as { data: { viewer: { role: string } } };
      expect(body.data.viewer.role).toBe("exec");
      expect((await fetch(`${first.url}/ready`)).status).toBe(200);
      first.child.kill("SIGTERM");
      await new Promise((resolve) => first.child.on("exit", resolve));
      const second = await start();
      expect(second.output()).not.toContain("seeded demo history");
      second.child.kill("SIGTERM");
      await new Promise((resolve) => second.child.on("exit", resolve));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
