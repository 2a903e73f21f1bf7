import {
  type DealSnapshot,
  dealAt,
  defaultConfig,
  type GraphState,
  listOf,
  streamIds,
  type TimeSlice,
  timeSlice,
} from "@revgraph/domain";
import { type AppendRequest, createMemoryEventStore, type EventStore } from "@revgraph/event-store";
import { interactionKinds, type NewEvent } from "@revgraph/events";
import { generateHistory } from "@revgraph/generator";
import { type DealFilter, type DealOrder, type DealOrderField, RevenueReadModel, type ServedDeal } from "@revgraph/read-model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const now = new Date("2026-11-15T00:00:00Z");
const DAY = 86_400_000;

/** Corrections on top of a generated history, each in its deal's stream (where commands and imports write them). */
type Extra =
  | { kind: "owner"; deal: number; rep: number }
  | { kind: "amount"; deal: number; amount: number; currency: string }
  | { kind: "stage"; deal: number; stage: string }
  | { kind: "push"; deal: number; date: string }
  | { kind: "reopen"; deal: number }
  | { kind: "lost"; deal: number }
  | { kind: "recreate"; deal: number; amount: number }
  | { kind: "relog"; interaction: number; deal: number | null; contacts: number };

const stamp = { daysBack: fc.integer({ min: 0, max: 300 }), recordedBack: fc.integer({ min: 0, max: 60 }) };
const stages = [...defaultConfig.stages.map((stage) => stage.id)];
const extra: fc.Arbitrary<Extra & { daysBack: number; recordedBack: number }> = fc.oneof(
  fc.record({ kind: fc.constant("owner" as const), deal: fc.nat(40), rep: fc.nat(12), ...stamp }),
  fc.record({
    kind: fc.constant("amount" as const),
    deal: fc.nat(40),
    amount: fc.integer({ min: 1, max: 400_000 }),
    currency: fc.constantFrom("USD", "EUR"),
    ...stamp,
  }),
  fc.record({ kind: fc.constant("stage" as const), deal: fc.nat(40), stage: fc.constantFrom(...stages), ...stamp }),
  fc.record({
    kind: fc.constant("push" as const),
    deal: fc.nat(40),
    date: fc.constantFrom("2026-03-31", "2026-09-30", "2026-12-31", "2027-02-15"),
    ...stamp,
  }),
  fc.record({ kind: fc.constant("reopen" as const), deal: fc.nat(40), ...stamp }),
  fc.record({ kind: fc.constant("lost" as const), deal: fc.nat(40), ...stamp }),
  fc.record({ kind: fc.constant("recreate" as const), deal: fc.nat(40), amount: fc.integer({ min: 1, max: 400_000 }), ...stamp }),
  fc.record({
    kind: fc.constant("relog" as const),
    interaction: fc.nat(300),
    deal: fc.option(fc.nat(40)),
    contacts: fc.nat(3),
    ...stamp,
  }),
);

interface Entry {
  readonly streamId: string;
  readonly event: NewEvent;
  readonly recordedAt: string;
}

