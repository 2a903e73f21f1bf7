import { defaultConfig, eventLog, type GraphState, projectGraph } from "@revgraph/domain";
import { type EventType, interactionKinds, type RecordedEvent } from "@revgraph/events";
import { generateHistory } from "@revgraph/generator";
import { dimensions, type KpiQuery, type KpiResult } from "@revgraph/kpis";
import { FactStore } from "@revgraph/read-model";
import fc from "fast-check";
import { expect } from "vitest";

/**
 * Generated histories for the differential tests of the SQL path against the in-memory engine (the oracle): the
 * generator's deals plus extras it does not produce (late entries, corrections, roster, engagement, stage and risk
 * events), the query arbitrary, how answers are compared, and their fact tables.
 */

export const now = new Date("2026-11-15T00:00:00Z");
export const DAY = 86_400_000;

// Extras for the audit work: a rep hired again, which starts its team memberships afresh in the graph (its earlier
// transfers no longer count), with another region or none.
type Rehire = { kind: "rehire"; rep: number; team: number; region: string | null; daysBack: number };

const rehire: fc.Arbitrary<Rehire> = fc.record({
  kind: fc.constant("rehire" as const),
  rep: fc.nat(12),
  team: fc.nat(3),
  region: fc.constantFrom("NA", "EMEA", null),
  daysBack: fc.integer({ min: 0, max: 400 }),
});

/** The second `RepHired` of one of the history's reps, occurring at `occurredAt`, recorded at `recordedMs`. */
function rehired(change: Rehire, reps: readonly string[], occurredAt: string, recordedMs: number): Planned {
  const repId = reps[change.rep % reps.length] as string;
  return {
    streamId: `rep-${repId}`,
    type: "RepHired",
    data: {
      repId,
      name: `Rehired ${repId}`,
      teamId: `team-${change.team + 1}`,
      startDate: occurredAt.slice(0, 10),
      ...(change.region ? { region: change.region } : {}),
    },
    occurredAt,
    recordedMs,
  };
}

/** Extra events on top of a generated history: regressions, back-dated pushes, unconvertible currencies, transfers. */
export type Extra =
  | { kind: "regress"; deal: number; stage: string; daysBack: number }
  | { kind: "push"; deal: number; date: string; daysBack: number }
  | { kind: "amount"; deal: number; amount: number; currency: string; daysBack: number }
  | { kind: "owner"; deal: number; rep: number; daysBack: number }
  | { kind: "transfer"; rep: number; team: number; daysBack: number }
  | { kind: "reopen"; deal: number; daysBack: number }
  | Rehire
  | EngagementExtra;

