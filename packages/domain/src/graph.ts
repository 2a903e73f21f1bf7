import type { EventData, EventType, RecordedEvent } from "@revgraph/events";

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
  /** Amounts over time; `closing` marks the amount a close (won or lost) carried, which is part of that close. */
  readonly amounts: Facts<{ amount: number; currency: string; closing?: true }>[];
  /** Expected close dates over time; `closing` marks the date a close carried: part of the close, never a push. */
  readonly closeDates: Facts<{ date: string; closing?: true }>[];
  readonly probabilities: Facts<{ probability: number }>[];
  readonly categories: Facts<{ category: string }>[];
  readonly owners: Facts<{ repId: string }>[];
  readonly outcomes: Facts<{
    kind: "won" | "lost" | "reopened";
    /** The amount the close carried (always on a win); with its currency. */
    amount?: number;
    currency?: string;
    /** The expected close date the close carried, if any. */
    expectedCloseDate?: string;
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

interface DealChangeLog {
  /** The graph's position when the log started: changes before it are not known. */
  readonly since: number;
  /** Deal id → the position after which it last changed (the graph's position before that event). */
  readonly changed: Map<string, number>;
  /** The graph's position before the latest change that can alter deals without touching their facts. */
  resetAfter: number;
}

const dealChangeLogs = new WeakMap<GraphState, DealChangeLog>();

function changeLog(state: GraphState): DealChangeLog {
  let log = dealChangeLogs.get(state);
  if (!log) {
    log = { since: state.position, changed: new Map(), resetAfter: -1 };
    dealChangeLogs.set(state, log);
  }
  return log;
}

/**
 * The deals whose snapshots may differ between the graph at `position` and now: those with facts added since.
 * Null when that is not known: `position` is older than the graph's record of changes, or an interaction was logged
 * again under its id (its contacts count for every deal it belongs to, without touching those deals' facts).
 */
export function dealsChangedSince(state: GraphState, position: number): ReadonlySet<string> | null {
  const log = dealChangeLogs.get(state);
  if (!log) return position === state.position ? new Set() : null;
  if (position < log.since || log.resetAfter >= position) return null;
  const changed = new Set<string>();
  for (const [dealId, after] of log.changed) if (after >= position) changed.add(dealId);
  return changed;
}

function dealFacts(state: GraphState, dealId: string): DealFacts {
  changeLog(state).changed.set(dealId, state.position);
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
    put(state, "deals", dealId, deal);
  }
  return deal;
}

/** The deal's currency just before `stamp`: of its latest amount before then, else of its creation. */
function currencyBefore(deal: DealFacts, stamp: Stamp): string {
  for (let index = deal.amounts.length - 1; index >= 0; index--) {
    const entry = deal.amounts[index] as DealFacts["amounts"][number];
    if (entry.at < stamp.at || (entry.at === stamp.at && entry.pos < stamp.pos)) return entry.currency;
  }
  return deal.created?.currency ?? "USD";
}

