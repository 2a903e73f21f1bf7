import type { DuckDBConnection } from "@duckdb/node-api";
import {
  applyEvent,
  type DealSnapshot,
  dealAt,
  END_OF_TIME,
  emptyGraph,
  type GraphState,
  type InteractionFacts,
  type RevenueConfig,
  type TimeSlice,
} from "@revgraph/domain";
import type { EventStore } from "@revgraph/event-store";
import { foldDealStream } from "./deal-working-set.ts";
import { dealAmountFacts, reloggedInteractions } from "./facts/engagement.ts";
import { inList, sqlString, versionAt } from "./kpi-sql/predicates.ts";

/** A deal as served to readers: its snapshot in a slice, with the interactions it lists (each as last logged). */
export type ServedDeal = DealSnapshot & {
  /** The deal's visible interactions in its order (`interactionIds`), each as its latest logging stands. */
  readonly interactions: readonly InteractionFacts[];
};

/** Which deals a list keeps (every given criterion must hold; an empty list accepts nothing). */
export interface DealFilter {
  readonly status?: readonly ("open" | "won" | "lost")[] | undefined;
  readonly stages?: readonly string[] | undefined;
  readonly ownerRepIds?: readonly string[] | undefined;
  /** Ignored when empty. */
  readonly accountId?: string | undefined;
  /** Ignored when empty. */
  readonly segment?: string | undefined;
  /** Expected close date on or after this date (YYYY-MM-DD). */
  readonly expectedCloseFrom?: string | undefined;
  /** Expected close date before this date (YYYY-MM-DD). */
  readonly expectedCloseTo?: string | undefined;
  /** Amount at least this much, in the deal's own currency. */
  readonly minAmount?: number | undefined;
}

/** The fields a deal list is ordered by. */
export type DealOrderField = "amount" | "expectedCloseDate" | "createdAt" | "name" | "id";

/** A deal list's order: a field, then the deal id (natural order) among equal values. */
export interface DealOrder {
  readonly field: DealOrderField;
  readonly direction: "ASC" | "DESC";
}

/** A question for {@link DealReads.dealIds}. */
export interface DealListQuery {
  readonly filter?: DealFilter | undefined;
  /** Default: by id, ascending. */
  readonly order?: DealOrder | undefined;
  /** The slice the deals are read in (default: as things stand at the model's position). */
  readonly slice?: TimeSlice | undefined;
  /** Only deals owned (in the slice) by one of these reps; undefined: every deal. */
  readonly owners?: readonly string[] | undefined;
}

/** The natural order of ids and names the API lists deals in ("deal-2" before "deal-10"). */
const naturalOrder = new Intl.Collator("en", { numeric: true });
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** How each order field is read from a version row, and compared. */
const orderFields: Record<
  DealOrderField,
  { readonly column: string; readonly compare: (a: string | number, b: string | number) => number }
> = {
  amount: { column: "amount", compare: (a, b) => (a as number) - (b as number) },
  expectedCloseDate: { column: "expected_close_date", compare: (a, b) => byText(a as string, b as string) },
  createdAt: { column: "created_at", compare: (a, b) => byText(a as string, b as string) },
  name: { column: "name", compare: (a, b) => naturalOrder.compare(a as string, b as string) },
  id: { column: "deal_id", compare: (a, b) => naturalOrder.compare(a as string, b as string) },
};

/** Ties in natural order (e.g. "deal-01" and "deal-1") are broken by code units, as the graph's id-sorted list did. */
const byId = (a: string, b: string) => naturalOrder.compare(a, b) || byText(a, b);

/**
 * The deals created more than once whose latest creation is not visible in a slice: the graph keeps a deal's latest
 * creation only, so such a deal did not exist there (its versions from an earlier creation are still known then).
 */
function hiddenByLaterCreation(slice: TimeSlice): string {
  return `SELECT deal_id FROM ${dealAmountFacts.table} WHERE created = 1 GROUP BY deal_id
    HAVING count(*) > 1 AND (max(known_from) > ${slice.maxPosition} OR arg_max(valid_from, known_from) > ${sqlString(slice.asOf)})`;
}

