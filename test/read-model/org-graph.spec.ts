import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig, eventStreamKinds, type GraphState, orgEventTypes, timeSlice } from "@revgraph/domain";
import type { EventStore } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { canonicalJson, type EventType, type NewEvent } from "@revgraph/events";
import { generateHistory } from "@revgraph/generator";
import { RevenueReadModel } from "@revgraph/read-model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { factContents } from "./fact-contents.ts";

const now = new Date("2026-11-15T00:00:00Z");
const DAY = 86_400_000;

/** The ids of a seeded history the extra events refer to. */
interface Ids {
  readonly deals: { dealId: string; accountId: string; repId: string }[];
  readonly accounts: string[];
  readonly reps: string[];
  readonly contacts: { contactId: string; accountId: string }[];
  readonly interactions: string[];
}

async function idsOf(store: EventStore): Promise<Ids> {
  const ids: Ids = { deals: [], accounts: [], reps: [], contacts: [], interactions: [] };
  for await (const event of store.readAll()) {
    const data = event.data as Record<string, string>;
    if (event.type === "DealCreated")
      ids.deals.push({ dealId: data.dealId as string, accountId: data.accountId as string, repId: data.ownerRepId as string });
    if (event.type === "AccountRegistered") ids.accounts.push(data.accountId as string);
    if (event.type === "RepHired") ids.reps.push(data.repId as string);
    if (event.type === "ContactAdded")
      ids.contacts.push({ contactId: data.contactId as string, accountId: data.accountId as string });
    if (event.type === "InteractionLogged") ids.interactions.push(data.interactionId as string);
  }
  return ids;
}

/** An extra event on top of a seeded history, by index into its ids (wrapped). */
type Extra =
  | { kind: "stage"; deal: number; stage: string; daysBack: number }
  | { kind: "amount"; deal: number; amount: number; daysBack: number }
  | { kind: "closeDate"; deal: number; date: string; daysBack: number }
  | { kind: "relog"; interaction: number; deal: number | null; contact: number; daysBack: number }
  | { kind: "role"; deal: number; contact: number; daysBack: number }
  | { kind: "close"; deal: number; won: boolean; daysBack: number }
  | { kind: "reopen"; deal: number; daysBack: number }
  | { kind: "newDeal"; account: number; rep: number; daysBack: number }
  | { kind: "transfer"; rep: number; team: number; daysBack: number }
  | { kind: "owner"; account: number; rep: number; daysBack: number }
  | { kind: "rate"; rate: number; daysBack: number };

const daysBack = fc.integer({ min: 0, max: 400 });
const extra: fc.Arbitrary<Extra> = fc.oneof(
  fc.record({
    kind: fc.constant("stage" as const),
    deal: fc.nat(60),
    stage: fc.constantFrom(...defaultConfig.stages.map((stage) => stage.id)),
    daysBack,
  }),
  fc.record({ kind: fc.constant("amount" as const), deal: fc.nat(60), amount: fc.integer({ min: 1, max: 900_000 }), daysBack }),
  fc.record({
    kind: fc.constant("closeDate" as const),
    deal: fc.nat(60),
    date: fc.constantFrom("2026-03-31", "2026-12-31", "2027-02-15"),
    daysBack,
  }),
  fc.record({
    kind: fc.constant("relog" as const),
    interaction: fc.nat(400),
    deal: fc.option(fc.nat(60)),
    contact: fc.nat(100),
    daysBack,
  }),
  fc.record({ kind: fc.constant("role" as const), deal: fc.nat(60), contact: fc.nat(100), daysBack }),
  fc.record({ kind: fc.constant("close" as const), deal: fc.nat(60), won: fc.boolean(), daysBack }),
  fc.record({ kind: fc.constant("reopen" as const), deal: fc.nat(60), daysBack }),
  fc.record({ kind: fc.constant("newDeal" as const), account: fc.nat(40), rep: fc.nat(12), daysBack }),
  fc.record({ kind: fc.constant("transfer" as const), rep: fc.nat(12), team: fc.nat(3), daysBack }),
  fc.record({ kind: fc.constant("owner" as const), account: fc.nat(40), rep: fc.nat(12), daysBack }),
  fc.record({ kind: fc.constant("rate" as const), rate: fc.integer({ min: 50, max: 200 }).map((r) => r / 100), daysBack }),
);

const pick = <T>(list: readonly T[], index: number): T => list[index % list.length] as T;

