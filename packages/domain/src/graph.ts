import type { RecordedEvent } from "@revgraph/events";
import { match } from "ts-pattern";

/** When a fact happened (business time), where it sits in the log, and which event says so. */
export interface Stamp {
  /** occurredAt of the event, ISO UTC. */
  readonly at: string;
  /** Global position of the event: later positions are known later. */
  readonly pos: number;
  readonly eventId: string;
}

type Facts<T> = Stamp & T;

/** Everything recorded about one deal, each history sorted by (business time, position). */
export interface DealFacts {
  readonly id: string;
  created: Facts<{
    accountId: string;
    ownerRepId: string;
    name: string;
    amount: number;
    currency: string;
    stage: string;
    expectedCloseDate: string;
    product?: string | undefined;
    leadSource?: string | undefined;
    leadId?: string | undefined;
  }> | null;
  readonly stages: Facts<{ from: string; to: string; override?: string }>[];
  readonly amounts: Facts<{ amount: number; currency: string }>[];
  readonly closeDates: Facts<{ date: string }>[];
  readonly probabilities: Facts<{ probability: number }>[];
  readonly categories: Facts<{ category: string }>[];
  readonly owners: Facts<{ repId: string }>[];
  readonly outcomes: Facts<{
    kind: "won" | "lost" | "reopened";
    amount?: number;
    currency?: string;
    reason?: string;
    competitor?: string;
    stage?: string;
  }>[];
  readonly roles: Facts<{ contactId: string; role: string; assigned: boolean }>[];
  readonly interactions: Facts<{ interactionId: string }>[];
  readonly evidence: Facts<{ gate: string; contactId?: string }>[];
}

/** An interaction, with the contacts involved. */
export type InteractionFacts = Facts<{
  interactionId: string;
  accountId: string;
  dealId?: string;
  repId: string;
  kind: string;
  direction: string;
  contactIds: string[];
  held: boolean;
}>;

/** The whole revenue graph as facts over time: answers any (asOf, knownAt) question by filtering. */
export interface GraphState {
  /** Global position of the last event applied. */
  position: number;
  /** The latest business time of any event applied ("" when empty). */
  latestOccurredAt: string;
  /** (recordedAt, last position recorded at or before it), one entry per distinct recordedAt. */
  readonly recordLog: [string, number][];
  readonly deals: Record<string, DealFacts>;
  readonly accounts: Record<
    string,
    Facts<{
      accountId: string;
      name: string;
      segment?: string;
      region?: string;
      industry?: string;
      addressable: boolean;
      owners: Facts<{ repId: string }>[];
    }>
  >;
  readonly contacts: Record<string, Facts<{ contactId: string; accountId: string; name: string; title?: string | undefined }>>;
  readonly teams: Record<string, Facts<{ teamId: string; name: string; region?: string; managers: Facts<{ repId: string }>[] }>>;
  readonly reps: Record<
    string,
    Facts<{
      repId: string;
      name: string;
      startDate: string;
      region?: string;
      ramp?: number[];
      teams: Facts<{ teamId: string }>[];
      departed: Facts<{ endDate: string }> | null;
    }>
  >;
  readonly quotas: Facts<{ repId: string; period: string; from: string; to: string; amount: number; currency: string }>[];
  readonly leads: Record<
    string,
    Facts<{ leadId: string; accountId?: string; source: string; touches: Facts<{ repId: string; channel: string }>[] }>
  >;
  readonly interactions: Record<string, InteractionFacts>;
  readonly forecasts: Facts<{
    forecastId: string;
    scopeKind: string;
    scopeId: string;
    period: string;
    from: string;
    to: string;
    amount: number;
    currency: string;
  }>[];
  readonly rates: Facts<{ currency: string; baseCurrency: string; rate: number; effectiveDate: string }>[];
}