/** A close's own amount and close date become the deal's values from the close on, marked as part of the close. */
function recordClosingValues(
  deal: DealFacts,
  stamp: Stamp,
  amount: number | undefined,
  currency: string | undefined,
  expectedCloseDate: string | undefined,
): void {
  if (amount !== undefined && currency !== undefined) insertSorted(deal.amounts, { ...stamp, amount, currency, closing: true });
  if (expectedCloseDate !== undefined) insertSorted(deal.closeDates, { ...stamp, date: expectedCloseDate, closing: true });
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** How each event type changes the graph. A table over the event union: the compiler checks every type has one. */
const handlers: { [T in EventType]: (state: GraphState, data: EventData<T>, stamp: Stamp) => void } = {
  AccountRegistered: (state, data, stamp) => {
    put(state, "accounts", data.accountId, {
      ...stamp,
      accountId: data.accountId,
      name: data.name,
      ...optional("segment", data.segment),
      ...optional("region", data.region),
      ...optional("industry", data.industry),
      addressable: data.addressable,
      owners: state.accounts[data.accountId]?.owners ?? [],
    });
  },
  AccountOwnerAssigned: (state, data, stamp) => {
    const account = state.accounts[data.accountId];
    if (account) insertSorted(account.owners, { ...stamp, repId: data.ownerRepId });
  },
  ContactAdded: (state, data, stamp) => {
    put(state, "contacts", data.contactId, { ...stamp, ...data });
  },
  TeamFormed: (state, data, stamp) => {
    put(state, "teams", data.teamId, {
      ...stamp,
      teamId: data.teamId,
      name: data.name,
      ...optional("region", data.region),
      managers: state.teams[data.teamId]?.managers ?? [],
    });
  },
  ManagerAssigned: (state, data, stamp) => {
    const team = state.teams[data.teamId];
    if (team) insertSorted(team.managers, { ...stamp, repId: data.managerRepId });
  },
  RepHired: (state, data, stamp) => {
    put(state, "reps", data.repId, {
      ...stamp,
      repId: data.repId,
      name: data.name,
      startDate: data.startDate,
      ...optional("region", data.region),
      ...optional("ramp", data.ramp),
      teams: [{ ...stamp, teamId: data.teamId }],
      departed: null,
    });
  },
  RepTransferred: (state, data, stamp) => {
    const rep = state.reps[data.repId];
    if (rep) insertSorted(rep.teams, { ...stamp, teamId: data.teamId });
  },
  RepDeparted: (state, data, stamp) => {
    const rep = state.reps[data.repId];
    if (rep) rep.departed = { ...stamp, endDate: data.endDate };
  },
  QuotaSet: (state, data, stamp) => insertSorted(state.quotas, { ...stamp, ...data }),
  LeadArrived: (state, data, stamp) => {
    put(state, "leads", data.leadId, {
      ...stamp,
      leadId: data.leadId,
      ...optional("accountId", data.accountId),
      source: data.source,
      touches: state.leads[data.leadId]?.touches ?? [],
    });
  },
  LeadTouched: (state, data, stamp) => {
    const lead = state.leads[data.leadId];
    if (lead) insertSorted(lead.touches, { ...stamp, repId: data.repId, channel: data.channel });
  },
  DealCreated: (state, data, stamp) => {
    const { dealId, ...rest } = data;
    dealFacts(state, dealId).created = { ...stamp, ...rest };
  },
  DealAmountChanged: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).amounts, { ...stamp, amount: data.amount, currency: data.currency }),
  DealCloseDateChanged: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).closeDates, { ...stamp, date: data.expectedCloseDate }),
  DealStageChanged: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).stages, {
      ...stamp,
      from: data.from,
      to: data.to,
      ...optional("override", data.override?.reason),
    }),
  DealProbabilityChanged: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).probabilities, { ...stamp, probability: data.probability }),
  DealForecastCategoryChanged: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).categories, { ...stamp, category: data.category }),
  DealOwnerChanged: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).owners, { ...stamp, repId: data.ownerRepId }),
  DealWon: (state, data, stamp) => {
    const deal = dealFacts(state, data.dealId);
    insertSorted(deal.outcomes, {
      ...stamp,
      kind: "won",
      amount: data.amount,
      currency: data.currency,
      ...optional("expectedCloseDate", data.expectedCloseDate),
    });
    recordClosingValues(deal, stamp, data.amount, data.currency, data.expectedCloseDate);
  },
  DealLost: (state, data, stamp) => {
    const deal = dealFacts(state, data.dealId);
    const currency = data.amount === undefined ? undefined : (data.currency ?? currencyBefore(deal, stamp));
    insertSorted(deal.outcomes, {
      ...stamp,
      kind: "lost",
      reason: data.reason,
      ...optional("competitor", data.competitor),
      ...optional("amount", data.amount),
      ...optional("currency", currency),
      ...optional("expectedCloseDate", data.expectedCloseDate),
    });
    recordClosingValues(deal, stamp, data.amount, currency, data.expectedCloseDate);
  },
  DealReopened: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).outcomes, { ...stamp, kind: "reopened", stage: data.stage }),
  ContactRoleAssigned: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).roles, { ...stamp, contactId: data.contactId, role: data.role, assigned: true }),
  ContactRoleRemoved: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).roles, {
      ...stamp,
      contactId: data.contactId,
      role: data.role,
      assigned: false,
    }),
  InteractionLogged: (state, data, stamp) => {
    put(state, "interactions", data.interactionId, {
      ...stamp,
      interactionId: data.interactionId,
      accountId: data.accountId,
      ...optional("dealId", data.dealId),
      repId: data.repId,
      kind: data.kind,
      direction: data.direction,
      contactIds: data.contactIds,
      held: data.held,
    });
    if (data.dealId) insertSorted(dealFacts(state, data.dealId).interactions, { ...stamp, interactionId: data.interactionId });
  },
  GateEvidenceRecorded: (state, data, stamp) =>
    insertSorted(dealFacts(state, data.dealId).evidence, {
      ...stamp,
      gate: data.gate,
      ...optional("contactId", data.contactId),
    }),
  ForecastSubmitted: (state, data, stamp) =>
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
  ExchangeRateSet: (state, data, stamp) => insertSorted(state.rates, { ...stamp, ...data }),
  LogCheckpointed: () => {},
};

