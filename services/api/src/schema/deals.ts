import type { TimeSlice } from "@revgraph/domain";
import type { DealOrderField as DealListField, DealFilter as DealListFilter, ServedDeal } from "@revgraph/read-model";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { type Connection, listConnection, pageOf, pageWindow } from "./connection.ts";
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

/** The slice asked for with asOf and/or knownAt; undefined for "as things stand". */
async function askedSlice(
  context: Context,
  asOf: string | null | undefined,
  knownAt: string | null | undefined,
): Promise<TimeSlice | undefined> {
  if (!asOf && !knownAt) return undefined;
  return context.readModel.slice({ asOf: asOf ?? undefined, knownAt: knownAt ?? undefined });
}

/** The deal when the caller may see it, else null: hidden and missing deals get the same answer. */
function visibleDeal(context: Context, deal: ServedDeal | null | undefined): ServedDeal | null {
  return deal && context.viewer?.canSeeDeal(deal) ? deal : null;
}

/** GraphQL's deal filter as the read model takes it (nulls are absent criteria). */
function listFilter(filter: typeof DealFilter.$inferInput | null | undefined): DealListFilter {
  if (!filter) return {};
  const given = <T>(value: T | null | undefined) => value ?? undefined;
  return {
    status: given(filter.status),
    stages: given(filter.stages),
    ownerRepIds: given(filter.ownerRepIds),
    accountId: given(filter.accountId),
    segment: given(filter.segment),
    expectedCloseFrom: given(filter.expectedCloseFrom),
    expectedCloseTo: given(filter.expectedCloseTo),
    minAmount: given(filter.minAmount),
  };
}

/**
 * A page of deals over ids in list order: the cursors index the ids; only the page's deals are read (from their
 * streams, in `slice`). A deal the caller may not see is left out (the ids are already limited to what they may see).
 */
export async function dealPage(
  context: Context,
  args: Parameters<typeof listConnection>[0],
  ids: readonly string[],
  slice?: TimeSlice,
): Promise<Connection<ServedDeal>> {
  const page = listConnection(args, ids);
  const deals = await context.readModel.deals(
    page.edges.map((edge) => edge.node),
    slice,
  );
  const edges = page.edges.flatMap((edge, index) => {
    const deal = visibleDeal(context, deals[index]);
    return deal ? [{ cursor: edge.cursor, node: deal }] : [];
  });
  return { edges, pageInfo: page.pageInfo };
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
      resolve: (deal, args) => listConnection(args, deal.interactions),
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
    resolve: async (_root, args, context) => {
      const slice = await askedSlice(context, args.asOf, args.knownAt);
      const ids = await context.readModel.dealIds({
        filter: listFilter(args.filter),
        order: { field: (args.orderBy?.field ?? "id") as DealListField, direction: args.orderBy?.direction ?? "ASC" },
        slice,
        owners: context.viewer ? context.viewer.visibleOwners() : [],
      });
      return dealPage(context, args, ids, slice);
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
      const slice = await askedSlice(context, args.asOf, args.knownAt);
      if (!slice) return visibleDeal(context, await context.loaders.deal.load(args.dealId));
      return visibleDeal(context, await context.readModel.deal(args.dealId, slice));
    },
  }),
  dealRisks: t.field({
    type: [DealRiskRef],
    description: "Stale, single-threaded, silent-evaluator and slipped deals the caller may see.",
    args: { kinds: t.arg.stringList({ required: false }) },
    resolve: (_root, args, context) => dealRisksFor(context, {}, args.kinds ?? undefined),
  }),
}));