/** An empty graph. */
export function emptyGraph(): GraphState {
  return {
    position: 0,
    latestOccurredAt: "",
    recordLog: [],
    deals: {},
    accounts: {},
    contacts: {},
    teams: {},
    reps: {},
    quotas: [],
    leads: {},
    interactions: {},
    forecasts: [],
    rates: [],
  };
}

/** Inserts keeping (at, pos) order; appends in O(1) when events arrive in business-time order. */
export function insertSorted<T extends Stamp>(list: T[], entry: T): void {
  let index = list.length;
  while (index > 0) {
    const previous = list[index - 1] as T;
    if (previous.at < entry.at || (previous.at === entry.at && previous.pos < entry.pos)) break;
    index--;
  }
  if (index === list.length) list.push(entry);
  else list.splice(index, 0, entry);
}

function stampOf(event: RecordedEvent): Stamp {
  return { at: event.occurredAt, pos: event.globalPosition, eventId: event.id };
}

function dealFacts(state: GraphState, dealId: string): DealFacts {
  let deal = state.deals[dealId];
  if (!deal) {
    deal = {
      id: dealId,
      created: null,
      stages: [],
      amounts: [],
      closeDates: [],
      probabilities: [],
      categories: [],
      owners: [],
      outcomes: [],
      roles: [],
      interactions: [],
      evidence: [],
    };
    state.deals[dealId] = deal;
  }
  return deal;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Applies one event to the graph, in place. Histories stay sorted by business time, so the result
 * does not depend on the order in which back-dated events arrive, and a rebuild equals the
 * incrementally maintained state. Events must be applied in global-position order.
 */
export function applyEvent(state: GraphState, event: RecordedEvent): void {
  const stamp = stampOf(event);
  match(event)
    .with({ type: "AccountRegistered" }, ({ data }) => {
      state.accounts[data.accountId] = {
        ...stamp,
        accountId: data.accountId,
        name: data.name,
        ...optional("segment", data.segment),
        ...optional("region", data.region),
        ...optional("industry", data.industry),
        addressable: data.addressable,
        owners: state.accounts[data.accountId]?.owners ?? [],
      };
    })
    .with({ type: "AccountOwnerAssigned" }, ({ data }) => {
      const account = state.accounts[data.accountId];
      if (account) insertSorted(account.owners, { ...stamp, repId: data.ownerRepId });
    })
    .with({ type: "ContactAdded" }, ({ data }) => {
      state.contacts[data.contactId] = { ...stamp, ...data };
    })
    .with({ type: "TeamFormed" }, ({ data }) => {
      state.teams[data.teamId] = {
        ...stamp,
        teamId: data.teamId,
        name: data.name,
        ...optional("region", data.region),
        managers: state.teams[data.teamId]?.managers ?? [],
      };
    })
    .with({ type: "ManagerAssigned" }, ({ data }) => {
      const team = state.teams[data.teamId];
      if (team) insertSorted(team.managers, { ...stamp, repId: data.managerRepId });
    })
    .with({ type: "RepHired" }, ({ data }) => {
      state.reps[data.repId] = {
        ...stamp,
        repId: data.repId,
        name: data.name,
        startDate: data.startDate,
        ...optional("region", data.region),
        ...optional("ramp", data.ramp),
        teams: [{ ...stamp, teamId: data.teamId }],
        departed: null,
      };
    })
    .with({ type: "RepTransferred" }, ({ data }) => {
      const rep = state.reps[data.repId];
      if (rep) insertSorted(rep.teams, { ...stamp, teamId: data.teamId });
    })
    .with({ type: "RepDeparted" }, ({ data }) => {
      const rep = state.reps[data.repId];
      if (rep) rep.departed = { ...stamp, endDate: data.endDate };
    })
    .with({ type: "QuotaSet" }, ({ data }) => insertSorted(state.quotas, { ...stamp, ...data }))
    .with({ type: "LeadArrived" }, ({ data }) => {
      state.leads[data.leadId] = {
        ...stamp,
        leadId: data.leadId,
        ...optional("accountId", data.accountId),
        source: data.source,
        touches: state.leads[data.leadId]?.touches ?? [],
      };
    })
    .with({ type: "LeadTouched" }, ({ data }) => {
      const lead = state.leads[data.leadId];
      if (lead) insertSorted(lead.touches, { ...stamp, repId: data.repId, channel: data.channel });
    })
    .with({ type: "DealCreated" }, ({ data }) => {
      const { dealId, ...rest } = data;
      dealFacts(state, dealId).created = { ...stamp, ...rest };
    })
    .with({ type: "DealAmountChanged" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).amounts, { ...stamp, amount: data.amount, currency: data.currency }),
    )
    .with({ type: "DealCloseDateChanged" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).closeDates, { ...stamp, date: data.expectedCloseDate }),
    )
    .with({ type: "DealStageChanged" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).stages, {
        ...stamp,
        from: data.from,
        to: data.to,
        ...optional("override", data.override?.reason),
      }),
    )
    .with({ type: "DealProbabilityChanged" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).probabilities, { ...stamp, probability: data.probability }),
    )
    .with({ type: "DealForecastCategoryChanged" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).categories, { ...stamp, category: data.category }),
    )
    .with({ type: "DealOwnerChanged" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).owners, { ...stamp, repId: data.ownerRepId }),
    )
    .with({ type: "DealWon" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).outcomes, {
        ...stamp,
        kind: "won",
        amount: data.amount,
        currency: data.currency,
      }),
    )
    .with({ type: "DealLost" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).outcomes, {
        ...stamp,
        kind: "lost",
        reason: data.reason,
        ...optional("competitor", data.competitor),
      }),
    )
    .with({ type: "DealReopened" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).outcomes, { ...stamp, kind: "reopened", stage: data.stage }),
    )
    .with({ type: "ContactRoleAssigned" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).roles, { ...stamp, contactId: data.contactId, role: data.role, assigned: true }),
    )
    .with({ type: "ContactRoleRemoved" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).roles, {
        ...stamp,
        contactId: data.contactId,
        role: data.role,
        assigned: false,
      }),
    )
    .with({ type: "InteractionLogged" }, ({ data }) => {
      state.interactions[data.interactionId] = {
        ...stamp,
        interactionId: data.interactionId,
        accountId: data.accountId,
        ...optional("dealId", data.dealId),
        repId: data.repId,
        kind: data.kind,
        direction: data.direction,
        contactIds: data.contactIds,
        held: data.held,
      };
      if (data.dealId) insertSorted(dealFacts(state, data.dealId).interactions, { ...stamp, interactionId: data.interactionId });
    })
    .with({ type: "GateEvidenceRecorded" }, ({ data }) =>
      insertSorted(dealFacts(state, data.dealId).evidence, {
        ...stamp,
        gate: data.gate,
        ...optional("contactId", data.contactId),
      }),
    )
    .with({ type: "ForecastSubmitted" }, ({ data }) =>
      insertSorted(state.forecasts, {
        ...stamp,
        forecastId: data.forecastId,
        scopeKind: data.scope.kind,
        scopeId: data.scope.id,
        period: data.period,
        from: data.from,
        to: data.to,
        amount: data.amount,
        currency: data.currency,
      }),
    )
    .with({ type: "ExchangeRateSet" }, ({ data }) => insertSorted(state.rates, { ...stamp, ...data }))
    .exhaustive();
  state.position = event.globalPosition;
  if (event.occurredAt > state.latestOccurredAt) state.latestOccurredAt = event.occurredAt;
  const lastRecord = state.recordLog.at(-1);
  if (lastRecord && lastRecord[0] === event.recordedAt) lastRecord[1] = event.globalPosition;
  else state.recordLog.push([event.recordedAt, event.globalPosition]);
}

/** Folds events (in global-position order) into a graph, starting from `initial` (a snapshot) or empty. */
export function projectGraph(events: Iterable<RecordedEvent>, initial: GraphState = emptyGraph()): GraphState {
  for (const event of events) applyEvent(initial, event);
  return initial;
}
