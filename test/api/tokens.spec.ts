import { createHmac } from "node:crypto";
import { verifyToken } from "@revgraph/api";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness, SECRET } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness(20);
});

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An HS256 JWT with exactly these claims (no defaults added), signed with `secret`. */
function jwt(claims: Record<string, unknown>, secret = SECRET): string {
  const unsigned = `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url(claims)}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

const now = () => Math.floor(Date.now() / 1000);
const exec = { sub: "eve", role: "exec", iss: "revgraph" };

describe("bearer tokens", () => {
  const refused: [string, () => Record<string, unknown>, RegExp][] = [
    ["without exp", () => ({ ...exec, iat: now() }), /has no expiry \(exp\)/],
    ["expired", () => ({ ...exec, iat: now() - 7200, exp: now() - 3600 }), /expired at \d{4}-/],
    [
      "living longer than the maximum",
      () => ({ ...exec, iat: now(), exp: now() + 30 * 86_400 }),
      /longer than the maximum of 86400 seconds/,
    ],
    ["not yet valid", () => ({ ...exec, iat: now(), nbf: now() + 3600, exp: now() + 7200 }), /not valid before/],
    [
      "from another issuer",
      () => ({ ...exec, iss: "elsewhere", iat: now(), exp: now() + 60 }),
      /issuer \(iss\) is not "revgraph"/,
    ],
    [
      "with a role outside the five",
      () => ({ ...exec, role: "root", iat: now(), exp: now() + 60 }),
      /role "root" is not one of rep, manager, exec, auditor, admin/,
    ],
    ["without a subject", () => ({ role: "exec", iss: "revgraph", iat: now(), exp: now() + 60 }), /no subject \(sub\)/],
    ["for a rep without repId", () => ({ ...exec, role: "rep", iat: now(), exp: now() + 60 }), /rep token needs a repId/],
  ];
  for (const [name, claims, reason] of refused) {
    it(`refuses a token ${name} with 401 and one sentence`, async () => {
      const { status, body } = await api.gql(jwt(claims()), "{ viewer { role } }");
      expect(status).toBe(401);
      const message = body.errors?.[0]?.message ?? "";
      expect(message).toMatch(reason);
      expect(message).toMatch(/^invalid bearer token: [^\n]*$/);
      expect(message).not.toMatch(/"code"|invalid_value|\[/);
    });
  }

  it("refuses a forged signature", async () => {
    const token = jwt({ ...exec, iat: now(), exp: now() + 60 }, "another-secret-another-secret-0123456789");
    const { status, body } = await api.gql(token, "{ viewer { role } }");
    expect(status).toBe(401);
    expect(body.errors?.[0]?.message).toBe("invalid bearer token: its signature does not match");
  });

  it("accepts a well-formed token and checks the audience when one is configured", async () => {
    const token = jwt({ ...exec, aud: "revgraph-api", iat: now(), exp: now() + 60 });
    expect((await api.gql(token, "{ viewer { role } }")).body.data).toEqual({ viewer: { role: "exec" } });
    await expect(verifyToken(token, SECRET, { audience: "revgraph-api" })).resolves.toMatchObject({ role: "exec" });
    await expect(verifyToken(token, SECRET, { audience: "billing" })).rejects.toThrow(/audience \(aud\) is not "billing"/);
    await expect(verifyToken(token, SECRET, { maxLifetimeSeconds: 30 })).rejects.toThrow(/maximum of 30 seconds/);
  });
});