type Planned = { streamId: string; event: NewEvent };
type Planner<K extends Extra["kind"]> = (
  change: Extract<Extra, { kind: K }>,
  ids: Ids,
  serial: number,
  on: {
    deal: (deal: number, type: string, data: Record<string, unknown>) => Planned;
    stream: (streamId: string, type: string, data: Record<string, unknown>) => Planned;
    occurredAt: string;
  },
) => Planned;

/** How each kind of extra becomes a stream and an event (new deals are added to `ids`, so later extras may name them). */
const planners: { [K in Extra["kind"]]: Planner<K> } = {
  stage: (change, _ids, _serial, on) => on.deal(change.deal, "DealStageChanged", { from: "qualification", to: change.stage }),
  amount: (change, _ids, _serial, on) => on.deal(change.deal, "DealAmountChanged", { amount: change.amount, currency: "EUR" }),
  closeDate: (change, _ids, _serial, on) => on.deal(change.deal, "DealCloseDateChanged", { expectedCloseDate: change.date }),
  role: (change, ids, _serial, on) =>
    on.deal(change.deal, "ContactRoleAssigned", { contactId: pick(ids.contacts, change.contact).contactId, role: "champion" }),
  close: (change, _ids, _serial, on) =>
    change.won
      ? on.deal(change.deal, "DealWon", { amount: 12_345, currency: "USD" })
      : on.deal(change.deal, "DealLost", { reason: "timing", amount: 999 }),
  reopen: (change, _ids, _serial, on) => on.deal(change.deal, "DealReopened", { stage: "discovery" }),
  // An interaction id logged again (or first) on another deal, or on no deal (then on its account's stream).
  relog: (change, ids, serial, on) => {
    const interactionId = change.interaction < 200 ? pick(ids.interactions, change.interaction) : `extra-i-${serial}`;
    const contact = pick(ids.contacts, change.contact);
    const logged = {
      interactionId,
      repId: pick(ids.reps, change.contact),
      kind: "call",
      direction: "inbound",
      contactIds: [contact.contactId, `extra-contact-${serial}`],
      held: change.daysBack % 2 === 0,
    };
    return change.deal === null
      ? on.stream(`account-${contact.accountId}`, "InteractionLogged", { ...logged, accountId: contact.accountId })
      : on.deal(change.deal, "InteractionLogged", { ...logged, accountId: pick(ids.deals, change.deal).accountId });
  },
  newDeal: (change, ids, serial, on) => {
    const dealId = `extra-deal-${serial}`;
    const accountId = pick(ids.accounts, change.account);
    const repId = pick(ids.reps, change.rep);
    ids.deals.push({ dealId, accountId, repId });
    return on.stream(`deal-${dealId}`, "DealCreated", {
      dealId,
      accountId,
      ownerRepId: repId,
      name: `Extra ${serial}`,
      amount: 40_000,
      currency: "USD",
      stage: "discovery",
      expectedCloseDate: "2027-01-31",
    });
  },
  transfer: (change, ids, _serial, on) => {
    const repId = pick(ids.reps, change.rep);
    return on.stream(`rep-${repId}`, "RepTransferred", { repId, teamId: `team-${change.team + 1}` });
  },
  owner: (change, ids, _serial, on) => {
    const accountId = pick(ids.accounts, change.account);
    return on.stream(`account-${accountId}`, "AccountOwnerAssigned", { accountId, ownerRepId: pick(ids.reps, change.rep) });
  },
  rate: (change, _ids, _serial, on) =>
    on.stream("fx-EUR", "ExchangeRateSet", {
      currency: "EUR",
      baseCurrency: "USD",
      rate: change.rate,
      effectiveDate: on.occurredAt.slice(0, 10),
    }),
};

/** The extra as a stream and an event. */
function planned(change: Extra, ids: Ids, serial: number): Planned {
  const occurredAt = new Date(now.getTime() - change.daysBack * DAY).toISOString();
  const stream = (streamId: string, type: string, data: Record<string, unknown>): Planned => ({
    streamId,
    event: { type, occurredAt, data } as NewEvent,
  });
  const deal = (index: number, type: string, data: Record<string, unknown>) => {
    const { dealId } = pick(ids.deals, index);
    return stream(`deal-${dealId}`, type, { dealId, ...data });
  };
  return (planners[change.kind] as Planner<Extra["kind"]>)(change as never, ids, serial, { deal, stream, occurredAt });
}