/** A generated history and its corrections, in record order. */
function history(seed: number, deals: number, extras: readonly (Extra & { daysBack: number; recordedBack: number })[]) {
  const entries: Entry[] = [];
  const created: { dealId: string; accountId: string; ownerRepId: string; name: string; stage: string }[] = [];
  const reps = new Set<string>();
  const accounts = new Set<string>();
  const interactions: { interactionId: string; accountId: string }[] = [];
  for (const batch of generateHistory({ deals, seed, now, historyDays: 420 })) {
    batch.events.forEach((event, index) => {
      const data = event.data as Record<string, string>;
      if (event.type === "DealCreated")
        created.push({
          dealId: data.dealId as string,
          accountId: data.accountId as string,
          ownerRepId: data.ownerRepId as string,
          name: data.name as string,
          stage: data.stage as string,
        });
      if (event.type === "RepHired") reps.add(data.repId as string);
      if (event.type === "AccountRegistered") accounts.add(data.accountId as string);
      if (event.type === "InteractionLogged")
        interactions.push({ interactionId: data.interactionId as string, accountId: data.accountId as string });
      entries.push({ streamId: batch.streamId, event, recordedAt: batch.recordedAt[index] as string });
    });
  }
  const repIds = [...reps].sort();
  const correctionsAt = now.getTime() - 5 * DAY;
  extras.forEach((change, index) => {
    const occurredAt = new Date(correctionsAt - change.daysBack * DAY).toISOString();
    const recordedAt = new Date(Math.max(Date.parse(occurredAt), correctionsAt - change.recordedBack * DAY)).toISOString();
    const deal = created[("deal" in change && change.deal !== null ? change.deal : 0) % Math.max(created.length, 1)];
    if (!deal) return;
    const dealId = deal.dealId;
    const add = (streamId: string, type: string, data: Record<string, unknown>) =>
      entries.push({ streamId, event: { type, data, occurredAt }, recordedAt });
    const inDeal = (type: string, data: Record<string, unknown>) => add(streamIds.deal(dealId), type, { dealId, ...data });
    const adding: Record<Extra["kind"], () => void> = {
      owner: () => inDeal("DealOwnerChanged", { ownerRepId: repIds[(change as { rep: number }).rep % repIds.length] }),
      amount: () => {
        const { amount, currency } = change as { amount: number; currency: string };
        inDeal("DealAmountChanged", { amount, currency });
      },
      stage: () => inDeal("DealStageChanged", { from: "negotiation", to: (change as { stage: string }).stage }),
      push: () => inDeal("DealCloseDateChanged", { expectedCloseDate: (change as { date: string }).date }),
      reopen: () => inDeal("DealReopened", { stage: "business_case" }),
      lost: () => inDeal("DealLost", { reason: "timing" }),
      recreate: () =>
        inDeal("DealCreated", {
          accountId: deal.accountId,
          ownerRepId: deal.ownerRepId,
          name: `${deal.name} (again ${index})`,
          amount: (change as { amount: number }).amount,
          currency: "USD",
          stage: deal.stage,
          expectedCloseDate: "2027-01-31",
        }),
      relog: () => {
        const relogged = interactions[(change as { interaction: number }).interaction % Math.max(interactions.length, 1)];
        if (!relogged) return;
        const onDeal = (change as { deal: number | null }).deal !== null;
        const accountId = onDeal ? deal.accountId : relogged.accountId;
        const contacts = (change as { contacts: number }).contacts;
        add(onDeal ? streamIds.deal(dealId) : streamIds.account(accountId), "InteractionLogged", {
          interactionId: relogged.interactionId,
          accountId,
          ...(onDeal ? { dealId } : {}),
          repId: repIds[0],
          kind: interactionKinds[contacts % interactionKinds.length],
          direction: "inbound",
          contactIds: Array.from({ length: contacts + 1 }, (_, at) => `relogged-contact-${at}`),
          held: true,
        });
      },
    };
    adding[change.kind]();
  });
  entries.sort((a, b) => (a.recordedAt < b.recordedAt ? -1 : a.recordedAt > b.recordedAt ? 1 : 0));
  return { entries, repIds, accounts: [...accounts].sort(), dealIds: created.map((deal) => deal.dealId) };
}

/** Appends entries in record order, a run of one stream per request, with their record times. */
async function append(store: EventStore, entries: readonly Entry[]): Promise<number> {
  let last = 0;
  let run: Entry[] = [];
  const flush = async () => {
    const first = run[0];
    if (!first) return;
    const request: AppendRequest = {
      streamId: first.streamId,
      events: run.map((entry) => entry.event),
      recordedAt: run.map((entry) => entry.recordedAt),
      trustRecordedAt: true,
    };
    const [result] = await store.appendMany([request]);
    last = result?.positions.at(-1) ?? last;
    run = [];
  };
  for (const entry of entries) {
    if (run[0] && run[0].streamId !== entry.streamId) await flush();
    run.push(entry);
  }
  await flush();
  return last;
}

// ---- The oracle: how the API listed deals from the graph before deal reads (services/api/src/schema/deals.ts). ----

const naturalOrder = new Intl.Collator("en", { numeric: true });
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const compare: Record<DealOrderField, (a: DealSnapshot, b: DealSnapshot) => number> = {
  amount: (a, b) => a.amount - b.amount,
  expectedCloseDate: (a, b) => byText(a.expectedCloseDate, b.expectedCloseDate),
  createdAt: (a, b) => byText(a.createdAt, b.createdAt),
  name: (a, b) => naturalOrder.compare(a.name, b.name),
  id: (a, b) => naturalOrder.compare(a.id, b.id),
};

