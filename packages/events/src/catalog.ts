import { z } from "zod";

const id = z.string().min(1).max(200);
const money = z.number().finite().nonnegative();
const currencyCode = z.string().regex(/^[A-Z]{3}$/, "ISO 4217 code such as USD");
const currency = currencyCode.default("USD");
const businessDate = z.iso.date();
const timestamp = z.iso.datetime({ offset: true });
const probability = z.number().min(0).max(1);

/** Buying roles a contact can hold on a deal. */
export const contactRoles = [
  "champion",
  "economic_buyer",
  "technical_evaluator",
  "decision_maker",
  "influencer",
  "user",
  "legal",
  "procurement",
  "blocker",
] as const;
/** Forecast categories a rep assigns to an open deal. */
export const forecastCategories = ["pipeline", "best_case", "commit", "omitted"] as const;
/** Loss reasons reported in the loss-reason distribution. */
export const lossReasons = ["pricing", "competition", "timing", "no_decision", "other"] as const;
/** Kinds of recorded interaction. */
export const interactionKinds = ["meeting", "call", "email", "demo"] as const;

/**
 * Every event revgraph stores, by type: the zod schema of its `data` at the current schema version.
 * Stage names are plain strings: the configured stage list (not code) decides which are valid.
 */
export const eventDataSchemas = {
  AccountRegistered: z.object({
    accountId: id,
    name: z.string().min(1),
    segment: z.string().optional(),
    region: z.string().optional(),
    industry: z.string().optional(),
    employees: z.number().int().nonnegative().optional(),
    addressable: z.boolean().default(true),
  }),
  AccountOwnerAssigned: z.object({ accountId: id, ownerRepId: id }),
  ContactAdded: z.object({
    contactId: id,
    accountId: id,
    name: z.string().min(1),
    title: z.string().optional(),
    email: z.string().optional(),
  }),
  TeamFormed: z.object({ teamId: id, name: z.string().min(1), region: z.string().optional() }),
  ManagerAssigned: z.object({ teamId: id, managerRepId: id }),
  RepHired: z.object({
    repId: id,
    name: z.string().min(1),
    teamId: id,
    startDate: businessDate,
    region: z.string().optional(),
    /** Quota share for month 1, 2, 3… of tenure; absent means the configured default ramp. */
    ramp: z.array(z.number().min(0).max(1)).optional(),
  }),
  RepTransferred: z.object({ repId: id, teamId: id }),
  RepDeparted: z.object({ repId: id, endDate: businessDate }),
  QuotaSet: z.object({
    repId: id,
    period: z.string().min(1),
    from: businessDate,
    to: businessDate,
    amount: money,
    currency,
  }),
  LeadArrived: z.object({
    leadId: id,
    accountId: id.optional(),
    source: z.string().min(1),
  }),
  LeadTouched: z.object({ leadId: id, repId: id, channel: z.enum(interactionKinds) }),
  DealCreated: z.object({
    dealId: id,
    accountId: id,
    ownerRepId: id,
    name: z.string().min(1),
    amount: money,
    currency,
    stage: z.string().min(1),
    expectedCloseDate: businessDate,
    product: z.string().optional(),
    leadSource: z.string().optional(),
    leadId: id.optional(),
  }),
  DealAmountChanged: z.object({ dealId: id, amount: money, currency }),
  DealCloseDateChanged: z.object({ dealId: id, expectedCloseDate: businessDate }),
  DealStageChanged: z.object({
    dealId: id,
    from: z.string().min(1),
    to: z.string().min(1),
    override: z.object({ reason: z.string().min(1) }).optional(),
  }),
  DealProbabilityChanged: z.object({ dealId: id, probability }),
  DealForecastCategoryChanged: z.object({ dealId: id, category: z.enum(forecastCategories) }),
  DealOwnerChanged: z.object({ dealId: id, ownerRepId: id }),
  /**
   * The close: `amount`/`currency` and `expectedCloseDate` are the deal's values from the win on. A close date (or
   * amount) that changes together with the close (same command, same source row) is carried here, not as a separate
   * change, so "while open" measures (pushes, forecast to close, pipeline) never see it as a change of an open deal.
   */
  DealWon: z.object({ dealId: id, amount: money, currency, expectedCloseDate: businessDate.optional() }),
  /**
   * The close of a lost deal; `amount` and `expectedCloseDate` as on {@link DealWon}, both optional. An `amount`
   * without `currency` is in the deal's currency.
   */
  DealLost: z.object({
    dealId: id,
    reason: z.enum(lossReasons),
    competitor: z.string().optional(),
    note: z.string().optional(),
    amount: money.optional(),
    currency: currencyCode.optional(),
    expectedCloseDate: businessDate.optional(),
  }),
  DealReopened: z.object({ dealId: id, stage: z.string().min(1), reason: z.string().optional() }),
  ContactRoleAssigned: z.object({ dealId: id, contactId: id, role: z.enum(contactRoles) }),
  ContactRoleRemoved: z.object({ dealId: id, contactId: id, role: z.enum(contactRoles) }),
  InteractionLogged: z.object({
    interactionId: id,
    accountId: id,
    dealId: id.optional(),
    repId: id,
    kind: z.enum(interactionKinds),
    direction: z.enum(["inbound", "outbound"]),
    contactIds: z.array(id),
    held: z.boolean().default(true),
    summary: z.string().optional(),
  }),
  GateEvidenceRecorded: z.object({
    dealId: id,
    gate: z.string().min(1),
    evidence: z.string().min(1),
    contactId: id.optional(),
  }),
  ForecastSubmitted: z.object({
    forecastId: id,
    scope: z.object({ kind: z.enum(["rep", "team", "company"]), id }),
    period: z.string().min(1),
    from: businessDate,
    to: businessDate,
    amount: money,
    currency,
  }),
  ExchangeRateSet: z.object({
    currency,
    baseCurrency: currency,
    rate: z.number().finite().positive(),
    effectiveDate: businessDate,
  }),
  /**
   * Written by the event store itself every few thousand events: the log's head (position and chained log hash) just
   * before this event, so a later cut or rewrite behind it shows without a digest saved elsewhere. Not a business fact:
   * projections and KPIs ignore it.
   */
  LogCheckpointed: z.object({
    position: z.number().int().nonnegative(),
    logHash: z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest"),
  }),
} as const;

/** The name of every event type. */
export type EventType = keyof typeof eventDataSchemas;
/** All event type names, in catalog order. */
export const eventTypes = Object.keys(eventDataSchemas) as EventType[];
/** The data of an event of type `T`, after validation and defaults. */
export type EventData<T extends EventType> = z.output<(typeof eventDataSchemas)[T]>;
/** A domain event: its type and its data, discriminated by `type`. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
/** The domain event of one type. */
export type DomainEventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** `timestamp` and shared scalar schemas, for packages that build their own inputs. */
export const scalars = { id, money, currency, businessDate, timestamp, probability } as const;