/** The filter and owner restriction as a predicate over version rows (alias `v`). */
function listPredicate(filter: DealFilter, owners: readonly string[] | undefined): string {
  const terms: string[] = [];
  if (filter.status) terms.push(inList("v.status", filter.status));
  if (filter.stages) terms.push(inList("v.stage", filter.stages));
  if (filter.ownerRepIds) terms.push(inList("v.owner_rep_id", filter.ownerRepIds));
  if (owners) terms.push(inList("v.owner_rep_id", owners));
  if (filter.accountId) terms.push(`v.account_id = ${sqlString(filter.accountId)}`);
  if (filter.segment) terms.push(`v.segment = ${sqlString(filter.segment)}`);
  if (filter.expectedCloseFrom) terms.push(`v.expected_close_date >= ${sqlString(filter.expectedCloseFrom)}`);
  if (filter.expectedCloseTo) terms.push(`v.expected_close_date < ${sqlString(filter.expectedCloseTo)}`);
  if (filter.minAmount !== undefined) {
    if (!Number.isFinite(filter.minAmount)) throw new RangeError(`minAmount must be a finite number, got ${filter.minAmount}`);
    terms.push(`v.amount >= ${filter.minAmount}`);
  }
  return terms.length ? terms.join(" AND ") : "TRUE";
}

/** Deals as (id, value of the order field) pairs. */
export interface Keyed {
  readonly ids: string[];
  readonly values: (string | number)[];
}

/** The comparison of two deals, each as (id, value of the field), in a list's order: the field, then the id. */
function pairComparer(order: DealOrder): (aId: string, aValue: string | number, bId: string, bValue: string | number) => number {
  const compare = orderFields[order.field].compare;
  const sign = order.direction === "DESC" ? -1 : 1;
  return (aId, aValue, bId, bValue) => sign * compare(aValue, bValue) || byId(aId, bId);
}

/** The comparison of two keyed deals (by index) in a list's order. */
function comparer(keyed: Keyed, order: DealOrder): (a: number, b: number) => number {
  const compare = pairComparer(order);
  const { ids, values } = keyed;
  return (a, b) => compare(ids[a] as string, values[a] as string | number, ids[b] as string, values[b] as string | number);
}

/** Up to this many changed deals are moved one by one (binary search); more are merged in one pass. */
const MOVED_ONE_BY_ONE = 64;

/** Keyed deals sorted in a list's order. */
export function sortedKeyed(keyed: Keyed, order: DealOrder): Keyed {
  const indexes = keyed.ids.map((_, index) => index);
  indexes.sort(comparer(keyed, order));
  return {
    ids: indexes.map((index) => keyed.ids[index] as string),
    values: indexes.map((index) => keyed.values[index] as string | number),
  };
}

/**
 * Merges deals that changed into a sorted list they are first taken out of: the list stays sorted without sorting it
 * again (a collator sort of 100k names takes longer than the page it serves).
 */
export function mergedKeyed(sorted: Keyed, changed: Keyed, order: DealOrder): Keyed {
  if (changed.ids.length <= MOVED_ONE_BY_ONE) {
    const compare = pairComparer(order);
    const moved: Keyed = { ids: [...sorted.ids], values: [...sorted.values] };
    changed.ids.forEach((id, index) => {
      const value = changed.values[index] as string | number;
      const at = moved.ids.indexOf(id);
      if (at >= 0) {
        moved.ids.splice(at, 1);
        moved.values.splice(at, 1);
      }
      let low = 0;
      let high = moved.ids.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (compare(moved.ids[middle] as string, moved.values[middle] as string | number, id, value) < 0) low = middle + 1;
        else high = middle;
      }
      moved.ids.splice(low, 0, id);
      moved.values.splice(low, 0, value);
    });
    return moved;
  }
  const leaving = new Set(changed.ids);
  const kept: Keyed = { ids: [], values: [] };
  sorted.ids.forEach((id, index) => {
    if (leaving.has(id)) return;
    kept.ids.push(id);
    kept.values.push(sorted.values[index] as string | number);
  });
  const arriving = sortedKeyed(changed, order);
  const both: Keyed = { ids: [...kept.ids, ...arriving.ids], values: [...kept.values, ...arriving.values] };
  const before = comparer(both, order);
  const merged: Keyed = { ids: [], values: [] };
  let left = 0;
  let right = kept.ids.length;
  while (left < kept.ids.length || right < both.ids.length) {
    const takeLeft = right >= both.ids.length || (left < kept.ids.length && before(left, right) <= 0);
    const index = takeLeft ? left++ : right++;
    merged.ids.push(both.ids[index] as string);
    merged.values.push(both.values[index] as string | number);
  }
  return merged;
}

