import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness(120);
});

const result = `__typename
  ... on MutationOpenDealSuccess { data { streamRevision replayed events { type } deal { dealId stage amount } } }
  ... on Error { message }
  ... on ValidationError { issues { path message } }
  ... on GateNotMetError { stage missingEvidence }
  ... on ConcurrencyError { streamId expectedRevision actualRevision }
  ... on CommandRejectedError { code }`;
const stageResult = result.replaceAll("MutationOpenDealSuccess", "MutationChangeDealStageSuccess");

async function openDeal(dealId: string, token = api.tokens.rep, extra = "") {
  return api.gql(
    token,
    `mutation { openDeal(input: { dealId: "${dealId}", accountId: "acct-1", ownerRepId: "rep-1", name: "New", amount: 40000, expectedCloseDate: "2026-12-31" }${extra}) { ${result} } }`,
  );
}

describe("mutations", () => {
  it("opens a deal and returns it as it now stands, with the stream revision", async () => {
    const { body } = await openDeal("m-1");
    expect(body.data.openDeal).toEqual({
      __typename: "MutationOpenDealSuccess",
      data: {
        streamRevision: 0,
        replayed: false,
        events: [{ type: "DealCreated" }],
        deal: { dealId: "m-1", stage: "discovery", amount: 40000 },
      },
    });
  });

  it("reports invalid input as a ValidationError naming the field path", async () => {
    const { body } = await api.gql(
      api.tokens.rep,
      `mutation { openDeal(input: { dealId: "m-bad", accountId: "acct-1", ownerRepId: "rep-1", name: "", amount: -5, expectedCloseDate: "2026-02-30" }) { ${result} } }`,
    );
    const outcome = body.data.openDeal as { __typename: string; issues: { path: string }[] };
    expect(outcome.__typename).toBe("ValidationError");
    expect(outcome.issues.map((issue) => issue.path).sort()).toEqual(["input.amount", "input.expectedCloseDate", "input.name"]);
  });

  it("refuses to advance past a gate without evidence, naming it; succeeds once recorded", async () => {
    await openDeal("m-2");
    const blocked = await api.gql(
      api.tokens.rep,
      `mutation { changeDealStage(input: { dealId: "m-2", to: "technical_validation" }) { ${stageResult} } }`,
    );
    expect(blocked.body.data.changeDealStage).toMatchObject({
      __typename: "GateNotMetError",
      stage: "discovery",
      missingEvidence: ["pain_statement"],
    });
    await api.gql(
      api.tokens.rep,
      `mutation { recordGateEvidence(input: { dealId: "m-2", gate: "pain_statement", evidence: "CFO said it in call 2" }) { __typename } }`,
    );
    const moved = await api.gql(
      api.tokens.rep,
      `mutation { changeDealStage(input: { dealId: "m-2", to: "technical_validation" }) { ${stageResult} } }`,
    );
    expect(moved.body.data.changeDealStage).toMatchObject({
      __typename: "MutationChangeDealStageSuccess",
      data: { deal: { stage: "technical_validation" }, streamRevision: 2 },
    });
  });

  it("returns a ConcurrencyError when expectedRevision is stale", async () => {
    await openDeal("m-3");
    const { body } = await api.gql(
      api.tokens.rep,
      `mutation { changeDealStage(input: { dealId: "m-3", to: "negotiation", override: { reason: "exec deal" } }, expectedRevision: 5) { ${stageResult} } }`,
    );
    expect(body.data.changeDealStage).toMatchObject({
      __typename: "ConcurrencyError",
      streamId: "deal-m-3",
      expectedRevision: "5",
      actualRevision: 0,
    });
  });

  it("is idempotent by key: a retry returns the first result and writes nothing", async () => {
    const first = await openDeal("m-4", api.tokens.rep, `, idempotencyKey: "open-m-4"`);
    const head = await api.store.headPosition();
    const retry = await openDeal("m-4", api.tokens.rep, `, idempotencyKey: "open-m-4"`);
    expect(await api.store.headPosition()).toBe(head);
    expect(retry.body.data.openDeal).toMatchObject({ data: { replayed: true, streamRevision: 0 } });
    expect((first.body.data.openDeal as { data: { replayed: boolean } }).data.replayed).toBe(false);
  });

  it("refuses changes to closed deals, and back-dates corrections with occurredAt", async () => {
    await openDeal("m-5");
    const lost = await api.gql(
      api.tokens.rep,
      `mutation { loseDeal(input: { dealId: "m-5", reason: "pricing", competitor: "Globex" }, occurredAt: "2026-11-01T10:00:00Z") { __typename } }`,
    );
    expect(lost.body.data.loseDeal).toEqual({ __typename: "MutationLoseDealSuccess" });
    const { body } = await api.gql(
      api.tokens.rep,
      `mutation { changeDealAmount(input: { dealId: "m-5", amount: 1 }) { __typename ... on CommandRejectedError { code message } } }`,
    );
    expect(body.data.changeDealAmount).toMatchObject({ __typename: "CommandRejectedError", code: "deal_closed" });
    const deal = await api.gql(api.tokens.rep, `{ deal(dealId: "m-5") { status closedAt lossReason competitor } }`);
    expect(deal.body.data.deal).toEqual({
      status: "lost",
      closedAt: "2026-11-01T10:00:00.000Z",
      lossReason: "pricing",
      competitor: "Globex",
    });
  });

  it("writes a close date and amount given with loseDeal on the close event: the deal takes them, with no push", async () => {
    await openDeal("m-7");
    const lost = await api.gql(
      api.tokens.rep,
      `mutation { loseDeal(input: { dealId: "m-7", reason: "timing", amount: 35000, expectedCloseDate: "2027-01-15" }) { __typename ... on MutationLoseDealSuccess { data { events { type } } } } }`,
    );
    expect(lost.body.data.loseDeal).toEqual({
      __typename: "MutationLoseDealSuccess",
      data: { events: [{ type: "DealLost" }] },
    });
    const deal = await api.gql(api.tokens.rep, `{ deal(dealId: "m-7") { status amount expectedCloseDate pushes } }`);
    expect(deal.body.data.deal).toEqual({ status: "lost", amount: 35000, expectedCloseDate: "2027-01-15", pushes: 0 });
  });

  it("keeps auditors read-only and reps on their own deals", async () => {
    const auditor = await openDeal("m-6", api.tokens.auditor);
    expect(auditor.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const { body } = await api.gql(
      api.tokens.rep,
      `mutation { changeDealAmount(input: { dealId: "${api.foreignDeal.id}", amount: 1 }) { __typename ... on CommandRejectedError { code } } }`,
    );
    expect(body.data.changeDealAmount).toEqual({ __typename: "CommandRejectedError", code: "forbidden" });
  });

  it("lets admins run roster commands (hire a rep, set a quota)", async () => {
    const hire = await api.gql(
      api.tokens.admin,
      `mutation { hireRep(input: { repId: "rep-new", name: "Noor", teamId: "team-1", startDate: "2026-10-01", ramp: [0.3, 0.6, 1] }) { __typename } }`,
    );
    expect(hire.body.data.hireRep).toEqual({ __typename: "MutationHireRepSuccess" });
    const quota = await api.gql(
      api.tokens.admin,
      `mutation { setQuota(input: { repId: "rep-new", period: "2026-Q4", from: "2026-10-01", to: "2027-01-01", amount: 90000 }) { __typename } }`,
    );
    expect(quota.body.data.setQuota).toEqual({ __typename: "MutationSetQuotaSuccess" });
    const byRep = await api.gql(
      api.tokens.rep,
      `mutation { hireRep(input: { repId: "rep-x", name: "X", teamId: "team-1", startDate: "2026-10-01" }) { __typename } }`,
    );
    expect(byRep.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});