/** Graphs that keep no record log (see {@link dropRecordLog}). */
const withoutRecordLog = new WeakSet<GraphState>();

/**
 * Makes a graph keep no record log from now on (its entries so far are dropped): a graph of the org part, whose
 * `knownAt` slices come from elsewhere (the fact tables' `record_log`). The log gains an entry per record time, which
 * a million deals into a catch-up was over a gigabyte of heap. `timeSlice` refuses `knownAt` on such a graph.
 */
export function dropRecordLog(state: GraphState): void {
  withoutRecordLog.add(state);
  state.recordLog.length = 0;
}

/** False for a graph that keeps no record log ({@link dropRecordLog}). */
export function keepsRecordLog(state: GraphState): boolean {
  return !withoutRecordLog.has(state);
}

/**
 * Applies one event to the graph, in place. Histories stay sorted by business time, so the result
 * does not depend on the order in which back-dated events arrive, and a rebuild equals the
 * incrementally maintained state. Events must be applied in global-position order.
 */
export function applyEvent(state: GraphState, event: RecordedEvent): void {
  const stamp = stampOf(event);
  const handle = handlers[event.type] as ((state: GraphState, data: unknown, stamp: Stamp) => void) | undefined;
  if (!handle)
    throw new Error(`event ${event.id} at position ${event.globalPosition} has unknown type ${JSON.stringify(event.type)}`);
  handle(state, event.data, stamp);
  state.position = event.globalPosition;
  // A checkpoint digest is the store's record, not a business fact: it must not move business time.
  if (event.type !== "LogCheckpointed" && event.occurredAt > state.latestOccurredAt) state.latestOccurredAt = event.occurredAt;
  if (!keepsRecordLog(state)) return;
  const lastRecord = state.recordLog.at(-1);
  if (lastRecord && lastRecord[0] === event.recordedAt) lastRecord[1] = event.globalPosition;
  else state.recordLog.push([event.recordedAt, event.globalPosition]);
}

/** Folds events (in global-position order) into a graph, starting from `initial` (a snapshot) or empty. */
export function projectGraph(events: Iterable<RecordedEvent>, initial: GraphState = emptyGraph()): GraphState {
  for (const event of events) applyEvent(initial, event);
  return initial;
}

/** The records of the graph's org part: everything but deals and interactions (see `orgEventTypes`). */
export const orgRecords = ["accounts", "contacts", "teams", "reps", "quotas", "leads", "forecasts", "rates"] as const;

/** The graph's org part. */
export type OrgPart = Pick<GraphState, (typeof orgRecords)[number]>;

/** The org part of a graph (its own records, not copies). */
export function orgPartOf(state: GraphState): OrgPart {
  return Object.fromEntries(orgRecords.map((key) => [key, state[key]])) as unknown as OrgPart;
}

/**
 * Puts an org part (as {@link orgPartOf} gave it, e.g. through JSON) into a graph that holds none yet, leaving its
 * position and record log as they are.
 */
export function restoreOrgPart(state: GraphState, part: OrgPart): void {
  Object.assign(state.accounts, part.accounts);
  Object.assign(state.contacts, part.contacts);
  Object.assign(state.teams, part.teams);
  Object.assign(state.reps, part.reps);
  Object.assign(state.leads, part.leads);
  for (const quota of part.quotas) state.quotas.push(quota);
  for (const forecast of part.forecasts) state.forecasts.push(forecast);
  for (const rate of part.rates) state.rates.push(rate);
  relist(state.accounts, state.contacts, state.teams, state.reps, state.leads);
}

/**
 * Moves deal `dealId`, and the loggings of the interactions its facts list, from `source` (a scratch graph the deal's
 * stream was folded into) into `state`, leaving `state`'s position and record log as they are. For a graph that holds a
 * working set of deals loaded on demand. An interaction `state` holds from a later logging (of another deal loaded
 * before) is kept: the graph keeps an id's latest logging. Lists made by {@link listOf} are made again, and
 * {@link dealsChangedSince} no longer answers for positions before now.
 */
