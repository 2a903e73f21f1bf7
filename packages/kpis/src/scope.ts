import {
  type DealSnapshot,
  dealAt,
  dealsChangedSince,
  type GraphState,
  type InteractionFacts,
  listOf,
  type Period,
  type RevenueConfig,
  repTeamAt,
  type TimeSlice,
  teamManagerAt,
  visible,
} from "@revgraph/domain";

/** Dimensions KPIs can be filtered and grouped by. */
export const dimensions = [
  "rep",
  "team",
  "manager",
  "region",
  "segment",
  "product",
  "leadSource",
  "competitor",
  "dealSizeBand",
  "account",
] as const;
/** One dimension name. */
export type Dimension = (typeof dimensions)[number];
/** Filters: dimension → accepted values. */
export type DimensionFilter = Partial<Record<Dimension, readonly string[]>>;

/** Everything a measure may look at: the graph, the period, the time slice and the deals/reps/accounts in scope. */
export interface KpiScope {
  readonly state: GraphState;
  readonly config: RevenueConfig;
  readonly period: Period;
  readonly now: Date;
  /** The slice the caller asked for (asOf / knownAt). */
  readonly slice: TimeSlice;
  /** The slice capped at `now`: "as things stand". */
  readonly current: TimeSlice;
  /** The instant ages are measured at (stale deals, open stays): the earlier of `now` and the asked asOf. */
  readonly evaluatedAt: string;
  /** The slice capped at the end of the period. */
  readonly atPeriodEnd: TimeSlice;
  /** Deals in scope as things stand. */
  readonly deals: readonly DealSnapshot[];
  /** The same deals as they stood at the end of the period (deals created later are absent). */
  readonly dealsAtPeriodEnd: readonly DealSnapshot[];
  readonly repIds: readonly string[];
  readonly accountIds: readonly string[];
  readonly filter: DimensionFilter;
  /** Forecast snapshot time for forecast accuracy (default: period start). */
  readonly forecastKnownAt: string;
  /** Indexes shared with the other groups of the same query. */
  readonly index: QueryIndex;
  /** Memo for measures shared by several KPIs. */
  readonly memo: Map<string, unknown>;
}

/** Per-query indexes shared by every group's scope, so a grouped query scans each collection once. */
export class QueryIndex {
  readonly #state: GraphState;
  readonly #current: TimeSlice;
  readonly #period: Period;
  #interactions: Map<string, InteractionFacts[]> | undefined;
  #interactionsByRep: Map<string, InteractionFacts[]> | undefined;
  #leads: GraphState["leads"][string][] | undefined;
  #leadsByRep: Map<string, GraphState["leads"][string][]> | undefined;
  readonly #shared = new Map<string, unknown>();

  constructor(state: GraphState, current: TimeSlice, period: Period) {
    this.#state = state;
    this.#current = current;
    this.#period = period;
  }