/** Appends batches of extras, each batch in one call (runs of one stream in one request); resolves to the last position. */
async function appendExtras(store: EventStore, batches: readonly (readonly Extra[])[], ids: Ids, serial: { next: number }) {
  let last = await store.headPosition();
  for (const batch of batches) {
    const requests: { streamId: string; events: NewEvent[] }[] = [];
    for (const change of batch) {
      const { streamId, event } = planned(change, ids, serial.next++);
      const previous = requests.at(-1);
      if (previous?.streamId === streamId) previous.events.push(event);
      else requests.push({ streamId, events: [event] });
    }
    const results = await store.appendMany(requests);
    last = Math.max(last, ...results.flatMap((result) => result.positions));
  }
  return last;
}

/** The org part of a graph, as canonical JSON. */
function orgPart(state: GraphState): string {
  const { accounts, contacts, teams, reps, quotas, leads, forecasts, rates } = state;
  return canonicalJson({ accounts, contacts, teams, reps, quotas, leads, forecasts, rates });
}

const batches = fc.array(fc.array(extra, { minLength: 1, maxLength: 4 }), { maxLength: 5 });

describe("the stream kind of each event type", () => {
  it("splits the generator's events as they are stored: deal events on their deal's stream, no other event on a deal's", () => {
    const misplaced: string[] = [];
    for (const batch of generateHistory({ deals: 60, seed: 11, now }))
      for (const event of batch.events) {
        const dealId = (event.data as { dealId?: string }).dealId;
        const onDeal = eventStreamKinds[event.type as EventType] === "deal";
        if (onDeal ? batch.streamId !== `deal-${dealId}` : batch.streamId.startsWith("deal-"))
          misplaced.push(`${event.type} on ${batch.streamId}`);
      }
    expect(misplaced).toEqual([]);
    expect(orgEventTypes).not.toContain("InteractionLogged");
    expect(orgEventTypes).toContain("ContactAdded");
  });
});

