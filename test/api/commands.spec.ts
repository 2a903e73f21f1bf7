import { encodeGlobalID } from "@pothos/plugin-relay";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness(80);
});

const outcome = `__typename
  ... on Error { message }
  ... on ValidationError { issues { path message } }
  ... on CommandRejectedError { code }
  ... on IdempotencyConflictError { idempotencyKey }`;
const success = (mutation: string) =>
  `... on Mutation${mutation[0]?.toUpperCase()}${mutation.slice(1)}Success { data { streamId streamRevision replayed events { eventId } } }`;

interface Outcome {
  __typename: string;
  message?: string;
  issues?: { path: string; message: string }[];
  code?: string;
  data?: { streamId: string; streamRevision: number; replayed: boolean; events: { eventId: string }[] };
}

async function run(token: string, mutation: string, input: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const head = await api.store.headPosition();
  const { status, body } = await api.gql(
    token,
    `mutation($input: ${mutation[0]?.toUpperCase()}${mutation.slice(1)}Input!, $key: String, $at: DateTime) {
      result: ${mutation}(input: $input, idempotencyKey: $key, occurredAt: $at) { ${outcome} ${success(mutation)} } }`,
    { input, ...extra },
  );
  return { status, body, result: body.data.result as Outcome | undefined, written: (await api.store.headPosition()) - head };
}

const openDeal = (dealId: string, overrides: Record<string, unknown> = {}) => ({
  dealId,
  accountId: "acct-1",
  ownerRepId: "rep-1",
  name: "Bounded",
  amount: 40_000,
  expectedCloseDate: "2026-12-31",
  ...overrides,
});

describe("command input bounds: refused with the field named, nothing written", () => {
  const refused: [string, string, Record<string, unknown>, string, RegExp][] = [
    ["an amount of 1e308", "openDeal", openDeal("b-1", { amount: 1e308 }), "input.amount", /at most 1000000000000/],
    ["an amount just over 10^12", "openDeal", openDeal("b-2", { amount: 1e12 + 1 }), "input.amount", /at most/],
    ["a NUL in the deal id", "openDeal", openDeal("b-\u0000-3"), "input.dealId", /control/],
    ["a NUL in the name", "openDeal", openDeal("b-4", { name: "a\u0000b" }), "input.name", /control/],
    [
      "a bidi override in the name",
      "openDeal",
      openDeal("b-5", { name: "evil\u202Etxt.exe" }),
      "input.name",
      /control or invisible/,
    ],
    ["a lone surrogate in the name", "openDeal", openDeal("b-6", { name: "x\uD800y" }), "input.name", /well-formed Unicode/],
    ["a 100,000-character name", "openDeal", openDeal("b-7", { name: "n".repeat(100_000) }), "input.name", /at most 200/],
    ["a 129-character id", "openDeal", openDeal("b".repeat(129)), "input.dealId", /at most 128/],
    [
      "an impossible close date",
      "openDeal",
      openDeal("b-8", { expectedCloseDate: "2026-02-30" }),
      "input.expectedCloseDate",
      /not a real date/,
    ],
    [
      "a close date in year 50",
      "openDeal",
      openDeal("b-9", { expectedCloseDate: "0050-01-01" }),
      "input.expectedCloseDate",
      /1900 to 2200/,
    ],
    [
      "an unknown account",
      "openDeal",
      openDeal("b-10", { accountId: "acct-nope" }),
      "input.accountId",
      /account "acct-nope" does not exist/,
    ],
    [
      "an unknown owner",
      "openDeal",
      openDeal("b-11", { ownerRepId: "rep-nope" }),
      "input.ownerRepId",
      /rep "rep-nope" does not exist/,
    ],
    ["a probability over 1", "setDealProbability", { dealId: "", probability: 7 }, "input.probability", /1/],
  ];
  for (const [what, mutation, input, path, message] of refused) {
    it(`refuses ${what}`, async () => {
      const target = mutation === "setDealProbability" ? { ...input, dealId: api.myDeal.id } : input;
      const { status, result, written } = await run(api.tokens.admin, mutation, target);
      expect(status).toBe(200);
      expect(result?.__typename).toBe("ValidationError");
      const issue = result?.issues?.find((candidate) => candidate.path === path);
      expect(issue?.message, JSON.stringify(result?.issues)).toMatch(message);
      expect(written).toBe(0);
    });
  }

  it("refuses an unknown contact on an interaction, naming the list index", async () => {
    const { result, written } = await run(api.tokens.rep, "logInteraction", {
      dealId: api.myDeal.id,
      interactionId: "i-bounded",
      repId: "rep-1",
      kind: "call",
      direction: "outbound",
      contactIds: ["contact-nope"],
    });
    expect(result?.issues).toEqual([{ path: "input.contactIds.0", message: 'contact "contact-nope" does not exist' }]);
    expect(written).toBe(0);
  });

  it("keeps the KPIs finite after the largest amount allowed", async () => {
    await run(api.tokens.rep, "openDeal", openDeal("b-largest"));
    const { result } = await run(api.tokens.rep, "changeDealAmount", { dealId: "b-largest", amount: 1e12 });
    expect(result?.__typename).toBe("MutationChangeDealAmountSuccess");
    const { body } = await api.gql(api.tokens.exec, `{ kpi(id: "pipeline", period: "2026-Q4") { value nullReason } }`);
    expect(body.errors).toBeUndefined();
    expect(Number.isFinite((body.data.kpi as { value: number }[])[0]?.value)).toBe(true);
  });
});

