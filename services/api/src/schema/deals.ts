import { type DealSnapshot, dealAt, listOf, timeSlice } from "@revgraph/domain";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { listConnection, pageOf, pageWindow } from "./connection.ts";
import { dealRisksFor, risksOfDeal } from "./kpis.ts";
import { AccountRef, ContactRef, DealRef, DealRiskRef, EventRef, InteractionRef, RepRef, StageStayRef } from "./refs.ts";

const DealStatus = builder.enumType("DealStatus", { values: ["open", "won", "lost"] as const });
const DealOrderField = builder.enumType("DealOrderField", {
  values: {
    AMOUNT: { value: "amount" },
    EXPECTED_CLOSE_DATE: { value: "expectedCloseDate" },
    CREATED_AT: { value: "createdAt" },
    NAME: { value: "name" },
    ID: { value: "id" },
  } as const,
});
const OrderDirection = builder.enumType("OrderDirection", { values: ["ASC", "DESC"] as const });

const DealFilter = builder.inputType("DealFilter", {
  fields: (t) => ({
    status: t.field({ type: [DealStatus], required: false }),
    stages: t.stringList({ required: false }),
    ownerRepIds: t.stringList({ required: false }),
    accountId: t.string({ required: false }),
    segment: t.string({ required: false }),
    expectedCloseFrom: t.field({ type: "Date", required: false, description: "Inclusive." }),
    expectedCloseTo: t.field({ type: "Date", required: false, description: "Exclusive." }),
    minAmount: t.float({ required: false }),
  }),
});
const DealOrder = builder.inputType("DealOrder", {
  fields: (t) => ({
    field: t.field({ type: DealOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: false, defaultValue: "ASC" }),
  }),
});

/** Deals as of a business time and/or record time; "as things stand" comes from the read model's cache. */
export function dealsAt(context: Context, asOf?: string | null, knownAt?: string | null): DealSnapshot[] {
  if (!asOf && !knownAt) return [...context.readModel.currentDeals().values()];
  const state = context.readModel.state;
  const slice = timeSlice(state, { asOf: asOf ?? undefined, knownAt: knownAt ?? undefined });
  const deals: DealSnapshot[] = [];
  for (const facts of listOf(state, "deals")) {
    const snapshot = dealAt(state, facts, slice, context.config);
    if (snapshot) deals.push(snapshot);
  }
  return deals;
}

/** The deal when the caller may see it, else null: hidden and missing deals get the same answer. */
function visibleDeal(context: Context, deal: DealSnapshot | null | undefined): DealSnapshot | null {
  return deal && context.viewer?.canSeeDeal(deal) ? deal : null;
}