/** Every deal as things stand in one order, at a committed position; ranks are built for the first filtered list. */
interface SortedDeals extends Keyed {
  readonly position: number;
  rank: Map<string, number> | undefined;
}

/** How many orders keep their sorted deals (each about 2 MB at 100k deals, ranks 6 MB more). */
const SORTED_ORDERS = 3;

/** Where the fact tables stand: an upper bound of the business times at which a current version begins or ends. */
export interface FactsStanding {
  readonly latestVersionTime: string;
}

/**
 * Deals read without the in-memory graph: lists filtered and ordered in DuckDB over `deal_current` (as things stand)
 * or `deal_versions` (a slice), and each deal derived from its own stream (`deal-<id>`) by the domain's `applyEvent`
 * and `dealAt`, so it cannot drift from the graph. Every event about a deal is in its stream (commands and imports
 * write them there). An interaction logged again elsewhere is read at its latest logging, as the graph keeps it.
 */
export class DealReads {
  readonly #store: EventStore;
  readonly #reader: DuckDBConnection;
  readonly #config: RevenueConfig;
  readonly #standing: () => FactsStanding;
  /** Every deal as things stand per order (the most recently asked {@link SORTED_ORDERS}), kept up to date by merging. */
  readonly #sorted = new Map<string, SortedDeals>();
  /** The current owner of every deal, as of {@link #ownersPosition}. */
  readonly #owners = new Map<string, string>();
  #ownersPosition = -1;

  constructor(store: EventStore, reader: DuckDBConnection, config: RevenueConfig, standing: () => FactsStanding) {
    this.#store = store;
    this.#reader = reader;
    this.#config = config;
    this.#standing = standing;
  }