interface Question {
  readonly filter: DealFilter;
  readonly order: DealOrder;
  readonly asOf: string | null;
  readonly knownAt: string | null;
  readonly owners: readonly string[] | null;
}

function oracleDeals(model: RevenueReadModel, state: GraphState, question: Question): DealSnapshot[] {
  const { filter, order, asOf, knownAt, owners } = question;
  let source: DealSnapshot[];
  if (!asOf && !knownAt) source = [...model.currentDeals().values()];
  else {
    const slice = timeSlice(state, { asOf: asOf ?? undefined, knownAt: knownAt ?? undefined });
    source = listOf(state, "deals").flatMap((facts) => dealAt(state, facts, slice, defaultConfig) ?? []);
  }
  const deals = source.filter(
    (deal) =>
      (!owners || owners.includes(deal.ownerRepId)) &&
      (!filter.status || filter.status.includes(deal.status)) &&
      (!filter.stages || filter.stages.includes(deal.stage)) &&
      (!filter.ownerRepIds || filter.ownerRepIds.includes(deal.ownerRepId)) &&
      (!filter.accountId || filter.accountId === deal.accountId) &&
      (!filter.segment || filter.segment === deal.segment) &&
      (!filter.expectedCloseFrom || deal.expectedCloseDate >= filter.expectedCloseFrom) &&
      (!filter.expectedCloseTo || deal.expectedCloseDate < filter.expectedCloseTo) &&
      (filter.minAmount === undefined || deal.amount >= filter.minAmount),
  );
  const byField = compare[order.field];
  const sign = order.direction === "DESC" ? -1 : 1;
  return deals.sort((a, b) => sign * byField(a, b) || naturalOrder.compare(a.id, b.id));
}

/** The deal the graph gives in a slice, with its interactions as the API listed them. */
function oracleDeal(state: GraphState, dealId: string, slice: TimeSlice): ServedDeal | null {
  const facts = state.deals[dealId];
  const snapshot = facts ? dealAt(state, facts, slice, defaultConfig) : null;
  return snapshot && { ...snapshot, interactions: snapshot.interactionIds.flatMap((id) => state.interactions[id] ?? []) };
}

const question = (reps: readonly string[], accounts: readonly string[]) =>
  fc.record({
    // At most two criteria: more leave too few deals of a small history to tell orders apart.
    filter: fc
      .array(
        fc.oneof(
          fc.record({ status: fc.subarray(["open", "won", "lost"] as const, { minLength: 1 }) }),
          fc.record({ stages: fc.subarray([...stages, defaultConfig.wonStage, defaultConfig.lostStage], { minLength: 2 }) }),
          fc.record({ ownerRepIds: fc.subarray([...reps, "rep-unknown"], { minLength: 1 }) }),
          fc.record({ accountId: fc.constantFrom(...accounts, "account-unknown") }),
          fc.record({ segment: fc.constantFrom(...defaultConfig.segments.map((segment) => segment.id)) }),
          fc.record({ expectedCloseFrom: fc.constantFrom("2025-12-01", "2026-06-01", "2026-11-15") }),
          fc.record({ expectedCloseTo: fc.constantFrom("2026-03-01", "2026-12-01", "2027-06-01") }),
          fc.record({ minAmount: fc.constantFrom(0, 10_000, 55_000.5, 200_000) }),
          fc.constant({ status: [] as ("open" | "won" | "lost")[] }),
        ),
        { maxLength: 2 },
      )
      .map((parts): DealFilter => Object.assign({}, ...parts)),
    order: fc.record({
      field: fc.constantFrom<DealOrderField>("amount", "expectedCloseDate", "createdAt", "name", "id"),
      direction: fc.constantFrom<"ASC" | "DESC">("ASC", "DESC"),
    }),
    asOf: fc.constantFrom(null, null, null, null, "2026-03-01T00:00:00Z", "2026-08-15T12:00:00Z", "2026-11-01", "2027-01-01"),
    knownAt: fc.constantFrom(
      null,
      null,
      null,
      null,
      "2026-02-01",
      "2026-07-15T08:00:00Z",
      "2026-10-20",
      "2026-11-12",
      "2027-01-01",
    ),
    owners: fc.option(fc.subarray([...reps])),
  });