builder.node(DealRef, {
  description: "A deal as it stands (or stood, with asOf/knownAt), derived from its events.",
  authScopes: (deal, context) => context.viewer?.canSeeDeal(deal) ?? false,
  id: { resolve: (deal) => deal.id },
  // A deal the caller may not see answers like a missing one (null), so existence cannot be probed.
  loadOne: async (id, context) => visibleDeal(context, await context.loaders.deal.load(id)),
  fields: (t) => ({
    dealId: t.exposeString("id"),
    name: t.exposeString("name"),
    amount: t.exposeFloat("amount"),
    currency: t.exposeString("currency"),
    stage: t.exposeString("stage"),
    status: t.field({ type: DealStatus, resolve: (deal) => deal.status }),
    probability: t.exposeFloat("probability", {
      description: "Explicit probability since the current stage began, else the stage default.",
    }),
    forecastCategory: t.exposeString("forecastCategory"),
    expectedCloseDate: t.expose("expectedCloseDate", { type: "Date" }),
    closeDateHistory: t.field({ type: ["Date"], resolve: (deal) => deal.closeDateHistory.map((entry) => entry.date) }),
    pushes: t.exposeInt("pushes", { description: "Times the expected close date moved later." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    closedAt: t.field({ type: "DateTime", nullable: true, resolve: (deal) => deal.closed?.at ?? null }),
    lossReason: t.field({
      type: "String",
      nullable: true,
      resolve: (deal) => (deal.closed?.kind === "lost" ? (deal.closed.reason ?? null) : null),
    }),
    competitor: t.field({ type: "String", nullable: true, resolve: (deal) => deal.closed?.competitor ?? null }),
    segment: t.exposeString("segment"),
    product: t.exposeString("product", { nullable: true }),
    leadSource: t.exposeString("leadSource", { nullable: true }),
    owner: t.field({
      type: RepRef,
      nullable: true,
      resolve: (deal, _args, context) => context.loaders.rep.load(deal.ownerRepId),
    }),
    account: t.field({
      type: AccountRef,
      nullable: true,
      resolve: (deal, _args, context) => context.loaders.account.load(deal.accountId),
    }),
    stageHistory: t.field({ type: [StageStayRef], resolve: (deal) => [...deal.stays] }),
    engagedContactCount: t.int({
      description: "Distinct contacts in an interaction or holding a buying role.",
      resolve: (deal) => deal.engagedContactIds.length,
    }),
    contacts: t.field({
      type: [DealContactRef],
      resolve: (deal) =>
        deal.engagedContactIds.map((contactId) => ({ contactId, roles: [...(deal.roles.get(contactId) ?? [])] })),
    }),
    gates: t.field({
      type: ["String"],
      description: "Gate evidence recorded so far.",
      resolve: (deal) => [...deal.gates.keys()],
    }),
    interactions: t.connection({
      type: InteractionRef,
      resolve: (deal, args, context) =>
        listConnection(
          args,
          deal.interactionIds.flatMap((id) => context.readModel.state.interactions[id] ?? []),
        ),
    }),
    risks: t.field({
      type: [DealRiskRef],
      resolve: (deal, _args, context) => risksOfDeal(context, deal),
    }),
    events: t.connection({
      type: EventRef,
      authScopes: { traces: true },
      description: "The deal's own stream: the exact events behind everything above.",
      resolve: async (deal, args, context) => {
        const window = pageWindow(args);
        return pageOf(
          await context.store.readStream(`deal-${deal.id}`),
          (event) => event.globalPosition,
          window,
          (event) => context.viewer?.canSeeEvent(event) ?? false,
        );
      },
    }),
  }),
});

const DealContactRef = builder.objectRef<{ contactId: string; roles: string[] }>("DealContact").implement({
  fields: (t) => ({
    contactId: t.exposeString("contactId"),
    roles: t.exposeStringList("roles"),
    contact: t.field({
      type: ContactRef,
      nullable: true,
      resolve: (entry, _args, context) => context.loaders.contact.load(entry.contactId),
    }),
  }),
});

StageStayRef.implement({
  description: "One stay of a deal in a stage.",
  fields: (t) => ({
    stage: t.exposeString("stage"),
    enteredAt: t.expose("enteredAt", { type: "DateTime" }),
    leftAt: t.expose("leftAt", { type: "DateTime", nullable: true }),
    days: t.float({
      description: "Length of the stay in days (to now while open).",
      resolve: (stay, _args, context) =>
        (Date.parse(stay.leftAt ?? context.now.toISOString()) - Date.parse(stay.enteredAt)) / 86_400_000,
    }),
    enteredEventId: t.exposeString("enteredEventId"),
    leftEventId: t.exposeString("leftEventId", { nullable: true }),
  }),
});

InteractionRef.implement({
  description: "A meeting, call, email or demo, with the contacts involved.",
  fields: (t) => ({
    interactionId: t.exposeString("interactionId"),
    kind: t.exposeString("kind"),
    direction: t.exposeString("direction"),
    occurredAt: t.expose("at", { type: "DateTime" }),
    repId: t.exposeString("repId"),
    contactIds: t.exposeStringList("contactIds"),
    eventId: t.exposeString("eventId"),
  }),
});

DealRiskRef.implement({
  description: "A risk flag on an open deal, with the event that evidences it.",
  fields: (t) => ({
    dealId: t.exposeString("dealId"),
    kind: t.exposeString("kind"),
    detail: t.exposeString("detail"),
    evidenceEventId: t.exposeString("evidenceEventId"),
    deal: t.field({ type: DealRef, nullable: true, resolve: (risk, _args, context) => context.loaders.deal.load(risk.dealId) }),
  }),
});

const naturalOrder = new Intl.Collator("en", { numeric: true });
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const compare: Record<string, (a: DealSnapshot, b: DealSnapshot) => number> = {
  amount: (a, b) => a.amount - b.amount,
  expectedCloseDate: (a, b) => byText(a.expectedCloseDate, b.expectedCloseDate),
  createdAt: (a, b) => byText(a.createdAt, b.createdAt),
  name: (a, b) => naturalOrder.compare(a.name, b.name),
  id: (a, b) => naturalOrder.compare(a.id, b.id),
};

/** The last sorted deal list per read model, reused until the graph moves or another order is asked for. */
const sortedDeals = new WeakMap<object, { key: string; deals: DealSnapshot[] }>();

function dealsInOrder(context: Context, field: string, direction: string): DealSnapshot[] {
  const key = `${context.readModel.position}|${field}|${direction}`;
  const cached = sortedDeals.get(context.readModel);
  if (cached?.key === key) return cached.deals;
  const byField = compare[field] as (a: DealSnapshot, b: DealSnapshot) => number;
  const sign = direction === "DESC" ? -1 : 1;
  const deals = [...context.readModel.currentDeals().values()].sort(
    (a, b) => sign * byField(a, b) || naturalOrder.compare(a.id, b.id),
  );
  sortedDeals.set(context.readModel, { key, deals });
  return deals;
}

builder.queryFields((t) => ({
  deals: t.connection({
    type: DealRef,
    description: "Deals the caller may see, filtered and sorted; as of a business time and/or record time.",
    args: {
      filter: t.arg({ type: DealFilter, required: false }),
      orderBy: t.arg({ type: DealOrder, required: false }),
      asOf: t.arg({ type: "DateTime", required: false }),
      knownAt: t.arg({ type: "DateTime", required: false }),
    },
    resolve: (_root, args, context) => {
      const filter = args.filter;
      const order = args.orderBy;
      const field = order?.field ?? "id";
      const direction = order?.direction ?? "ASC";
      const source =
        args.asOf || args.knownAt ? dealsAt(context, args.asOf, args.knownAt) : dealsInOrder(context, field, direction);
      const deals = source.filter(
        (deal) =>
          context.viewer?.canSeeDeal(deal) &&
          (!filter?.status || filter.status.includes(deal.status)) &&
          (!filter?.stages || filter.stages.includes(deal.stage)) &&
          (!filter?.ownerRepIds || filter.ownerRepIds.includes(deal.ownerRepId)) &&
          (!filter?.accountId || filter.accountId === deal.accountId) &&
          (!filter?.segment || filter.segment === deal.segment) &&
          (!filter?.expectedCloseFrom || deal.expectedCloseDate >= filter.expectedCloseFrom) &&
          (!filter?.expectedCloseTo || deal.expectedCloseDate < filter.expectedCloseTo) &&
          (filter?.minAmount === undefined || filter.minAmount === null || deal.amount >= filter.minAmount),
      );
      if (args.asOf || args.knownAt) {
        const byField = compare[field] as (a: DealSnapshot, b: DealSnapshot) => number;
        const sign = direction === "DESC" ? -1 : 1;
        deals.sort((a, b) => sign * byField(a, b) || naturalOrder.compare(a.id, b.id));
      }
      return listConnection(args, deals);
    },
  }),
  deal: t.field({
    type: DealRef,
    nullable: true,
    description: "One deal by its deal id, as of a business time and/or record time.",
    args: {
      dealId: t.arg.string({ required: true }),
      asOf: t.arg({ type: "DateTime", required: false }),
      knownAt: t.arg({ type: "DateTime", required: false }),
    },
    resolve: async (_root, args, context) => {
      if (!args.asOf && !args.knownAt) return visibleDeal(context, await context.loaders.deal.load(args.dealId));
      const facts = context.readModel.state.deals[args.dealId];
      if (!facts) return null;
      const state = context.readModel.state;
      return visibleDeal(
        context,
        dealAt(
          state,
          facts,
          timeSlice(state, { asOf: args.asOf ?? undefined, knownAt: args.knownAt ?? undefined }),
          context.config,
        ),
      );
    },
  }),
  dealRisks: t.field({
    type: [DealRiskRef],
    description: "Stale, single-threaded, silent-evaluator and slipped deals the caller may see.",
    args: { kinds: t.arg.stringList({ required: false }) },
    resolve: (_root, args, context) => dealRisksFor(context, {}, args.kinds ?? undefined),
  }),
}));