  /**
   * The slice of a question: `asOf` normalized, and `knownAt` as the last log position recorded at or before it
   * (from the fact tables' `record_log`), never past `position` (the model's). The domain's `timeSlice` rule.
   */
  async slice(position: number, options: { asOf?: string | undefined; knownAt?: string | undefined } = {}): Promise<TimeSlice> {
    let maxPosition = position;
    if (options.knownAt !== undefined) {
      const knownAt = new Date(options.knownAt).toISOString();
      const [known] = await this.#rows(
        `SELECT coalesce(max(position), 0) AS position FROM record_log WHERE recorded_at <= ${sqlString(knownAt)}`,
      );
      maxPosition = Math.min(Number(known?.[0] ?? 0), position);
    }
    return { asOf: options.asOf === undefined ? END_OF_TIME : new Date(options.asOf).toISOString(), maxPosition };
  }

  /**
   * The ids of the deals matching a list question, in its order (ties by id in natural order). As things stand they
   * come from `deal_current`, whose ids are kept sorted per order and brought up to date as the tables move on; in a
   * slice, from the versions visible in it.
   */
  async dealIds(query: DealListQuery, position: number): Promise<string[]> {
    const order = query.order ?? { field: "id", direction: "ASC" };
    const slice = query.slice ?? { asOf: END_OF_TIME, maxPosition: position };
    const committed = await this.#committedPosition();
    const filter = query.filter ?? {};
    const predicate = listPredicate(filter, query.owners);
    const latest = slice.maxPosition >= committed && slice.asOf >= this.#standing().latestVersionTime;
    if (!latest) {
      const [ids, values] = await this.#columns(
        `SELECT v.deal_id, v.${orderFields[order.field].column} FROM deal_versions v
         WHERE ${versionAt(slice)} AND ${predicate} AND v.deal_id NOT IN (${hiddenByLaterCreation(slice)})`,
      );
      const keyed = { ids: ids as string[], values: values as (string | number)[] };
      return (await this.#inCurrentOrder(keyed, order, committed)) ?? sortedKeyed(keyed, order).ids;
    }
    const sorted = await this.#sortedCurrent(order, committed);
    if (predicate === "TRUE") return [...sorted.ids];
    const [matched] = await this.#columns(`SELECT v.deal_id FROM deal_current v WHERE ${predicate}`);
    sorted.rank ??= new Map(sorted.ids.map((id, index) => [id, index]));
    const rank = sorted.rank;
    const ranked = (matched as string[]).map((id) => rank.get(id) ?? Number.POSITIVE_INFINITY);
    ranked.sort((a, b) => a - b);
    return ranked.filter((at) => at !== Number.POSITIVE_INFINITY).map((at) => sorted.ids[at] as string);
  }

  /**
   * Deals of a slice in a text order their values have as things stand too (ids always; names unless a deal was
   * created again): in the order of the sorted current list, without comparing text again (a collator sort of 100k
   * ids takes longer than reading them). Undefined when a value differs from the current one.
   */
  async #inCurrentOrder(keyed: Keyed, order: DealOrder, committed: number): Promise<string[] | undefined> {
    if (order.field !== "id" && order.field !== "name") return undefined;
    const sorted = await this.#sortedCurrent(order, committed);
    sorted.rank ??= new Map(sorted.ids.map((id, index) => [id, index]));
    const ranks: number[] = [];
    for (const [index, id] of keyed.ids.entries()) {
      const at = sorted.rank.get(id);
      if (at === undefined || sorted.values[at] !== keyed.values[index]) return undefined;
      ranks.push(at);
    }
    return ranks.sort((a, b) => a - b).map((at) => sorted.ids[at] as string);
  }

  /** The accounts of the deals (as things stand) owned by one of `owners`. */
  async accountsOfOwners(owners: readonly string[]): Promise<Set<string>> {
    const [accounts] = await this.#columns(
      `SELECT DISTINCT v.account_id FROM deal_current v WHERE ${inList("v.owner_rep_id", owners)}`,
    );
    return new Set(accounts as string[]);
  }

  /**
   * Deals derived from their streams: the events up to `position` (the model's) folded into a scratch graph, then
   * `dealAt` in `slice`; null for a deal with no creation visible there. Interactions logged again in another stream
   * are read at their latest logging (from `relogged_interactions`), as the graph keeps them.
   */
  async deals(ids: readonly string[], slice: TimeSlice, position: number): Promise<(ServedDeal | null)[]> {
    const unique = [...new Set(ids)];
    const graphs = await Promise.all(unique.map((id) => foldDealStream(this.#store, id, position)));
    const interactionIds = new Set<string>();
    for (const [index, id] of unique.entries())
      for (const entry of graphs[index]?.deals[id]?.interactions ?? []) interactionIds.add(entry.interactionId);
    const latest = await this.#latestLoggings(interactionIds, position);
    const served = new Map<string, ServedDeal | null>();
    for (const [index, id] of unique.entries()) {
      const scratch = graphs[index] as GraphState;
      for (const [interactionId, logging] of latest) {
        const own = scratch.interactions[interactionId];
        if (own && own.pos < logging.pos) (scratch.interactions as Record<string, InteractionFacts>)[interactionId] = logging;
      }
      const facts = scratch.deals[id];
      const snapshot = facts ? dealAt(scratch, facts, slice, this.#config) : null;
      served.set(
        id,
        snapshot && {
          ...snapshot,
          interactions: snapshot.interactionIds.flatMap((interactionId) => scratch.interactions[interactionId] ?? []),
        },
      );
    }
    return ids.map((id) => served.get(id) ?? null);
  }

  /** The current owner of a deal (its latest owner by business time, else its creator's choice); undefined if unknown. */
  owner(dealId: string): string | undefined {
    if (this.#ownersPosition < 0) throw new Error("deal owners are not loaded: call loadOwners() after opening the fact tables");
    return this.#owners.get(dealId);
  }

  /** Loads the current owner of every deal from the committed fact tables; {@link refreshOwners} keeps them up to date. */
  async loadOwners(): Promise<void> {
    this.#ownersPosition = Math.max(this.#ownersPosition, 0);
    await this.refreshOwners();
  }

  /** Brings the owners loaded by {@link loadOwners} up to date with the committed fact tables (nothing before that). */
  async refreshOwners(): Promise<void> {
    if (this.#ownersPosition < 0) return;
    const position = await this.#committedPosition();
    const [ids, owners] = await this.#columns(
      `SELECT deal_id, owner_rep_id FROM deal_current WHERE known_from > ${this.#ownersPosition}`,
    );
    (ids as string[]).forEach((id, index) => {
      this.#owners.set(id, (owners as string[])[index] as string);
    });
    this.#ownersPosition = position;
  }

  /**
   * The latest logging (position ≤ `position`) of each of these interactions that was logged more than once. Such
   * corrections are few: the whole table is read (faster than naming a page's thousand interactions in the query).
   */
  async #latestLoggings(interactionIds: ReadonlySet<string>, position: number): Promise<Map<string, InteractionFacts>> {
    const loggings = new Map<string, InteractionFacts>();
    if (interactionIds.size === 0) return loggings;
    const [ids, positions] = await this.#columns(
      `SELECT interaction_id, latest_known_from FROM ${reloggedInteractions.table} WHERE latest_known_from <= ${position}`,
    );
    for (const [index, id] of (ids as string[]).entries()) {
      if (!interactionIds.has(id)) continue;
      const scratch = emptyGraph();
      const at = Number((positions as (number | bigint)[])[index]);
      for await (const event of this.#store.readAll({ after: at - 1, maxCount: 1 })) applyEvent(scratch, event);
      const logged = scratch.interactions[id];
      if (logged) loggings.set(id, logged);
    }
    return loggings;
  }

  /**
   * Every deal as things stand in `order` at the committed position: sorted once, then brought up to date by merging
   * the deals whose current version changed since (those with a `deal_current` row known after the cached position).
   */
  async #sortedCurrent(order: DealOrder, committed: number): Promise<SortedDeals> {
    const key = `${order.field} ${order.direction}`;
    const cached = this.#sorted.get(key);
    this.#sorted.delete(key);
    const column = orderFields[order.field].column;
    let sorted: SortedDeals;
    if (cached && cached.position === committed) sorted = cached;
    else if (cached && cached.position < committed) {
      const [ids, values] = await this.#columns(
        `SELECT v.deal_id, v.${column} FROM deal_current v WHERE v.known_from > ${cached.position}`,
      );
      const changed = { ids: ids as string[], values: values as (string | number)[] };
      sorted = { ...mergedKeyed(cached, changed, order), position: committed, rank: undefined };
    } else {
      const [ids, values] = await this.#columns(`SELECT v.deal_id, v.${column} FROM deal_current v`);
      sorted = {
        ...sortedKeyed({ ids: ids as string[], values: values as (string | number)[] }, order),
        position: committed,
        rank: undefined,
      };
    }
    this.#sorted.set(key, sorted);
    for (const stale of [...this.#sorted.keys()].slice(0, Math.max(0, this.#sorted.size - SORTED_ORDERS)))
      this.#sorted.delete(stale);
    return sorted;
  }

  async #committedPosition(): Promise<number> {
    const [position] = await this.#rows("SELECT coalesce(max(position), 0) FROM read_model_position");
    return Number(position?.[0] ?? 0);
  }

  async #rows(sql: string): Promise<unknown[][]> {
    return (await this.#reader.runAndReadAll(sql)).getRowsJS() as unknown[][];
  }

  /** A query's columns as arrays (empty arrays when it has no rows). */
  async #columns(sql: string): Promise<unknown[][]> {
    const result = await this.#reader.runAndReadAll(sql);
    const columns = result.getColumnsJS() as unknown[][];
    return Array.from({ length: result.columnCount }, (_, index) => columns[index] ?? []);
  }
}