describe("idempotency keys are per principal and per command", () => {
  it("replays the same command, and refuses another amount, deal or mutation under the same key", async () => {
    const first = await run(api.tokens.exec, "openDeal", openDeal("k-1"), { key: "key-A" });
    expect(first.result?.data?.replayed).toBe(false);
    const again = await run(api.tokens.exec, "openDeal", openDeal("k-1"), { key: "key-A" });
    expect(again.result?.data).toEqual(first.result?.data && { ...first.result.data, replayed: true });
    expect(again.written).toBe(0);
    for (const [mutation, input] of [
      ["openDeal", openDeal("k-1", { amount: 1 })],
      ["openDeal", openDeal("k-2")],
      ["changeDealAmount", { dealId: "k-1", amount: 40_000 }],
    ] as const) {
      const conflict = await run(api.tokens.exec, mutation, input, { key: "key-A" });
      expect(conflict.result?.__typename, `${mutation} ${JSON.stringify(input)}`).toBe("IdempotencyConflictError");
      expect(conflict.written).toBe(0);
    }
  });

  it("never gives one caller's result to another who reuses the key", async () => {
    await run(api.tokens.exec, "openDeal", openDeal("k-foreign", { ownerRepId: api.foreignDeal.ownerRepId }));
    await run(api.tokens.rep, "openDeal", openDeal("k-mine"));
    const exec = await run(api.tokens.exec, "changeDealAmount", { dealId: "k-foreign", amount: 7_000 }, { key: "shared" });
    expect(exec.result?.data?.streamId).toBe("deal-k-foreign");
    const rep = await run(api.tokens.rep, "changeDealAmount", { dealId: "k-foreign", amount: 7_000 }, { key: "shared" });
    expect(rep.result).toMatchObject({ __typename: "CommandRejectedError", code: "forbidden" });
    expect(JSON.stringify(rep.body)).not.toContain(exec.result?.data?.events[0]?.eventId ?? "never");
    const own = await run(api.tokens.rep, "changeDealAmount", { dealId: "k-mine", amount: 8_000 }, { key: "shared" });
    expect(own.result?.data).toMatchObject({ streamId: "deal-k-mine", replayed: false });
    expect(own.written).toBe(1);
  });
});

describe("strict dates and periods in queries", () => {
  const refusals: [string, RegExp][] = [
    [
      `{ deals(first: 1, asOf: "2026-02-30T00:00:00Z") { edges { cursor } } }`,
      /DateTime: "2026-02-30T00:00:00Z" is not a real instant/,
    ],
    [`{ deals(first: 1, asOf: "2026-03-01") { edges { cursor } } }`, /not an ISO-8601 instant with an offset/],
    [`{ deals(first: 1, asOf: "2026-03-01T24:00:00Z") { edges { cursor } } }`, /not a real instant/],
    [`{ deals(first: 1, asOf: "2026-03-01T10:00:00+25:00") { edges { cursor } } }`, /DateTime/],
    [
      `{ deals(first: 1, filter: { expectedCloseFrom: "2026-02-29" }) { edges { cursor } } }`,
      /Date: "2026-02-29" is not a real date/,
    ],
    [`{ kpi(id: "win_rate", period: "0050-Q1") { value } }`, /the year must be from 1900 to 2200/],
  ];
  for (const [query, message] of refusals) {
    it(`refuses ${query.slice(2, 70)}`, async () => {
      const { status, body } = await api.gql(api.tokens.exec, query);
      expect(status).toBeLessThan(500);
      expect(body.errors?.[0]?.message).toMatch(message);
    });
  }

  it("refuses an impossible occurredAt on a command", async () => {
    const { status, body } = await run(
      api.tokens.rep,
      "changeDealAmount",
      { dealId: api.myDeal.id, amount: 1 },
      {
        at: "2026-02-30T10:00:00Z",
      },
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/not a real instant/);
  });
});

describe("hidden and missing objects", () => {
  it("answer the same: null, no error", async () => {
    const query = `query($id: String!) { deal(dealId: $id) { dealId } }`;
    const hidden = await api.gql(api.tokens.rep, query, { id: api.foreignDeal.id });
    const missing = await api.gql(api.tokens.rep, query, { id: "no-such-deal" });
    expect(hidden).toEqual(missing);
    expect(hidden.body).toEqual({ data: { deal: null } });
    const node = `query($id: ID!) { node(id: $id) { id } }`;
    const hiddenNode = await api.gql(api.tokens.rep, node, { id: encodeGlobalID("Deal", api.foreignDeal.id) });
    const missingNode = await api.gql(api.tokens.rep, node, { id: encodeGlobalID("Deal", "no-such-deal") });
    expect(hiddenNode).toEqual(missingNode);
    expect(hiddenNode.body).toEqual({ data: { node: null } });
  });
});
