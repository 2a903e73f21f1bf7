import type { EventType } from "@revgraph/events";

/** Stream naming: one stream per deal, account, contact, team, rep, lead and forecast scope. */
export const streamIds = {
  deal: (dealId: string) => `deal-${dealId}`,
  account: (accountId: string) => `account-${accountId}`,
  contact: (contactId: string) => `contact-${contactId}`,
  team: (teamId: string) => `team-${teamId}`,
  rep: (repId: string) => `rep-${repId}`,
  lead: (leadId: string) => `lead-${leadId}`,
  forecast: (scopeKind: string, scopeId: string) => `forecast-${scopeKind}-${scopeId}`,
  rates: (currency: string) => `fx-${currency}`,
} as const;

/** The kinds of stream: those of {@link streamIds}, and the store's own log of checkpoint digests. */
export type StreamKind = keyof typeof streamIds | "log";

/**
 * The kind of stream each event type is appended to (by the commands, the generator and imports). Every event that
 * names a deal is on that deal's stream (`deal-<dealId>`): folding a deal's stream gives all its facts.
 */
export const eventStreamKinds: { readonly [T in EventType]: StreamKind } = {
  AccountRegistered: "account",
  AccountOwnerAssigned: "account",
  // The commands' stream; seeded histories put an account's contacts on the account's stream.
  ContactAdded: "contact",
  TeamFormed: "team",
  ManagerAssigned: "team",
  RepHired: "rep",
  RepTransferred: "rep",
  RepDeparted: "rep",
  QuotaSet: "rep",
  LeadArrived: "lead",
  LeadTouched: "lead",
  DealCreated: "deal",
  DealAmountChanged: "deal",
  DealCloseDateChanged: "deal",
  DealStageChanged: "deal",
  DealProbabilityChanged: "deal",
  DealForecastCategoryChanged: "deal",
  DealOwnerChanged: "deal",
  DealWon: "deal",
  DealLost: "deal",
  DealReopened: "deal",
  ContactRoleAssigned: "deal",
  ContactRoleRemoved: "deal",
  InteractionLogged: "deal",
  GateEvidenceRecorded: "deal",
  ForecastSubmitted: "forecast",
  ExchangeRateSet: "rates",
  LogCheckpointed: "log",
};

/**
 * The event types of the graph's org part (accounts, contacts, teams, reps, quotas, leads, forecasts, rates): those on
 * neither a deal's stream nor the store's log. Replaying only these gives every part of the graph but deals and
 * interactions.
 */
export const orgEventTypes: readonly EventType[] = (Object.keys(eventStreamKinds) as EventType[]).filter(
  (type) => eventStreamKinds[type] !== "deal" && eventStreamKinds[type] !== "log",
);

/**
 * The deal an event's data names (`data.dealId`), if any. Such an event must be on that deal's stream
 * (`streamIds.deal`): deals are read back from their own streams (the API's graph of the org part, deal reads), so
 * one on any other stream is refused where events come in from outside (NDJSON imports) and where deals are read.
 */
export function dealIdOf(data: unknown): string | undefined {
  const dealId = (data as { dealId?: unknown } | null | undefined)?.dealId;
  return typeof dealId === "string" ? dealId : undefined;
}