export const extra: fc.Arbitrary<Extra> = fc.oneof(
  fc.record({
    kind: fc.constant("regress" as const),
    deal: fc.nat(40),
    stage: fc.constantFrom(...defaultConfig.stages.map((stage) => stage.id)),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({
    kind: fc.constant("push" as const),
    deal: fc.nat(40),
    date: fc.constantFrom("2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31", "2027-02-15"),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({
    kind: fc.constant("amount" as const),
    deal: fc.nat(40),
    amount: fc.integer({ min: 1, max: 900_000 }),
    currency: fc.constantFrom("USD", "EUR", "JPY"),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({
    kind: fc.constant("owner" as const),
    deal: fc.nat(40),
    rep: fc.nat(12),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({
    kind: fc.constant("transfer" as const),
    rep: fc.nat(12),
    team: fc.nat(3),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({ kind: fc.constant("reopen" as const), deal: fc.nat(40), daysBack: fc.integer({ min: 0, max: 200 }) }),
  rehire,
  engagementExtra(),
);

// --- Quotas, forecasts, ramps, departures and commit categories (rep-level measures) ---

/**
 * Extra roster and forecast events: the generator sets quarterly quotas and team/company forecasts only; and wins, so
 * that forecasts and quotas have won amounts to be set against in the few deals a history has.
 */
export type RosterExtra =
  | { kind: "quota"; rep: number; period: number; amount: number; daysBack: number }
  | { kind: "forecast"; scope: "rep" | "team" | "company"; id: number; period: number; amount: number; daysBack: number }
  | { kind: "depart"; rep: number; endDate: string; daysBack: number }
  | { kind: "rehire"; rep: number; team: number; startDate: string; ramp: number[] | null; daysBack: number }
  | { kind: "category"; deal: number; category: string; daysBack: number }
  | { kind: "win"; deal: number; amount: number; daysBack: number };

/** Periods the roster extras set quotas and forecasts for: the queried quarters, a half year and a month. */
const rosterPeriods = [
  { period: "2026-Q2", from: "2026-04-01", to: "2026-07-01" },
  { period: "2026-Q3", from: "2026-07-01", to: "2026-10-01" },
  { period: "2026-Q4", from: "2026-10-01", to: "2027-01-01" },
  { period: "2026-H1", from: "2026-01-01", to: "2026-07-01" },
  { period: "2026-08", from: "2026-08-01", to: "2026-09-01" },
] as const;

export const rosterForecast = fc.record({
  kind: fc.constant("forecast" as const),
  scope: fc.constantFrom("rep" as const, "team" as const, "company" as const),
  id: fc.nat(12),
  period: fc.nat(rosterPeriods.length - 1),
  amount: fc.integer({ min: 0, max: 2_000_000 }),
  daysBack: fc.integer({ min: 0, max: 400 }),
});

export const rosterWin = fc.record({
  kind: fc.constant("win" as const),
  deal: fc.nat(40),
  amount: fc.integer({ min: 1, max: 900_000 }),
  daysBack: fc.integer({ min: 0, max: 330 }),
});

export const rosterExtra: fc.Arbitrary<RosterExtra> = fc.oneof(
  fc.record({
    kind: fc.constant("quota" as const),
    rep: fc.nat(12),
    period: fc.nat(rosterPeriods.length - 1),
    amount: fc.integer({ min: 0, max: 900_000 }),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  rosterForecast,
  fc.record({
    kind: fc.constant("depart" as const),
    rep: fc.nat(12),
    endDate: fc.constantFrom("2025-12-15", "2026-03-31", "2026-07-15", "2026-10-10"),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({
    kind: fc.constant("rehire" as const),
    rep: fc.nat(12),
    team: fc.nat(3),
    startDate: fc.constantFrom("2025-11-20", "2026-02-01", "2026-05-15", "2026-08-03"),
    ramp: fc.option(fc.array(fc.constantFrom(0, 0.1, 0.3, 0.5, 0.8, 1), { maxLength: 5 }), { nil: null }),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({
    kind: fc.constant("category" as const),
    deal: fc.nat(40),
    category: fc.constantFrom("commit", "best_case", "pipeline"),
    daysBack: fc.integer({ min: 0, max: 400 }),
  }),
  rosterWin,
);

/** A roster extra as a planned event (null when the history has no rep or deal to attach it to). */
function rosterEvent(
  change: RosterExtra,
  reps: readonly string[],
  dealIds: readonly string[],
  stamp: { occurredAt: string; recordedMs: number },
): Planned | null {
  const repId = reps["rep" in change ? change.rep % Math.max(reps.length, 1) : 0];
  if (change.kind === "category" || change.kind === "win") {
    const dealId = dealIds[change.deal % Math.max(dealIds.length, 1)];
    if (!dealId) return null;
    const deal = { ...stamp, streamId: `deal-${dealId}` };
    return change.kind === "win"
      ? { ...deal, type: "DealWon", data: { dealId, amount: change.amount, currency: "USD" } }
      : { ...deal, type: "DealForecastCategoryChanged", data: { dealId, category: change.category } };
  }
  if (change.kind === "forecast") {
    const period = rosterPeriods[change.period] as (typeof rosterPeriods)[number];
    const id =
      change.scope === "company"
        ? "company"
        : change.scope === "team"
          ? `team-${(change.id % 4) + 1}`
          : reps[change.id % Math.max(reps.length, 1)];
    if (!id) return null;
    const data = { forecastId: `extra-${stamp.recordedMs}`, scope: { kind: change.scope, id }, ...period, amount: change.amount };
    return {
      ...stamp,
      streamId: `forecast-${change.scope}-${id}`,
      type: "ForecastSubmitted",
      data: { ...data, currency: "USD" },
    };
  }
  if (!repId) return null;
  const streamId = `rep-${repId}`;
  if (change.kind === "quota") {
    const period = rosterPeriods[change.period] as (typeof rosterPeriods)[number];
    return { ...stamp, streamId, type: "QuotaSet", data: { repId, ...period, amount: change.amount, currency: "USD" } };
  }
  if (change.kind === "depart") return { ...stamp, streamId, type: "RepDeparted", data: { repId, endDate: change.endDate } };
  const hire = { repId, name: `Rehired ${repId}`, teamId: `team-${change.team + 1}`, startDate: change.startDate };
  return { ...stamp, streamId, type: "RepHired", data: change.ramp ? { ...hire, ramp: change.ramp } : hire };
}

// --- end of roster extras ---

// ---- Engagement extras (interactions, leads, account owners, contact roles, thinly threaded deals) ----

/**
 * A batch of events the generator does not produce, for the engagement measures: account owners, interactions of any
 * kind (unheld meetings, without a deal, re-logged under an earlier id), leads (without an account, untouched, touched
 * late), removed contact roles, and deals that leave technical validation with few contacts (single-threaded).
 */
interface EngagementExtra {
  readonly kind: "engagement";
  readonly owners: readonly { account: number; rep: number; daysBack: number }[];
  readonly interactions: readonly {
    account: number;
    rep: number;
    onDeal: number | null;
    interactionKind: (typeof interactionKinds)[number];
    held: boolean;
    outbound: boolean;
    relog: number | null;
    daysBack: number;
    lagDays: number;
  }[];
  readonly leads: readonly { account: number | null; rep: number | null; hours: number; daysBack: number; lagDays: number }[];
  readonly roleRemovals: readonly { role: number; daysBack: number }[];
  readonly threadDeals: readonly {
    account: number;
    rep: number;
    amount: number;
    contacts: number;
    stayDays: number;
    /** An economic buyer is named at once; removed again half-way through the stay, or kept. */
    buyerRemoved: boolean;
    daysBack: number;
    lagDays: number;
  }[];
}

export function engagementExtra(): fc.Arbitrary<EngagementExtra> {
  const daysBack = fc.integer({ min: 0, max: 400 });
  const lagDays = fc.integer({ min: 0, max: 60 });
  return fc.record({
    kind: fc.constant("engagement" as const),
    owners: fc.array(fc.record({ account: fc.nat(30), rep: fc.nat(12), daysBack }), { maxLength: 6 }),
    interactions: fc.array(
      fc.record({
        account: fc.nat(30),
        rep: fc.nat(12),
        onDeal: fc.option(fc.nat(40)),
        interactionKind: fc.constantFrom(...interactionKinds),
        held: fc.boolean(),
        outbound: fc.boolean(),
        relog: fc.option(fc.nat(200)),
        daysBack,
        lagDays,
      }),
      { maxLength: 10 },
    ),
    leads: fc.array(
      fc.record({
        account: fc.option(fc.nat(30)),
        rep: fc.option(fc.nat(12)),
        hours: fc.integer({ min: 1, max: 20_000 }).map((centiHours) => centiHours / 100),
        daysBack,
        lagDays,
      }),
      { maxLength: 10 },
    ),
    roleRemovals: fc.array(fc.record({ role: fc.nat(100), daysBack }), { maxLength: 4 }),
    threadDeals: fc.array(
      fc.record({
        account: fc.nat(30),
        rep: fc.nat(12),
        amount: fc.constantFrom(10_000, 30_000, 80_000),
        contacts: fc.nat(4),
        stayDays: fc.integer({ min: 1, max: 60 }),
        buyerRemoved: fc.boolean(),
        daysBack,
        lagDays,
      }),
      { maxLength: 4 },
    ),
  });
}

const isEngagementExtra = (change: Extra): change is EngagementExtra => change.kind === "engagement";

/** The generated accounts, deals, interactions and role assignments the engagement extras refer to. */
function engagementIds() {
  const ids = {
    accounts: [] as string[],
    deals: [] as { dealId: string; accountId: string }[],
    interactions: [] as string[],
    roles: [] as { dealId: string; contactId: string; role: string }[],
    collect(type: string, data: Record<string, unknown>) {
      if (type === "AccountRegistered") ids.accounts.push(data.accountId as string);
      if (type === "DealCreated") ids.deals.push({ dealId: data.dealId as string, accountId: data.accountId as string });
      if (type === "InteractionLogged") ids.interactions.push(data.interactionId as string);
      if (type === "ContactRoleAssigned")
        ids.roles.push({ dealId: data.dealId as string, contactId: data.contactId as string, role: data.role as string });
    },
  };
  return ids;
}

const pick = <T>(list: readonly T[], index: number): T | undefined => list[index % Math.max(list.length, 1)];
const daysBefore = (end: number, days: number) => new Date(end - days * DAY).toISOString();

/** The events of an engagement batch: late ones recorded `lagDays` after they occurred, others with the corrections. */
function engagementEvents(
  change: EngagementExtra,
  ids: ReturnType<typeof engagementIds>,
  reps: readonly string[],
  correctionsAt: number,
  batch: number,
): Planned[] {
  const planned: Planned[] = [];
  const add = (streamId: string, type: EventType, data: Record<string, unknown>, occurredAt: string, recordedMs: number) =>
    planned.push({ streamId, type, data, occurredAt, recordedMs });
  change.owners.forEach((owner) => {
    const accountId = pick(ids.accounts, owner.account);
    const repId = pick(reps, owner.rep);
    if (accountId && repId)
      add(
        `account-${accountId}`,
        "AccountOwnerAssigned",
        { accountId, ownerRepId: repId },
        daysBefore(correctionsAt, owner.daysBack),
        correctionsAt,
      );
  });
  change.interactions.forEach((interaction, index) => {
    const deal = interaction.onDeal === null ? undefined : pick(ids.deals, interaction.onDeal);
    const accountId = deal?.accountId ?? pick(ids.accounts, interaction.account);
    const repId = pick(reps, interaction.rep);
    if (!accountId || !repId) return;
    const relogged = interaction.relog === null ? undefined : pick(ids.interactions, interaction.relog);
    const interactionId = relogged ?? `extra-i-${batch}-${index}`;
    const at = daysBefore(correctionsAt, interaction.daysBack);
    add(
      `interaction-${interactionId}`,
      "InteractionLogged",
      {
        interactionId,
        accountId,
        ...(deal ? { dealId: deal.dealId } : {}),
        repId,
        kind: interaction.interactionKind,
        direction: interaction.outbound ? "outbound" : "inbound",
        contactIds: [`${accountId}-c1`],
        held: interaction.held,
      },
      at,
      Date.parse(at) + interaction.lagDays * DAY,
    );
  });
  change.leads.forEach((lead, index) => {
    const leadId = `extra-lead-${batch}-${index}`;
    const accountId = lead.account === null ? undefined : pick(ids.accounts, lead.account);
    const repId = lead.rep === null ? undefined : pick(reps, lead.rep);
    const at = daysBefore(correctionsAt, lead.daysBack);
    const recordedMs = Date.parse(at) + lead.lagDays * DAY;
    add(`lead-${leadId}`, "LeadArrived", { leadId, ...(accountId ? { accountId } : {}), source: "web" }, at, recordedMs);
    const touchedMs = Date.parse(at) + lead.hours * 3_600_000;
    if (repId)
      add(
        `lead-${leadId}`,
        "LeadTouched",
        { leadId, repId, channel: "call" },
        new Date(touchedMs).toISOString(),
        Math.max(recordedMs, touchedMs) + 1,
      );
  });
  change.roleRemovals.forEach((removal) => {
    const role = pick(ids.roles, removal.role);
    if (role) add(`deal-${role.dealId}`, "ContactRoleRemoved", role, daysBefore(correctionsAt, removal.daysBack), correctionsAt);
  });
  change.threadDeals.forEach((thread, index) => {
    const dealId = `extra-deal-${batch}-${index}`;
    const accountId = pick(ids.accounts, thread.account);
    const repId = pick(reps, thread.rep);
    if (!accountId || !repId) return;
    const createdMs = correctionsAt - thread.daysBack * DAY;
    const recordedMs = createdMs + thread.lagDays * DAY;
    const stream = `deal-${dealId}`;
    add(
      `interaction-${dealId}-m`,
      "InteractionLogged",
      {
        interactionId: `${dealId}-meeting`,
        accountId,
        repId,
        kind: "meeting",
        direction: "outbound",
        contactIds: [`${accountId}-c1`],
        held: true,
      },
      new Date(createdMs - 3 * DAY).toISOString(),
      recordedMs - 3 * DAY,
    );
    add(
      stream,
      "DealCreated",
      {
        dealId,
        accountId,
        ownerRepId: repId,
        name: `thin ${dealId}`,
        amount: thread.amount,
        currency: "USD",
        stage: "technical_validation",
        expectedCloseDate: "2027-02-15",
      },
      new Date(createdMs).toISOString(),
      recordedMs,
    );
    for (let contact = 1; contact <= thread.contacts; contact++) {
      const at = createdMs + (contact * thread.stayDays * DAY) / (thread.contacts + 1);
      add(
        `interaction-${dealId}-${contact}`,
        "InteractionLogged",
        {
          interactionId: `${dealId}-i${contact}`,
          accountId,
          dealId,
          repId,
          kind: "call",
          direction: "outbound",
          contactIds: [`${accountId}-c${contact}`],
          held: true,
        },
        new Date(at).toISOString(),
        recordedMs + contact,
      );
    }
    const buyer = { dealId, contactId: `${accountId}-buyer`, role: "economic_buyer" };
    add(stream, "ContactRoleAssigned", buyer, new Date(createdMs + 1).toISOString(), recordedMs + 1);
    const removedMs = createdMs + (thread.stayDays * DAY) / 2;
    if (thread.buyerRemoved)
      add(stream, "ContactRoleRemoved", buyer, new Date(removedMs).toISOString(), recordedMs + (thread.stayDays * DAY) / 2);
    add(
      stream,
      "DealStageChanged",
      { dealId, from: "technical_validation", to: "business_case" },
      new Date(createdMs + thread.stayDays * DAY).toISOString(),
      recordedMs + thread.stayDays * DAY,
    );
  });
  return planned;
}

// ---- End of engagement extras ----

/**
 * Extras for stages, slippage and risks: interactions on deals (some logged again under an earlier id, with other
 * contacts), technical evaluators assigned and removed, deals reopened and closed a day later with their own expected
 * close date (never held by the open deal), stage changes that may repeat the current stage (no new stay), deals reopened into technical validation
 * with an evaluator (silent or not), and deals reopened with a close date some days later, perhaps pushed out two days on.
 */
export type StageExtra =
  | { kind: "touch"; deal: number; contact: number; id: number; daysBack: number }
  | { kind: "evaluator"; deal: number; contact: number; assigned: boolean; daysBack: number }
  | { kind: "close"; deal: number; won: boolean; date: string; daysBack: number }
  | { kind: "stage"; deal: number; stage: string; daysBack: number }
  | { kind: "evaluate"; deal: number; contact: number; touched: boolean; daysBack: number }
  | { kind: "slip"; deal: number; inDays: number; pushDays: number; daysBack: number };

export const stageExtra: fc.Arbitrary<StageExtra> = fc.oneof(
  fc.record({
    kind: fc.constant("touch" as const),
    deal: fc.nat(40),
    contact: fc.nat(3),
    id: fc.nat(5),
    daysBack: fc.integer({ min: 0, max: 200 }),
  }),
  fc.record({
    kind: fc.constant("evaluator" as const),
    deal: fc.nat(40),
    contact: fc.nat(3),
    assigned: fc.boolean(),
    daysBack: fc.integer({ min: 0, max: 200 }),
  }),
  fc.record({
    kind: fc.constant("close" as const),
    deal: fc.nat(40),
    won: fc.boolean(),
    date: fc.constantFrom("2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31"),
    daysBack: fc.integer({ min: 0, max: 300 }),
  }),
  fc.record({
    kind: fc.constant("stage" as const),
    deal: fc.nat(40),
    stage: fc.constantFrom(...defaultConfig.stages.map((stage) => stage.id), defaultConfig.wonStage),
    daysBack: fc.integer({ min: 0, max: 300 }),
  }),
  fc.record({
    kind: fc.constant("evaluate" as const),
    deal: fc.nat(40),
    contact: fc.nat(3),
    touched: fc.boolean(),
    daysBack: fc.integer({ min: 0, max: 300 }),
  }),
  fc.record({
    kind: fc.constant("slip" as const),
    deal: fc.nat(40),
    inDays: fc.integer({ min: 5, max: 60 }),
    pushDays: fc.integer({ min: 0, max: 120 }),
    daysBack: fc.integer({ min: 0, max: 300 }),
  }),
);

/** The calendar date `days` after an instant. */
const dayAfter = (instant: string, days: number) => new Date(Date.parse(instant) + days * DAY).toISOString().slice(0, 10);

/** What the stage extras need to know of the generated history: each deal's account and owner, each account's contacts. */
interface StageContext {
  readonly deals: ReadonlyMap<string, { accountId: string; ownerRepId: string }>;
  readonly contacts: ReadonlyMap<string, string[]>;
}

/** The events of the stage extras, recorded as a batch of corrections at `correctionsAt`. */
function stageExtraEvents(
  extras: readonly StageExtra[],
  context: StageContext,
  correctionsAt: number,
): Omit<Planned, "recordedMs">[] {
  const dealIds = [...context.deals.keys()];
  return extras.flatMap((change): Omit<Planned, "recordedMs">[] => {
    const dealId = dealIds[change.deal % Math.max(dealIds.length, 1)];
    const deal = dealId === undefined ? undefined : context.deals.get(dealId);
    if (!dealId || !deal) return [];
    const occurredAt = new Date(correctionsAt - change.daysBack * DAY).toISOString();
    const contacts = context.contacts.get(deal.accountId) ?? [];
    const contactId = contacts["contact" in change ? change.contact % Math.max(contacts.length, 1) : 0];
    const event = (type: EventType, data: Record<string, unknown>) => [{ streamId: `deal-${dealId}`, type, data, occurredAt }];
    if (change.kind === "touch")
      return event("InteractionLogged", {
        interactionId: `extra-touch-${change.id}`,
        accountId: deal.accountId,
        dealId,
        repId: deal.ownerRepId,
        kind: "call",
        direction: "outbound",
        contactIds: contactId ? [contactId] : [],
        held: true,
      });
    if (change.kind === "evaluator")
      return contactId
        ? event(change.assigned ? "ContactRoleAssigned" : "ContactRoleRemoved", {
            dealId,
            contactId,
            role: "technical_evaluator",
          })
        : [];
    if (change.kind === "close")
      return [
        ...event("DealReopened", { dealId, stage: "negotiation" }),
        {
          ...(change.won
            ? event("DealWon", { dealId, amount: 50_000, currency: "USD", expectedCloseDate: change.date })
            : event("DealLost", { dealId, reason: "timing", expectedCloseDate: change.date }))[0],
          occurredAt: new Date(Date.parse(occurredAt) + DAY).toISOString(),
        } as Omit<Planned, "recordedMs">,
      ];
    if (change.kind === "evaluate")
      return [
        ...event("DealReopened", { dealId, stage: defaultConfig.technicalValidationStage }),
        ...(contactId ? event("ContactRoleAssigned", { dealId, contactId, role: "technical_evaluator" }) : []),
        ...(contactId && change.touched
          ? event("InteractionLogged", {
              interactionId: `extra-evaluate-${change.deal}-${change.daysBack}`,
              accountId: deal.accountId,
              dealId,
              repId: deal.ownerRepId,
              kind: "demo",
              direction: "outbound",
              contactIds: [contactId],
              held: true,
            })
          : []),
      ];
    if (change.kind === "slip")
      return [
        ...event("DealReopened", { dealId, stage: "business_case" }),
        ...event("DealCloseDateChanged", { dealId, expectedCloseDate: dayAfter(occurredAt, change.inDays) }),
        ...(change.pushDays > 0
          ? [
              {
                ...event("DealCloseDateChanged", {
                  dealId,
                  expectedCloseDate: dayAfter(occurredAt, change.inDays + change.pushDays),
                })[0],
                occurredAt: new Date(Date.parse(occurredAt) + 2 * DAY).toISOString(),
              } as Omit<Planned, "recordedMs">,
            ]
          : []),
      ];
    const from = change.stage === defaultConfig.wonStage ? "negotiation" : change.stage;
    return event("DealStageChanged", { dealId, from, to: change.stage });
  });
}

interface Planned {
  readonly streamId: string;
  readonly type: EventType;
  readonly data: Record<string, unknown>;
  readonly occurredAt: string;
  /** When the event is recorded: its business time plus a lag (late entries), or a batch of back-dated corrections. */
  readonly recordedMs: number;
}

/** A generated history plus extras, each event recorded some time after it occurred, in record-time order. */
export function history(
  seed: number,
  deals: number,
  lags: number[],
  extras: Extra[],
  rosterExtras: RosterExtra[] = [],
  stageExtras: StageExtra[] = [],
): RecordedEvent[] {
  const planned: Planned[] = [];
  let index = 0;
  const dealIds: string[] = [];
  const repIds = new Set<string>();
  const engagement = engagementIds();
  const stageContext = {
    deals: new Map<string, { accountId: string; ownerRepId: string }>(),
    contacts: new Map<string, string[]>(),
  };
  for (const batch of generateHistory({ deals, seed, now, historyDays: 420 })) {
    for (const event of batch.events) {
      const data = event.data as Record<string, unknown>;
      if (event.type === "DealCreated") dealIds.push(data.dealId as string);
      if (event.type === "RepHired") repIds.add(data.repId as string);
      engagement.collect(event.type, data);
      if (event.type === "DealCreated")
        stageContext.deals.set(data.dealId as string, {
          accountId: data.accountId as string,
          ownerRepId: data.ownerRepId as string,
        });
      if (event.type === "ContactAdded")
        stageContext.contacts.set(data.accountId as string, [
          ...(stageContext.contacts.get(data.accountId as string) ?? []),
          data.contactId as string,
        ]);
      const occurredAt = new Date(event.occurredAt ?? now).toISOString();
      const lag = (lags[index++ % Math.max(lags.length, 1)] ?? 0) * DAY;
      planned.push({
        streamId: batch.streamId,
        type: event.type as EventType,
        data,
        occurredAt,
        recordedMs: Date.parse(occurredAt) + lag,
      });
    }
  }
  const reps = [...repIds].sort();
  const correctionsAt = now.getTime() - 20 * DAY;
  for (const change of extras) {
    if (isEngagementExtra(change)) {
      planned.push(...engagementEvents(change, engagement, reps, correctionsAt, planned.length));
      continue;
    }
    const at = new Date(correctionsAt - change.daysBack * DAY).toISOString();
    const dealId = dealIds[("deal" in change ? change.deal : 0) % Math.max(dealIds.length, 1)];
    if (!dealId) continue;
    const deal = { streamId: `deal-${dealId}`, occurredAt: at, recordedMs: correctionsAt + planned.length };
    if (change.kind === "regress")
      planned.push({ ...deal, type: "DealStageChanged", data: { dealId, from: "negotiation", to: change.stage } });
    if (change.kind === "push")
      planned.push({ ...deal, type: "DealCloseDateChanged", data: { dealId, expectedCloseDate: change.date } });
    if (change.kind === "amount")
      planned.push({ ...deal, type: "DealAmountChanged", data: { dealId, amount: change.amount, currency: change.currency } });
    if (change.kind === "owner" && reps.length)
      planned.push({ ...deal, type: "DealOwnerChanged", data: { dealId, ownerRepId: reps[change.rep % reps.length] } });
    if (change.kind === "rehire" && reps.length) planned.push(rehired(change, reps, at, correctionsAt + planned.length));
    if (change.kind === "reopen") planned.push({ ...deal, type: "DealReopened", data: { dealId, stage: "business_case" } });
    if (change.kind === "transfer" && reps.length) {
      const repId = reps[change.rep % reps.length] as string;
      planned.push({
        streamId: `rep-${repId}`,
        type: "RepTransferred",
        data: { repId, teamId: `team-${change.team + 1}` },
        occurredAt: at,
        recordedMs: correctionsAt + planned.length,
      });
    }
  }
  for (const change of rosterExtras) {
    const stamp = {
      occurredAt: new Date(correctionsAt - change.daysBack * DAY).toISOString(),
      recordedMs: correctionsAt + planned.length,
    };
    const event = rosterEvent(change, reps, dealIds, stamp);
    if (event) planned.push(event);
  }
  for (const event of stageExtraEvents(stageExtras, stageContext, correctionsAt))
    planned.push({ ...event, recordedMs: correctionsAt + planned.length });
  planned.sort((a, b) => a.recordedMs - b.recordedMs);
  const log = eventLog("2020-01-01T00:00:00.000Z");
  for (const event of planned) {
    log.recordAt(new Date(Math.min(event.recordedMs, now.getTime())).toISOString());
    log.add(event.streamId, event.type, event.data, event.occurredAt);
  }
  return log.events;
}

export const query: fc.Arbitrary<Omit<KpiQuery, "kpis">> = fc.record(
  {
    period: fc.constantFrom("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2025-Q4", "2026-H1", "2026-08", "trailing-90d", "2026"),
    timeZone: fc.constantFrom("UTC", "America/New_York", "Asia/Tokyo", "Europe/Berlin"),
    groupBy: fc.constantFrom(...dimensions),
    filter: fc.dictionary(
      fc.constantFrom(...dimensions),
      fc.array(
        fc.constantFrom("team-1", "team-2", "rep-1", "rep-3", "NA", "EMEA", "SMB", "Mid-Market", "Core", "unknown", "none"),
        {
          maxLength: 3,
        },
      ),
      { maxKeys: 2 },
    ),
    asOf: fc.constantFrom("2026-03-01", "2026-06-30T12:00:00Z", "2026-10-01", "2027-01-01"),
    knownAt: fc.constantFrom("2026-02-01", "2026-07-15T08:00:00Z", "2026-10-20", "2026-11-01"),
    forecastKnownAt: fc.constantFrom("2026-03-29", "2026-07-10T00:00:00Z", "2026-09-01", "2027-01-01"),
  },
  { requiredKeys: ["period", "timeZone"] },
);

export const close = (a: number | null | undefined, b: number | null | undefined) =>
  a === b || (typeof a === "number" && typeof b === "number" && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)));

/** Numbers compared with a relative tolerance (sums run in another order in SQL), everything else exactly. */
export function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" || typeof b === "number") return close(a as number, b as number);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, at) => same(item, b[at]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
  }
  return a === b;
}

/** A result as compared: value, reason, band, inputs, warnings, and the set of contributing events. */
export function comparable(result: KpiResult) {
  return {
    kpi: `${result.definition.id}@${result.definition.version}`,
    group: result.group,
    value: result.value,
    nullReason: result.nullReason,
    band: result.band?.id ?? null,
    inputs: result.derivation.inputs,
    warnings: result.derivation.warnings,
    eventIds: [...result.derivation.eventIds].sort(),
  };
}

/** One in-memory database for every generated history, emptied before each. */
let shared: FactStore | undefined;

/** Closes the database of {@link projectFacts} (after a spec's last test). */
export function closeProjectedFacts(): void {
  shared?.close();
  shared = undefined;
}

/** The fact tables of a log: most of it in one transaction (catch-up), its last events one by one (live). */
export async function projectFacts(events: readonly RecordedEvent[], state: GraphState): Promise<FactStore> {
  shared ??= await FactStore.open({ path: ":memory:", config: defaultConfig, threads: 1 });
  const facts = shared;
  await facts.reset();
  const live = projectGraph([]);
  const catchUp = events.length - 12;
  for (const [index, event] of events.entries()) {
    projectGraph([event], live);
    facts.apply(live, event);
    if (index >= catchUp) await facts.flush();
  }
  await facts.flush();
  expect(facts.position).toBe(state.position);
  return facts;
}
