import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemoData } from "@revgraph/api/demo";
import { openPostgresEventStore } from "@revgraph/event-store/postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiProcess, startDemoApi } from "../support/api-process.ts";
import { freePort } from "../support/free-port.ts";
import { createTestDatabase } from "../support/postgres-database.ts";
import { spawnProjector } from "../support/projector-process.ts";

/**
 * The PostgreSQL path end to end, as the infra/ compose file runs it but on loopback: one PostgreSQL event store,
 * two API processes (each with its own read model, woken by LISTEN/NOTIFY) and one projector process writing the
 * shared deal_summary read model.
 */
let database: { url: string; drop: () => Promise<void> };
let dir: string;
let apiA: ApiProcess;
let apiB: ApiProcess;
let projector: ReturnType<typeof spawnProjector>;
let projectorUrl: string;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  database = await createTestDatabase(inject("postgresUrl"), "scaleout");
  const store = await openPostgresEventStore({ connectionString: database.url });
  await seedDemoData(store, { deals: 150, seed: 9, now: new Date() });
  await store.close();
  dir = mkdtempSync(join(tmpdir(), "revgraph-scale-out-"));
  const env = { REVGRAPH_STORE: "postgres", REVGRAPH_DATABASE_URL: database.url };
  [apiA, apiB] = await Promise.all([startDemoApi(join(dir, "a"), 0, env), startDemoApi(join(dir, "b"), 0, env)]);
  const port = await freePort();
  projectorUrl = `http://127.0.0.1:${port}`;
  projector = spawnProjector(["--store", "postgres", "--database-url", database.url, "run", "--port", String(port)]);
  await until("the projector to be ready", async () => ((await fetch(`${projectorUrl}/ready`)).ok ? true : undefined), 60_000);
}, 120_000);

afterAll(async () => {
  projector?.child.kill("SIGTERM");
  await projector?.exited;
  await Promise.all([apiA?.stop(), apiB?.stop()]);
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("two API processes and a projector over one PostgreSQL", () => {
  it("a change written through one API reaches the other API's subscription, its reads, and the shared read model", async () => {
    const { deals } = await apiA.query<{ deals: { edges: { node: { dealId: string } }[] } }>(
      "exec",
      "{ deals(first: 1, filter: { status: [open] }) { edges { node { dealId } } } }",
    );
    const dealId = deals.edges[0]?.node.dealId ?? "";
    expect(dealId).not.toBe("");

    const controller = new AbortController();
    const subscription = await fetch(`${apiB.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${apiB.token("exec")}` },
      body: JSON.stringify({
        query: "subscription($id: String!) { dealEvents(dealId: $id) { type data } }",
        variables: { id: dealId },
      }),
      signal: controller.signal,
    });
    const reader = (subscription.body as ReadableStream<Uint8Array>).getReader();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const result = await apiA.query<{ changeDealAmount: { __typename: string } }>(
      "admin",
      `mutation($id: String!) { changeDealAmount(input: { dealId: $id, amount: 123456 }) { __typename } }`,
      { id: dealId },
    );
    expect(result.changeDealAmount.__typename).toBe("MutationChangeDealAmountSuccess");

    let text = "";
    while (!text.includes("123456")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('"type":"DealAmountChanged"');

    const readOnB = await until("API B to read the new amount", async () => {
      const { deal } = await apiB.query<{ deal: { amount: number } }>(
        "exec",
        "query($id: String!) { deal(dealId: $id) { amount } }",
        {
          id: dealId,
        },
      );
      return deal.amount === 123456 ? deal.amount : undefined;
    });
    expect(readOnB).toBe(123456);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const projected = await until("the projector to write the row", async () => {
        const { rows } = await client.query<{ amount: string }>("SELECT amount FROM deal_summary WHERE deal_id = $1", [dealId]);
        return Number(rows[0]?.amount) === 123456 ? rows[0] : undefined;
      });
      expect(Number(projected.amount)).toBe(123456);
    } finally {
      await client.end();
    }

    const metrics = await (await fetch(`${projectorUrl}/metrics`)).text();
    expect(metrics).toMatch(/revgraph_projector_lag_events\{[^}]*\} 0/);
    expect(metrics).toMatch(/revgraph_projector_events_total\{[^}]*\} [1-9]\d*/);
    for (const api of [apiA, apiB]) expect((await fetch(`${api.url}/ready`)).status).toBe(200);
  });
});