/**
 * A read model's answers to these questions and its owners against the graph of `oracle` (a model with the full
 * graph at the same position; `model` may hold the org part only).
 */
async function check(
  model: RevenueReadModel,
  oracle: RevenueReadModel,
  questions: readonly Question[],
  dealIds: readonly string[],
  picks: fc.Stream<number>,
): Promise<void> {
  const state = oracle.state;
  for (const asked of questions) {
    const options = { asOf: asked.asOf ?? undefined, knownAt: asked.knownAt ?? undefined };
    const sliced = asked.asOf || asked.knownAt;
    const slice = await model.slice(options);
    expect(slice).toEqual(timeSlice(state, options));
    const ids = await model.dealIds({
      filter: asked.filter,
      order: asked.order,
      slice: sliced ? slice : undefined,
      owners: asked.owners ?? undefined,
    });
    const expected = oracleDeals(oracle, state, asked);
    expect(ids).toEqual(expected.map((deal) => deal.id));
    const served = await model.deals(ids, sliced ? slice : undefined);
    expect(served).toEqual(expected.map((deal) => oracleDeal(state, deal.id, slice)));
    const probe = [...dealIds, "deal-unknown"][(picks.next().value as number) % (dealIds.length + 1)] as string;
    expect(await model.deal(probe, slice)).toEqual(oracleDeal(state, probe, slice));
  }
  for (const dealId of [...dealIds, "deal-unknown"]) {
    const facts = state.deals[dealId];
    const owner = facts?.created ? (facts.owners.at(-1)?.repId ?? facts.created.ownerRepId) : undefined;
    expect(model.dealOwner(dealId)).toBe(owner);
  }
}

describe("deal reads: lists from the fact tables, deals from their streams", () => {
  it("equal the graph (the oracle) over generated histories, with the full graph and with the org part only: ids for any filter, order, owners, asOf and knownAt; deals and slices; owners", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 4, max: 14 }),
        fc.array(extra, { maxLength: 16 }),
        fc.integer({ min: 0, max: 100 }),
        fc.infiniteStream(fc.nat()),
        async (seed, dealCount, extras, liveShare, picks) => {
          const { entries, repIds, accounts, dealIds } = history(seed, dealCount, extras);
          const store = createMemoryEventStore({ clock: () => now });
          // Part of the log is there when the model opens (catch-up), the rest arrives while it follows (live writes).
          const split = Math.floor((entries.length * (100 - Math.min(liveShare, 30))) / 100);
          await append(store, entries.slice(0, split));
          const model = await RevenueReadModel.open({ store, config: defaultConfig, factsPath: ":memory:" });
          // The API's mode: the graph holds the org part only, deals are projected through a working set of two.
          const org = await RevenueReadModel.open({
            store,
            config: defaultConfig,
            factsPath: ":memory:",
            graph: "org",
            workingSetDeals: 2,
          });
          try {
            // Questions between live batches: the sorted lists as things stand are merged, not sorted again.
            const live = entries.slice(split);
            const third = Math.ceil(live.length / 3);
            for (let from = 0; from < Math.max(live.length, 1); from += Math.max(third, 1)) {
              const position = await append(store, live.slice(from, from + third));
              await model.waitFor(position);
              await org.waitFor(position);
              const asStands = fc.constantFrom<DealOrder>(
                { field: "amount", direction: "DESC" },
                { field: "name", direction: "ASC" },
              );
              const questions = [
                ...fc.sample(question(repIds, accounts), { numRuns: 3, seed: picks.next().value }),
                ...fc.sample(
                  fc.record({
                    filter: fc.constant({}),
                    order: asStands,
                    asOf: fc.constant(null),
                    knownAt: fc.constant(null),
                    owners: fc.constant(null),
                  }),
                  { numRuns: 1, seed: picks.next().value },
                ),
              ];
              await check(model, model, questions, dealIds, picks);
              await check(org, model, questions, dealIds, picks);
            }
            expect(model.position).toBe(await store.headPosition());
            expect(org.position).toBe(await store.headPosition());
          } finally {
            await model.close();
            await org.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 240_000);
});