  #inPeriod(iso: string): boolean {
    return iso >= this.#period.fromInstant && iso < this.#period.toInstant;
  }

  /** Interactions in the period that the slice can see, by account. */
  interactionsByAccount(): Map<string, InteractionFacts[]> {
    if (!this.#interactions) {
      this.#interactions = new Map();
      for (const interaction of listOf(this.#state, "interactions")) {
        if (!visible(interaction, this.#current) || !this.#inPeriod(interaction.at)) continue;
        const list = this.#interactions.get(interaction.accountId);
        if (list) list.push(interaction);
        else this.#interactions.set(interaction.accountId, [interaction]);
      }
    }
    return this.#interactions;
  }

  /** The same interactions, by the rep who held them. */
  interactionsByRep(): Map<string, InteractionFacts[]> {
    if (!this.#interactionsByRep) {
      this.#interactionsByRep = new Map();
      for (const list of this.interactionsByAccount().values()) {
        for (const interaction of list) {
          const byRep = this.#interactionsByRep.get(interaction.repId);
          if (byRep) byRep.push(interaction);
          else this.#interactionsByRep.set(interaction.repId, [interaction]);
        }
      }
    }
    return this.#interactionsByRep;
  }

  /** Leads that arrived in the period and that the slice can see. */
  leadsInPeriod(): GraphState["leads"][string][] {
    this.#leads ??= listOf(this.#state, "leads").filter((lead) => visible(lead, this.#current) && this.#inPeriod(lead.at));
    return this.#leads;
  }

  /** Those leads by the rep who touched them first ("" for untouched leads). */
  leadsByFirstToucher(): Map<string, GraphState["leads"][string][]> {
    if (!this.#leadsByRep) {
      this.#leadsByRep = new Map();
      for (const lead of this.leadsInPeriod()) {
        const repId = lead.touches.find((touch) => visible(touch, this.#current))?.repId ?? "";
        const list = this.#leadsByRep.get(repId);
        if (list) list.push(lead);
        else this.#leadsByRep.set(repId, [lead]);
      }
    }
    return this.#leadsByRep;
  }

  /** Computes once per query what does not depend on the group (e.g. totals over every account). */
  shared<T>(key: string, compute: () => T): T {
    if (!this.#shared.has(key)) this.#shared.set(key, compute());
    return this.#shared.get(key) as T;
  }
}

/** Snapshots of every deal in two slices, computed once per query and shared by its groups. */
export interface DealUniverse {
  readonly current: readonly DealSnapshot[];
  readonly atPeriodEnd: ReadonlyMap<string, DealSnapshot>;
  /** Interaction and lead indexes for the period, built on first use. */
  readonly index: QueryIndex;
}

function minIso(a: string, b: string): string {
  return a < b ? a : b;
}

/**
 * The current and period-end slices for a query. When nothing in the graph happened after `now`,
 * "as of now" equals "as of the end of time": the slice is then stable, so caches keyed on it hold.
 */
export function derivedSlices(slice: TimeSlice, period: Period, now: Date, latestOccurredAt = "") {
  const nowIso = now.toISOString();
  const asOf = slice.asOf > nowIso && latestOccurredAt <= nowIso ? slice.asOf : minIso(slice.asOf, nowIso);
  const current: TimeSlice = { asOf, maxPosition: slice.maxPosition };
  const endOfPeriod = new Date(Date.parse(period.toInstant) - 1).toISOString();
  const atPeriodEnd: TimeSlice = { asOf: minIso(current.asOf, endOfPeriod), maxPosition: slice.maxPosition };
  return { current, atPeriodEnd };
}

const sweeps = new WeakMap<
  GraphState,
  { readonly position: number; readonly config: RevenueConfig; readonly bySlice: Map<string, readonly DealSnapshot[]> }
>();
/** Slices whose snapshots are kept per graph position (each holds one snapshot per deal). */
const SWEEPS_KEPT = 6;

/** Business time after every fact: the "latest" slices are derived again at it. */
const END_OF_TIME = "9999-12-31T23:59:59.999Z";

function byDealId(a: DealSnapshot, b: DealSnapshot): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A copy of a snapshot list (sorted by deal id) with these deals derived again in `slice`: the unchanged snapshots and
 * the new ones merged in one pass, so a large catch-up (an import between two queries) stays linear.
 */
function rederived(
  state: GraphState,
  config: RevenueConfig,
  slice: TimeSlice,
  snapshots: readonly DealSnapshot[],
  dealIds: ReadonlySet<string>,
): DealSnapshot[] {
  const fresh: DealSnapshot[] = [];
  for (const dealId of dealIds) {
    const facts = state.deals[dealId];
    const snapshot = facts ? dealAt(state, facts, slice, config) : null;
    if (snapshot) fresh.push(snapshot);
  }
  fresh.sort(byDealId);
  const list: DealSnapshot[] = [];
  let next = 0;
  for (const snapshot of snapshots) {
    if (dealIds.has(snapshot.id)) continue;
    while (next < fresh.length && (fresh[next] as DealSnapshot).id < snapshot.id) list.push(fresh[next++] as DealSnapshot);
    list.push(snapshot);
  }
  while (next < fresh.length) list.push(fresh[next++] as DealSnapshot);
  return list;
}

/**
 * The snapshot lists kept for the graph at its current position. When the graph has moved on, the lists of the
 * previous position are carried forward: a slice of everything known then becomes the same slice of everything known
 * now, with only the deals changed since derived again; a slice that ended before then (known at an earlier position)
 * cannot see the new facts and is kept as it is. When the changes are not known, or the configuration differs, it
 * starts afresh.
 */
function sweepsAtPosition(state: GraphState, config: RevenueConfig): Map<string, readonly DealSnapshot[]> {
  const entry = sweeps.get(state);
  if (entry && entry.position === state.position && entry.config === config) return entry.bySlice;
  const bySlice = new Map<string, readonly DealSnapshot[]>();
  const changed = entry && entry.config === config ? dealsChangedSince(state, entry.position) : null;
  if (entry && changed) {
    for (const [key, snapshots] of entry.bySlice) {
      const [asOf = "", knownUpTo = ""] = key.split("|");
      if (Number(knownUpTo) < entry.position) {
        bySlice.set(key, snapshots);
        continue;
      }
      const slice: TimeSlice = { asOf: asOf === "latest" ? END_OF_TIME : asOf, maxPosition: state.position };
      bySlice.set(sliceKey(state, slice), rederived(state, config, slice, snapshots, changed));
    }
  }
  sweeps.set(state, { position: state.position, config, bySlice });
  return bySlice;
}

/**
 * Snapshots see a slice only through which facts are visible, so every business time at or after the graph's latest
 * one (now, the end of a period not over yet, the end of time) gives the same snapshots: those slices share a key.
 */
const sliceKey = (state: GraphState, slice: TimeSlice) =>
  `${slice.asOf >= state.latestOccurredAt ? "latest" : slice.asOf}|${slice.maxPosition}`;

/**
 * Every deal's snapshot in a slice, sorted by deal id — computed once per graph position and slice, then shared by
 * every query that needs it (a scorecard and its trend share the "now" slice). Snapshots are pure functions of the
 * graph, the configuration and the slice, so sharing them cannot change an answer.
 */
export function snapshotsAt(state: GraphState, config: RevenueConfig, slice: TimeSlice): readonly DealSnapshot[] {
  const bySlice = sweepsAtPosition(state, config);
  const key = sliceKey(state, slice);
  let snapshots = bySlice.get(key);
  if (!snapshots) {
    const list: DealSnapshot[] = [];
    for (const facts of listOf(state, "deals")) {
      const snapshot = dealAt(state, facts, slice, config);
      if (snapshot) list.push(snapshot);
    }
    list.sort(byDealId);
    snapshots = list;
    if (bySlice.size >= SWEEPS_KEPT) bySlice.delete(bySlice.keys().next().value as string);
    bySlice.set(key, snapshots);
  }
  return snapshots;
}

/** Builds the deal universe for a query. */
export function dealUniverse(
  state: GraphState,
  config: RevenueConfig,
  period: Period,
  current: TimeSlice,
  atPeriodEnd: TimeSlice,
): DealUniverse {
  const now = snapshotsAt(state, config, current);
  const end = new Map<string, DealSnapshot>();
  for (const snapshot of snapshotsAt(state, config, atPeriodEnd)) end.set(snapshot.id, snapshot);
  return { current: now, atPeriodEnd: end, index: new QueryIndex(state, current, period) };
}

/** The value of a dimension for a deal. */
export function dealDimension(state: GraphState, slice: TimeSlice, deal: DealSnapshot, dimension: Dimension): string {
  const account = state.accounts[deal.accountId];
  const team = () => repTeamAt(state, deal.ownerRepId, slice) ?? "unassigned";
  const table: Record<Dimension, () => string> = {
    rep: () => deal.ownerRepId,
    team,
    manager: () => teamManagerAt(state, team(), slice) ?? "unassigned",
    region: () => account?.region ?? "unknown",
    segment: () => account?.segment ?? deal.segment,
    product: () => deal.product ?? "unknown",
    leadSource: () => deal.leadSource ?? "unknown",
    competitor: () => deal.closed?.competitor ?? "none",
    dealSizeBand: () => deal.segment,
    account: () => deal.accountId,
  };
  return table[dimension]();
}

/** The value of a dimension for a rep; undefined when the dimension does not apply to reps. */
export function repDimension(state: GraphState, slice: TimeSlice, repId: string, dimension: Dimension): string | undefined {
  const team = () => repTeamAt(state, repId, slice) ?? "unassigned";
  const table: Partial<Record<Dimension, () => string>> = {
    rep: () => repId,
    team,
    manager: () => teamManagerAt(state, team(), slice) ?? "unassigned",
    region: () => state.reps[repId]?.region ?? "unknown",
  };
  return table[dimension]?.();
}

/** Reps hired (as recorded) by the slice, sorted. */
export function visibleRepIds(state: GraphState, slice: TimeSlice): string[] {
  return Object.keys(state.reps)
    .filter((repId) => {
      const rep = state.reps[repId];
      return rep !== undefined && rep.pos <= slice.maxPosition && rep.at <= slice.asOf;
    })
    .sort();
}

/** Accounts registered (as recorded) by the slice, sorted. */
export function visibleAccountIds(state: GraphState, slice: TimeSlice): string[] {
  return Object.keys(state.accounts)
    .filter((accountId) => {
      const account = state.accounts[accountId];
      return account !== undefined && account.pos <= slice.maxPosition && account.at <= slice.asOf;
    })
    .sort();
}

/** The value of a dimension for an account; undefined when the dimension does not apply to accounts. */
export function accountDimension(
  state: GraphState,
  slice: TimeSlice,
  accountId: string,
  dimension: Dimension,
): string | undefined {
  const account = state.accounts[accountId];
  const owner = account?.owners.at(-1)?.repId;
  const table: Partial<Record<Dimension, () => string | undefined>> = {
    account: () => accountId,
    region: () => account?.region ?? "unknown",
    segment: () => account?.segment ?? "unknown",
    rep: () => owner,
    team: () => (owner ? repTeamAt(state, owner, slice) : undefined),
  };
  return table[dimension]?.();
}

/** True when every filtered dimension that applies has an accepted value. */
export function passes(filter: DimensionFilter, dimensionValue: (dimension: Dimension) => string | undefined): boolean {
  for (const [dimension, accepted] of Object.entries(filter) as [Dimension, readonly string[]][]) {
    const value = dimensionValue(dimension);
    if (value !== undefined && !accepted.includes(value)) return false;
  }
  return true;
}

/** Builds a scope: the deals, reps and accounts that pass the filter. */
export function buildScope(args: {
  state: GraphState;
  config: RevenueConfig;
  period: Period;
  now: Date;
  slice: TimeSlice;
  universe: DealUniverse;
  filter: DimensionFilter;
  /** Deals, reps and accounts already known to pass `filter` (grouped queries partition once instead of filtering per group). */
  prefiltered?: { deals: readonly DealSnapshot[]; repIds: readonly string[]; accountIds: readonly string[] };
  forecastKnownAt?: string | undefined;
}): KpiScope {
  const { state, config, period, now, slice, universe, filter } = args;
  const { current, atPeriodEnd } = derivedSlices(slice, period, now, state.latestOccurredAt);
  const deals =
    args.prefiltered?.deals ??
    universe.current.filter((deal) => passes(filter, (dimension) => dealDimension(state, current, deal, dimension)));
  const dealsAtPeriodEnd: DealSnapshot[] = [];
  for (const deal of deals) {
    const atEnd = universe.atPeriodEnd.get(deal.id);
    if (atEnd) dealsAtPeriodEnd.push(atEnd);
  }
  const repIds =
    args.prefiltered?.repIds ??
    visibleRepIds(state, current).filter((repId) =>
      passes(filter, (dimension) => repDimension(state, current, repId, dimension)),
    );
  const accountIds =
    args.prefiltered?.accountIds ??
    visibleAccountIds(state, current).filter((accountId) =>
      passes(filter, (dimension) => accountDimension(state, current, accountId, dimension)),
    );
  return {
    state,
    config,
    period,
    now,
    slice,
    current,
    evaluatedAt: minIso(current.asOf, now.toISOString()),
    atPeriodEnd,
    deals,
    dealsAtPeriodEnd,
    repIds,
    accountIds,
    filter,
    forecastKnownAt: args.forecastKnownAt ?? period.fromInstant,
    index: universe.index,
    memo: new Map(),
  };
}
