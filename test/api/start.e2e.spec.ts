import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDemoApi } from "../support/api-process.ts";

describe("the Quick-start API process", () => {
  it("seeds demo data into the embedded store, serves GraphQL with the printed tokens, and keeps data across restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-start-"));
    try {
      const first = await startDemoApi(dir, 60);
      expect(first.output()).toMatch(/seeded demo history: 60 deals, \d+ events/);
      expect(first.output()).toContain(`GraphiQL:  ${first.url}/graphql`);
      expect(first.output()).toContain(`dashboard: ${first.url}/`);
      const response = await fetch(`${first.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${first.token("exec")}` },
        body: JSON.stringify({ query: "{ deals(first: 1) { edges { node { dealId } } } viewer { role } }" }),
      });
      const body = (await response.json()) as { data: { viewer: { role: string } } };
      expect(body.data.viewer.role).toBe("exec");
      expect((await fetch(`${first.url}/ready`)).status).toBe(200);
      const tokens = (await (await fetch(`${first.url}/demo/tokens`)).json()) as Record<string, string>;
      expect(tokens.exec).toBe(first.token("exec"));
      await first.stop();
      const second = await startDemoApi(dir, 60);
      expect(second.output()).not.toContain("seeded demo history");
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
