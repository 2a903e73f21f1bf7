import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../services/api/src/auth.ts";
import { type ApiProcess, startDemoApi } from "../support/api-process.ts";

const root = join(import.meta.dirname, "../..");
const secret = "environment-spec-secret-0123456789abcdef";
const environment = {
  REVGRAPH_JWT_SECRET: secret,
  REVGRAPH_TOKEN_MAX_LIFETIME: "3600",
  REVGRAPH_TOKEN_ISSUER: "acme-sso",
  REVGRAPH_TOKEN_AUDIENCE: "revgraph-api",
  REVGRAPH_MAX_AMOUNT: "1000000",
  REVGRAPH_BODY_LIMIT: "4096",
  REVGRAPH_MAX_ALIASES: "2",
};

let dir: string;
let api: ApiProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "revgraph-environment-"));
  // 100 demo deals: the demo is generated up to today, and 30 deals left none open on some dates (2026-12-06); 100
  // leave at least 4 open on every date of two years checked.
  api = await startDemoApi(dir, 100, environment);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: string, token: string) {
  const response = await fetch(`${api.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body,
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { message: string }[] } };
}

const viewer = JSON.stringify({ query: "{ viewer { role } }" });

describe("the API process takes its token policy and input bounds from the environment", () => {
  it("prints demo tokens with the configured issuer, audience and a lifetime within the maximum, and accepts them", async () => {
    const payload = JSON.parse(Buffer.from(api.token("exec").split(".")[1] as string, "base64url").toString()) as Record<
      string,
      number | string
    >;
    expect(payload).toMatchObject({ iss: "acme-sso", aud: "revgraph-api" });
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
    expect(await post(viewer, api.token("exec"))).toEqual({ status: 200, body: { data: { viewer: { role: "exec" } } } });
  });

  it("refuses tokens of another issuer or audience, or valid for longer than the configured maximum", async () => {
    const claims = { sub: "spec", role: "exec" } as const;
    const refused = {
      issuer: await signToken(claims, secret, "1h", { audience: "revgraph-api" }),
      audience: await signToken(claims, secret, "1h", { issuer: "acme-sso", audience: "another-api" }),
      lifetime: await signToken(claims, secret, "2h", { issuer: "acme-sso", audience: "revgraph-api" }),
    };
    expect((await post(viewer, refused.issuer)).body.errors?.[0]?.message).toMatch(/issuer \(iss\) is not "acme-sso"/);
    expect((await post(viewer, refused.audience)).body.errors?.[0]?.message).toMatch(/audience \(aud\) is not "revgraph-api"/);
    expect((await post(viewer, refused.lifetime)).body.errors?.[0]?.message).toMatch(/longer than the maximum of 3600 seconds/);
  });

  it("holds amounts to REVGRAPH_MAX_AMOUNT, bodies to REVGRAPH_BODY_LIMIT and aliases to REVGRAPH_MAX_ALIASES", async () => {
    const { deals } = await api.query<{ deals: { edges: { node: { dealId: string } }[] } }>(
      "exec",
      "{ deals(first: 1, filter: { status: [open] }) { edges { node { dealId } } } }",
    );
    const dealId = deals.edges[0]?.node.dealId;
    expect(dealId).toEqual(expect.any(String));
    const change = (amount: number) =>
      post(
        JSON.stringify({
          query: `mutation($dealId: String!, $amount: Float!) { changeDealAmount(input: { dealId: $dealId, amount: $amount }) {
            __typename ... on ValidationError { issues { path message } } } }`,
          variables: { dealId, amount },
        }),
        api.token("admin"),
      );
    const over = await change(2_000_000);
    expect(over.body.data).toMatchObject({ changeDealAmount: { __typename: "ValidationError" } });
    expect(JSON.stringify(over.body.data)).toContain("1000000");
    expect((await change(900_000)).body.data).toEqual({ changeDealAmount: { __typename: "MutationChangeDealAmountSuccess" } });
    const large = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.token("exec")}` },
      body: JSON.stringify({ query: "{ viewer { role } }", variables: { padding: "x".repeat(5_000) } }),
    });
    expect(large.status).toBe(413);
    const aliases = await post(
      JSON.stringify({ query: "{ a: viewer { role } b: viewer { role } c: viewer { role } }" }),
      api.token("exec"),
    );
    expect(aliases.status).toBe(400);
    expect(aliases.body.errors?.[0]?.message).toMatch(/alias/i);
  });
});

describe("a bad boundary variable", () => {
  it.each([
    ["REVGRAPH_TOKEN_MAX_LIFETIME", "12h", 'REVGRAPH_TOKEN_MAX_LIFETIME must be a whole number, got "12h"'],
    ["REVGRAPH_TOKEN_ISSUER", "", 'REVGRAPH_TOKEN_ISSUER must not be empty, got ""'],
    ["REVGRAPH_MAX_AMOUNT", "Infinity", "REVGRAPH_MAX_AMOUNT must be a plain positive number"],
    ["REVGRAPH_BODY_LIMIT", "10", 'REVGRAPH_BODY_LIMIT must be at least 1024, got "10"'],
    ["REVGRAPH_MIN_YEAR", "2300", "REVGRAPH_MIN_YEAR (2300) must not be after REVGRAPH_MAX_YEAR (2200)"],
  ])("%s=%j exits 2 with one sentence naming it, before opening any store", (name, value, message) => {
    const result = spawnSync(
      process.execPath,
      [join(root, "services/api/bin/revgraph-api.js"), "--demo", "--data", "/nonexistent/x"],
      {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, [name]: value },
        // Without the check the API would start and serve: end it so the spec fails instead of waiting forever.
        timeout: 30_000,
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining(message)]);
    expect(result.stdout).toBe("");
  });
});