export function adoptDeal(state: GraphState, source: GraphState, dealId: string): void {
  const deal = source.deals[dealId];
  if (!deal) return;
  const deals = state.deals as Record<string, DealFacts>;
  const loggings = state.interactions as Record<string, InteractionFacts>;
  deals[dealId] = deal;
  for (const { interactionId } of deal.interactions) {
    const logged = source.interactions[interactionId];
    const held = loggings[interactionId];
    if (logged && (!held || held.pos < logged.pos)) loggings[interactionId] = logged;
  }
  relist(deals, loggings);
  changeLog(state).resetAfter = state.position;
}

/** Drops the lists {@link listOf} made of these records: the graph's position did not move, and they changed. */
function relist(...records: object[]): void {
  for (const record of records) {
    listed.delete(record);
    writtenKeys.delete(record);
  }
}

/**
 * Drops deals from `state` with the interactions whose latest logging names them (a working set evicting deals it can
 * load again), and interactions by id (loggings naming no deal, once applied). Lists made by {@link listOf} are made
 * again, and {@link dealsChangedSince} no longer answers for positions before now.
 */
export function forgetDeals(state: GraphState, dealIds: Iterable<string>, interactionIds: Iterable<string> = []): void {
  const deals = state.deals as Record<string, DealFacts>;
  const loggings = state.interactions as Record<string, InteractionFacts>;
  for (const dealId of dealIds) {
    const deal = deals[dealId];
    if (!deal) continue;
    for (const { interactionId } of deal.interactions)
      if (loggings[interactionId]?.dealId === dealId) delete loggings[interactionId];
    delete deals[dealId];
  }
  for (const interactionId of interactionIds) delete loggings[interactionId];
  relist(deals, loggings);
  changeLog(state).resetAfter = state.position;
}

type RecordKey = "deals" | "accounts" | "contacts" | "teams" | "reps" | "interactions" | "leads";

interface RecordList {
  readonly position: number;
  readonly values: readonly unknown[];
  /** Key → index in `values`, built when the list is first updated in place of enumerating again. */
  index: Map<string, number> | null;
}

const listed = new WeakMap<object, RecordList>();
/** Keys written to a listed record since its list was made: `listOf` applies them instead of enumerating again. */
const writtenKeys = new WeakMap<object, string[]>();
/** Keys JavaScript orders before all others ("0", "17"), so an appended key would not land at the end. */
const arrayIndexKey = /^(?:0|[1-9]\d*)$/;

/** Writes one entry of a graph record, noting the key for `listOf`. Every write to these records goes through here. */
function put<K extends RecordKey>(state: GraphState, key: K, id: string, value: GraphState[K][string]): void {
  const record = state[key] as Record<string, unknown>;
  if (key === "interactions" && Object.hasOwn(record, id)) changeLog(state).resetAfter = state.position;
  record[id] = value;
  if (!listed.has(record)) return;
  const keys = writtenKeys.get(record);
  if (keys) keys.push(id);
  else writtenKeys.set(record, [id]);
}

/**
 * The values of one of the graph's records as a list, in insertion order — `Object.values`, remembered until the graph
 * moves to another position. Large records (hundreds of thousands of interactions) are slow to enumerate, and one
 * question (a scorecard, its trend, the funnel) enumerates them many times at the same position. When the graph moves
 * on, the list is brought up to date from the keys written since (a copy with those entries replaced or appended),
 * which gives the same list as enumerating again.
 */
export function listOf<K extends RecordKey>(state: GraphState, key: K): readonly GraphState[K][string][] {
  const record = state[key] as Record<string, GraphState[K][string]>;
  const cached = listed.get(record);
  if (cached && cached.position === state.position) return cached.values as GraphState[K][string][];
  const written = writtenKeys.get(record) ?? [];
  writtenKeys.delete(record);
  let list: RecordList;
  if (!cached || written.some((id) => arrayIndexKey.test(id))) {
    list = { position: state.position, values: Object.values(record), index: null };
  } else if (written.length === 0) {
    list = { ...cached, position: state.position };
  } else {
    const index = cached.index ?? new Map(Object.keys(record).map((id, at) => [id, at] as const));
    const values = cached.values.slice();
    for (const id of written) {
      const at = index.get(id);
      if (at === undefined || at >= values.length) {
        index.set(id, values.length);
        values.push(record[id]);
      } else values[at] = record[id];
    }
    list = { position: state.position, values, index };
  }
  listed.set(record, list);
  return list.values as GraphState[K][string][];
}
