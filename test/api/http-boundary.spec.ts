import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness(40);
});

const endpoint = "http://revgraph.test/graphql";
const viewerQuery = JSON.stringify({ query: "{ viewer { role } }" });

function post(body: BodyInit, headers: Record<string, string>) {
  return api.app.fetch(endpoint, { method: "POST", headers: { authorization: `Bearer ${api.tokens.exec}`, ...headers }, body });
}

describe("request shape, before anything else runs", () => {
  it("answers 413 to a body over 1 MB, naming the limit", async () => {
    const padding = "x".repeat(10 * 1024 * 1024);
    const response = await post(JSON.stringify({ query: "{ viewer { role } }", variables: { padding } }), {
      "content-type": "application/json",
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toMatch(/larger than the limit of 1048576 bytes/);
  });

  it("answers 415 to form, multipart, text and missing content types — also for a query the cache holds", async () => {
    const json = await post(viewerQuery, { "content-type": "application/json" });
    expect(json.status).toBe(200);
    expect((await post(viewerQuery, { "content-type": "application/json" })).headers.get("x-cache")).toBe("hit");
    const form = new URLSearchParams({ query: "{ viewer { role } }" });
    const multipart = new FormData();
    multipart.set("operations", viewerQuery);
    for (const [body, headers] of [
      [form, { "content-type": "application/x-www-form-urlencoded" }],
      [multipart, {}],
      [viewerQuery, { "content-type": "text/plain" }],
      [viewerQuery, {}],
    ] as [BodyInit, Record<string, string>][]) {
      const request = new Request(endpoint, { method: "POST", body, headers });
      if (!headers["content-type"]) request.headers.delete("content-type");
      const response = await post(body, Object.fromEntries(request.headers));
      expect(response.status, request.headers.get("content-type") ?? "no content type").toBe(415);
      expect(response.headers.get("x-cache")).toBeNull();
      expect(await response.text()).toMatch(/Content-Type: application\/json/);
    }
  });

  it("answers 400 to deeply nested or huge variables, never 500", async () => {
    const nested = `${"[".repeat(5_000)}1${"]".repeat(5_000)}`;
    const deep = await post(`{"query":"query($v: JSON) { viewer { role } }","variables":{"v":${nested}}}`, {
      "content-type": "application/json",
    });
    expect(deep.status).toBe(400);
    expect(await deep.text()).toMatch(/nested deeper than 32 levels/);
    const wide = await post(
      JSON.stringify({ query: "{ viewer { role } }", variables: { v: Array.from({ length: 20_000 }, () => 1) } }),
      { "content-type": "application/json" },
    );
    expect(wide.status).toBe(400);
    expect(await wide.text()).toMatch(/more than 10000 values/);
  });

  it("echoes x-request-id only when it is at most 128 printable characters", async () => {
    const ok = await post(viewerQuery, { "content-type": "application/json", "x-request-id": "req-123" });
    expect(ok.headers.get("x-request-id")).toBe("req-123");
    const long = await post(viewerQuery, { "content-type": "application/json", "x-request-id": "a".repeat(9_000) });
    expect(long.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const spaced = await post(viewerQuery, { "content-type": "application/json", "x-request-id": "a b" });
    expect(spaced.headers.get("x-request-id")).not.toBe("a b");
  });

  it("refuses a simple GET without the CSRF header (Yoga's CSRF prevention)", async () => {
    const url = `${endpoint}?query=${encodeURIComponent("{ viewer { role } }")}`;
    const simple = await api.app.fetch(url, {
      headers: { authorization: `Bearer ${api.tokens.exec}`, accept: "application/json" },
    });
    expect(simple.status).toBe(403);
    const marked = await api.app.fetch(url, {
      headers: { authorization: `Bearer ${api.tokens.exec}`, accept: "application/json", "x-graphql-yoga-csrf": "1" },
    });
    expect(marked.status).toBe(200);
  });

  it("lets only signed-in callers introspect the schema", async () => {
    const introspect = JSON.stringify({ query: "{ __schema { queryType { name } } }" });
    const anonymous = await api.app.fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: introspect,
    });
    expect(JSON.stringify(await anonymous.json())).toMatch(/introspection has been disabled/i);
    const signedIn = await post(introspect, { "content-type": "application/json" });
    expect(await signedIn.json()).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
  });
});

/** Response headers by lower-case name (a compressed answer's Headers copy keeps names' case, which get() misses). */
function headersOf(response: Response): Map<string, string> {
  const headers = new Map<string, string>();
  response.headers.forEach((value, name) => {
    headers.set(name.toLowerCase(), value);
  });
  return headers;
}

describe("answers from the cache", () => {
  it("carry every header of the fresh answer, compressed or not", async () => {
    for (const encoding of ["gzip", ""]) {
      const query = JSON.stringify({ query: `{ deals(first: 3) { edges { node { dealId } } } }`, variables: { encoding } });
      const headers = { "content-type": "application/json", "accept-encoding": encoding };
      const fresh = await post(query, headers);
      const freshBody = new Uint8Array(await fresh.arrayBuffer());
      const hit = await post(query, headers);
      expect(hit.headers.get("x-cache")).toBe("hit");
      const [freshHeaders, hitHeaders] = [headersOf(fresh), headersOf(hit)];
      for (const name of ["content-type", "content-encoding", "vary", "etag"])
        expect(hitHeaders.get(name), `${encoding || "identity"}: ${name}`).toBe(freshHeaders.get(name));
      expect(hitHeaders.get("content-type")).toMatch(/application\/json/);
      expect(hitHeaders.get("vary")).toMatch(/Authorization/);
      expect(new Uint8Array(await hit.arrayBuffer())).toEqual(freshBody);
    }
  });
});
