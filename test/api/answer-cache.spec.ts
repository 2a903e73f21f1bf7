import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness } from "./harness.ts";

let api: Awaited<ReturnType<typeof apiHarness>>;
beforeAll(async () => {
  api = await apiHarness(80);
});

function post(token: string, query: string, headers: Record<string, string> = {}) {
  return api.app.fetch("http://revgraph.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query }),
  });
}

const scorecard = `{ scorecard(period: "2026-Q3") { kpiId value } }`;

describe("answer cache", () => {
  it("answers a repeated query from its bytes, with a fresh request id", async () => {
    const first = await post(api.tokens.exec, scorecard, { "x-request-id": "first" });
    expect(first.headers.get("x-cache")).toBeNull();
    const firstBody = await first.text();
    const second = await post(api.tokens.exec, scorecard, { "x-request-id": "second" });
    expect(second.headers.get("x-cache")).toBe("hit");
    expect(second.headers.get("x-request-id")).toBe("second");
    expect(second.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(await second.text()).toBe(firstBody);
    const etag = first.headers.get("etag") as string;
    expect(etag).toBeTruthy();
    const unchanged = await post(api.tokens.exec, scorecard, { "if-none-match": etag });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe("");
  });

  it("never gives one caller another caller's answer", async () => {
    const deals = `{ deals(first: 50) { edges { node { dealId } } } }`;
    const exec = await (await post(api.tokens.exec, deals)).json();
    const rep = await post(api.tokens.rep, deals);
    expect(rep.headers.get("x-cache")).toBeNull();
    const repDeals = (await rep.json()) as { data: { deals: { edges: unknown[] } } };
    expect(repDeals.data.deals.edges.length).toBeLessThan(
      (exec as { data: { deals: { edges: unknown[] } } }).data.deals.edges.length,
    );
  });

  it("gives a fresh answer once a new event is applied", async () => {
    const amount = `{ deal(dealId: "${api.myDeal.id}") { amount } }`;
    await post(api.tokens.exec, amount);
    expect((await post(api.tokens.exec, amount)).headers.get("x-cache")).toBe("hit");
    await api.store.append(`deal-${api.myDeal.id}`, [
      { type: "DealAmountChanged", occurredAt: "2026-11-15T11:00:00Z", data: { dealId: api.myDeal.id, amount: 123_456 } },
    ]);
    await api.readModel.waitFor(await api.store.headPosition());
    const after = await post(api.tokens.exec, amount);
    expect(after.headers.get("x-cache")).toBeNull();
    expect(await after.json()).toEqual({ data: { deal: { amount: 123_456 } } });
  });

  it("keeps neither mutations nor answers with errors", async () => {
    const invalid = `mutation { openDeal(input: { dealId: "c-bad", accountId: "acct-1", ownerRepId: "rep-1", name: "", amount: -5, expectedCloseDate: "2026-12-31" }) { __typename } }`;
    await post(api.tokens.exec, invalid);
    expect((await post(api.tokens.exec, invalid)).headers.get("x-cache")).toBeNull();
    const unknownKpi = `{ kpi(id: "no_such_kpi", period: "2026-Q3") { value } }`;
    expect(((await (await post(api.tokens.exec, unknownKpi)).json()) as { errors?: unknown[] }).errors).toBeDefined();
    expect((await post(api.tokens.exec, unknownKpi)).headers.get("x-cache")).toBeNull();
  });

  it("replays a compressed answer compressed once, and a plain one to a client that does not accept gzip", async () => {
    const query = `{ scorecard(period: "2026-Q2", groupBy: TEAM) { kpiId groupKey value } }`;
    const plain = await (await post(api.tokens.exec, query)).text();
    await (await post(api.tokens.exec, query, { "accept-encoding": "gzip" })).arrayBuffer();
    const hit = await post(api.tokens.exec, query, { "accept-encoding": "gzip" });
    expect(hit.headers.get("x-cache")).toBe("hit");
    expect(hit.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(new Uint8Array(await hit.arrayBuffer())).toString("utf8")).toBe(plain);
    const plainHit = await post(api.tokens.exec, query);
    expect(plainHit.headers.get("x-cache")).toBe("hit");
    expect(plainHit.headers.get("content-encoding")).toBeNull();
    expect(await plainHit.text()).toBe(plain);
  });
});