describe("a read model with the org graph", () => {
  it("writes the fact tables of the full graph byte for byte: cold, restarted mid-log, live, with deals evicted and reloaded", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          deals: fc.integer({ min: 6, max: 20 }),
          seed: fc.nat(1_000),
          firstFileFull: fc.boolean(),
          tailByFull: fc.boolean(),
          tail: batches,
          live: batches,
          workingSetDeals: fc.integer({ min: 1, max: 4 }),
          // While catching up more than a batch: a bound of its own, trimmed back to the live one at the end.
          catchUpWorkingSetDeals: fc.integer({ min: 1, max: 6 }),
          // …which doubles while dropped deals are read again often, up to this ceiling.
          maxCatchUpWorkingSetDeals: fc.integer({ min: 1, max: 24 }),
          // Small batches: several transactions per catch-up, in catch-up mode (a tail of more than one batch).
          factsBatch: fc.constantFrom(40, 20_000),
          // The org part kept after every write with an org event, or on close only.
          keepOrgGraphAfter: fc.constantFrom(1, 10_000),
        }),
        async ({
          deals,
          seed,
          firstFileFull,
          tailByFull,
          tail,
          live,
          workingSetDeals,
          catchUpWorkingSetDeals,
          maxCatchUpWorkingSetDeals,
          factsBatch,
          keepOrgGraphAfter,
        }) => {
          const dir = mkdtempSync(join(tmpdir(), "revgraph-org-graph-"));
          const store = openSqliteEventStore({ path: join(dir, "revgraph.db") });
          try {
            await seedDemoData(store, { deals, seed, now });
            const ids = await idsOf(store);
            const serial = { next: 0 };
            const orgFacts = join(dir, "org.duckdb");
            const common = { store, config: defaultConfig, factsPath: orgFacts, factsBatch, keepOrgGraphAfter };
            // The first file: built from nothing by either kind of graph.
            const bounds = { workingSetDeals, catchUpWorkingSetDeals, maxCatchUpWorkingSetDeals };
            const first = firstFileFull ? {} : ({ graph: "org", ...bounds } as const);
            await (await RevenueReadModel.open({ ...common, follow: false, ...first })).close();
            // A tail to catch up on restart (org and deal events), then live events after opening. A tail a full graph
            // writes leaves the org part kept in the file (by the org graph that built it) behind the file's position.
            await appendExtras(store, tail, ids, serial);
            if (tailByFull) await (await RevenueReadModel.open({ ...common, follow: false })).close();
            const model = await RevenueReadModel.open({ ...common, graph: "org", ...bounds });
            const last = await appendExtras(store, live, ids, serial);
            await model.waitFor(last);
            expect(model.position).toBe(last);
            const org = orgPart(model.state);
            expect(Object.keys(model.state.deals).length).toBeLessThanOrEqual(workingSetDeals);
            await model.close();
            // Opened again at the head: the org part kept on close.
            const reopened = await RevenueReadModel.open({ ...common, graph: "org", follow: false });
            expect(orgPart(reopened.state)).toBe(org);
            await reopened.close();

            const full = await RevenueReadModel.open({
              store,
              config: defaultConfig,
              follow: false,
              factsPath: join(dir, "full.duckdb"),
            });
            expect(org).toBe(orgPart(full.state));
            await full.close();
            expect(await factContents(orgFacts)).toEqual(await factContents(join(dir, "full.duckdb")));
          } finally {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 8 },
    );
  }, 240_000);

  it("restores the org part from the fact file's position, refuses whole-graph questions and knownAt slices", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-org-graph-"));
    const store = openSqliteEventStore({ path: join(dir, "revgraph.db") });
    try {
      await seedDemoData(store, { deals: 10, seed: 3, now });
      const factsPath = join(dir, "facts.duckdb");
      await (await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath })).close();
      const model = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graph: "org" });
      const full = await RevenueReadModel.open({ store, config: defaultConfig, follow: false });
      expect(model.position).toBe(full.position);
      expect(model.state.position).toBe(full.state.position);
      expect(orgPart(model.state)).toBe(orgPart(full.state));
      expect(Object.keys(model.state.deals)).toEqual([]);
      expect(() => model.currentDeals()).toThrow(/graph "org"/);
      await expect(model.replayedState()).rejects.toThrow(/graph "org"/);
      expect(() => timeSlice(model.state, { knownAt: now.toISOString() })).toThrow(/record_log/);
      expect(timeSlice(model.state).maxPosition).toBe(full.position);
      await model.close();
      // The org part kept beside the file on close, one line per entry, is used only when it comes from this log,
      // has this layout and reads whole; otherwise the org events are replayed.
      const sidecar = `${factsPath}.org.ndjson`;
      const [header, ...rest] = readFileSync(sidecar, "utf8").trimEnd().split("\n");
      const entries = rest.slice(0, -1);
      expect(entries.length).toBeGreaterThan(10);
      expect(JSON.parse(rest.at(-1) as string)).toEqual({ entries: entries.length });
      const accountsDropped = entries.filter((line) => !line.startsWith('["accounts"'));
      const counted = (lines: readonly string[]) => [...lines, JSON.stringify({ entries: lines.length })];
      const tampered = {
        "of another log": [
          JSON.stringify({ ...JSON.parse(header as string), eventId: "of-another-log" }),
          ...counted(accountsDropped),
        ],
        "of another layout": [JSON.stringify({ ...JSON.parse(header as string), layout: "one JSON document" })],
        "cut in a line": [header, ...accountsDropped, (entries.at(-1) as string).slice(0, 10)],
        "cut at a line's end": [header, ...entries.slice(0, -3)],
        miscounted: [header, ...entries.slice(0, -3), JSON.stringify({ entries: entries.length })],
      };
      // A whole file of this log is what the graph restores (here one without its accounts: none come back).
      writeFileSync(sidecar, `${[header, ...counted(accountsDropped)].join("\n")}\n`);
      const restored = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graph: "org" });
      expect(restored.state.accounts).toEqual({});
      expect(Object.keys(restored.state.reps)).toEqual(Object.keys(full.state.reps));
      await restored.close();
      for (const [how, lines] of Object.entries(tampered)) {
        writeFileSync(sidecar, `${lines.join("\n")}\n`);
        const again = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath, graph: "org" });
        expect(orgPart(again.state), how).toBe(orgPart(full.state));
        await again.close();
      }
      await full.close();
      await expect(RevenueReadModel.open({ store, config: defaultConfig, graph: "org" })).rejects.toThrow(/needs factsPath/);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses an event naming a deal that is not on the deal's stream, with a clear error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-org-graph-"));
    const store = openSqliteEventStore({ path: join(dir, "revgraph.db") });
    try {
      await seedDemoData(store, { deals: 4, seed: 3, now });
      const { deals, accounts, reps } = await idsOf(store);
      await store.append("interaction-stray", [
        {
          type: "InteractionLogged",
          occurredAt: now.toISOString(),
          data: {
            interactionId: "stray",
            accountId: accounts[0],
            dealId: deals[0]?.dealId,
            repId: reps[0],
            kind: "call",
            direction: "inbound",
            contactIds: [],
          },
        },
      ]);
      await expect(
        RevenueReadModel.open({
          store,
          config: defaultConfig,
          follow: false,
          factsPath: join(dir, "facts.duckdb"),
          graph: "org",
        }),
      ).rejects.toThrow(/is on stream "interaction-stray"/);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
