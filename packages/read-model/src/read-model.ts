import {
  applyEvent,
  type DealSnapshot,
  dealAt,
  emptyGraph,
  type GraphState,
  type RevenueConfig,
  timeSlice,
} from "@revgraph/domain";
import type { EventStore, Subscription } from "@revgraph/event-store";
import type { RecordedEvent } from "@revgraph/events";
import { computeKpis, funnel, type KpiDefinition, type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import { FactStore } from "./facts/fact-store.ts";
import { computeKpisSql, isCompiled, type KpiSqlOptions } from "./kpi-sql/compile.ts";
import { listedEvents, type ServedKpiResult } from "./kpi-sql/contributing-events.ts";
import { type FunnelGroup, funnelSql } from "./kpi-sql/funnel.ts";
import { restatementsFromGraph, restatementsSql, type ServedRestatement } from "./kpi-sql/restatements.ts";
import { type DealRisk, type DealRiskQuery, dealRisksFromGraph, dealRisksSql } from "./kpi-sql/risks.ts";

/** Progress of a catch-up or rebuild. */
export interface ReplayProgress {
  readonly position: number;
  readonly head: number;
  readonly events: number;
}

/** Options for {@link RevenueReadModel.open}. */
export interface ReadModelOptions {
  readonly store: EventStore;
  readonly config: RevenueConfig;
  /** Follow the store live after catching up (default true). */
  readonly follow?: boolean;
  /**
   * The DuckDB file of the fact tables (e.g. `read-model.api.duckdb` in the data directory; one file per process),
   * or `:memory:`. Without it the model keeps no fact tables and every KPI comes from the in-memory engine.
   */
  readonly factsPath?: string;
  /**
   * Replay the log into the graph only when something needs it (default false: at open). For a process that does not
   * follow the store and asks KPI questions the fact tables answer (the CLI's `kpi`): when the fact file is already at
   * the head of the log, opening reads nothing from the log; the graph is replayed on the first question that needs
   * it (an engine-path KPI). {@link RevenueReadModel.state} and {@link RevenueReadModel.currentDeals} then throw until
   * it has been. Ignored when following.
   */
  readonly graphWhenNeeded?: boolean;
  /** Events written to the fact tables per transaction while catching up (default 20,000). */
  readonly factsBatch?: number;
  /** Called after each transaction of the fact tables with the log position they now cover. */
  readonly onFactsWritten?: (position: number) => void;
  readonly onProgress?: (progress: ReplayProgress) => void;
}

type Listener = (event: RecordedEvent) => void;

/**
 * The revenue graph kept up to date from an event store: catches up from the log, then follows the
 * store live. There is no snapshot file: a graph of 100k deals does not fit in one JSON string. Deal snapshots "as things stand" are cached and
 * recomputed only for deals that changed.
 */
export class RevenueReadModel {
  readonly config: RevenueConfig;
  #state: GraphState;
  readonly #store: EventStore;
  readonly #options: ReadModelOptions;
  readonly #listeners = new Set<Listener>();
  readonly #waiters: { position: number; resolve: () => void }[] = [];
  readonly #dirty = new Set<string>();
  #deals: Map<string, DealSnapshot> | undefined;
  #subscription: Subscription | undefined;
  #following: Promise<void> | undefined;
  readonly #facts: FactStore | undefined;
  readonly #unannounced: RecordedEvent[] = [];
  #writeScheduled = false;
  #writing: Promise<void> = Promise.resolve();
  /** False while the graph has not been replayed (see {@link ReadModelOptions.graphWhenNeeded}). */
  #replayed = false;
  #replaying: Promise<void> | undefined;

  private constructor(options: ReadModelOptions, state: GraphState, facts: FactStore | undefined) {
    this.#options = options;
    this.#facts = facts;
    this.#store = options.store;
    this.config = options.config;
    this.#state = state;
  }

  /**
   * Opens the read model: the fact tables where they stand (emptied when they come from another log), catch-up
   * from the log, then live following.
   */
  static async open(options: ReadModelOptions): Promise<RevenueReadModel> {
    const facts = options.factsPath ? await FactStore.open({ path: options.factsPath, config: options.config }) : undefined;
    if (facts && facts.position > 0 && !(await sameLog(options.store, facts))) await facts.reset();
    const model = new RevenueReadModel(options, emptyGraph(), facts);
    const follow = options.follow ?? true;
    const factsAtHead = facts !== undefined && facts.position === (await options.store.headPosition());
    if (follow || !options.graphWhenNeeded || !factsAtHead) await model.#catchUp();
    if (follow) model.#follow();
    return model;
  }

  /** The graph as of {@link position}. Treat it as read-only. */
  get state(): GraphState {
    return this.#graph();
  }

  /** Global position of the last event applied. */
  get position(): number {
    return this.#replayed ? this.#state.position : this.factsPosition;
  }

  /** The log position the fact tables cover (the graph's position when there are none). */
  get factsPosition(): number {
    return this.#facts?.position ?? this.#state.position;
  }

  /**
   * Computes KPIs: from the fact tables with SQL when every asked definition is compiled there, else with the
   * in-memory engine. Both are pure functions of the events applied and `now`. `options` apply to the SQL path (the
   * engine always lists contributing events). Each result's `contributing` counts and pages its contributing events.
   */
  async computeKpis(query: KpiQuery, now: Date, options: KpiSqlOptions = {}): Promise<ServedKpiResult[]> {
    if (this.#facts && this.sqlServes(query))
      return computeKpisSql(this.#facts.reader, this.#facts, this.config, query, now, options);
    return computeKpis(await this.replayedState(), this.config, query, now).map(listedEvents);
  }

  /** The graph, replayed first when it has not been yet (see {@link ReadModelOptions.graphWhenNeeded}). */
  async replayedState(): Promise<GraphState> {
    if (!this.#replayed) {
      this.#replaying ??= this.#catchUp();
      await this.#replaying;
    }
    return this.#state;
  }

  /**
   * The stage funnel and time in stage per group: from the fact tables when there are any, else from the engine. SQL
   * reads stored stays and is faster than the warm engine (`test/bench/stage-kpis.ts`, by team, p50): at 20k deals
   * 96 ms with the graph in memory against 118 ms, at 100k 271 ms against 706 ms (on a busy machine up to 1.7 times
   * the engine's time at 20k).
   */
  async funnel(query: Omit<KpiQuery, "kpis">, now: Date): Promise<FunnelGroup[]> {
    if (this.#facts) return funnelSql(this.#facts.reader, this.#facts, this.config, query, now);
    return funnel(this.#state, this.config, query, now);
  }

  /**
   * The risk flags (stale, silent evaluator, single-threaded, slipped) on the open deals of a query's scope, of the
   * kinds asked (default: all), evaluated at `now` capped at its asOf: from the fact tables when there are any
   * (`dealRisksSql`: no deal of the graph is read), else from the engine over the graph. Throws a `KpiQueryError` for
   * bad arguments (an unknown kind among them).
   */
  async dealRisks(query: DealRiskQuery, now: Date, kinds?: readonly string[]): Promise<DealRisk[]> {
    if (this.#facts) return dealRisksSql(this.#facts.reader, this.#facts, this.config, query, now, kinds);
    return dealRisksFromGraph(await this.replayedState(), this.config, query, now, kinds);
  }

  /**
   * A KPI query as known at two record times, each answer with its contributing events listed: from the fact tables
   * when they answer the query ({@link sqlServes}: no deal of the graph is read), else from the engine over the graph.
   */
  async restatements(
    query: Omit<KpiQuery, "knownAt">,
    knownAtA: string,
    knownAtB: string,
    now: Date,
  ): Promise<ServedRestatement[]> {
    if (this.#facts && this.sqlServes(query))
      return restatementsSql(this.#facts.reader, this.#facts, this.config, query, knownAtA, knownAtB, now);
    return restatementsFromGraph(await this.replayedState(), this.config, query, knownAtA, knownAtB, now);
  }

  /**
   * True when the fact tables answer this query: every KPI it asks for is compiled to SQL. With the stored stays and
   * engagement points, SQL is faster than the warm engine for every area (`test/bench/stage-kpis.ts`,
   * `test/bench/engagement-kpis.ts`), so a process with the graph at hand asks SQL too; the engine answers only
   * definitions not compiled (candidate versions).
   */
  sqlServes(query: KpiQuery): boolean {
    return this.#facts !== undefined && compiledForSql(query);
  }

  /** Resolves once the model has applied `position` (read-your-writes after an append). */
  waitFor(position: number, timeoutMs = 5_000): Promise<void> {
    if (this.#state.position >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read model did not reach position ${position} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Calls `listener` after each applied event; returns the unsubscribe function. */
  onEvent(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every deal as things stand (latest business and record time), sorted by id; cached between changes. */
  currentDeals(): ReadonlyMap<string, DealSnapshot> {
    const slice = timeSlice(this.#graph());
    if (!this.#deals) {
      this.#deals = new Map();
      for (const id of Object.keys(this.#state.deals).sort()) {
        const snapshot = dealAt(this.#state, this.#state.deals[id] as GraphState["deals"][string], slice, this.config);
        if (snapshot) this.#deals.set(id, snapshot);
      }
      this.#dirty.clear();
    } else if (this.#dirty.size) {
      for (const id of this.#dirty) {
        const facts = this.#state.deals[id];
        const snapshot = facts ? dealAt(this.#state, facts, slice, this.config) : null;
        if (snapshot) this.#deals.set(id, snapshot);
        else this.#deals.delete(id);
      }
      this.#dirty.clear();
    }
    return this.#deals;
  }

  /** Stops following and closes the fact tables. The store stays open (it belongs to the caller). */
  async close(): Promise<void> {
    await this.#subscription?.close();
    await this.#following;
    await new Promise((resolve) => setImmediate(resolve));
    await this.#writing;
    this.#facts?.close();
  }

  #graph(): GraphState {
    if (!this.#replayed) throw new Error("the graph has not been replayed yet (graphWhenNeeded): only KPI questions are served");
    return this.#state;
  }

  #apply(event: RecordedEvent): void {
    applyEvent(this.#state, event);
    this.#facts?.apply(this.#state, event);
    const dealId = (event.data as { dealId?: string }).dealId;
    if (dealId !== undefined) this.#dirty.add(dealId);
  }

  /**
   * Announces a live event once the fact tables hold it. Events that arrive together (an import, a burst) are written
   * in one transaction: the write waits until the events already delivered are applied, and writes run one at a time.
   */
  #announceWhenWritten(event: RecordedEvent): void {
    const facts = this.#facts;
    if (!facts) {
      this.#announce(event);
      return;
    }
    this.#unannounced.push(event);
    if (this.#writeScheduled) return;
    this.#writeScheduled = true;
    setImmediate(() => {
      this.#writeScheduled = false;
      const events = this.#unannounced.splice(0);
      this.#writing = this.#writing
        .then(() => this.#writeFacts(facts))
        .then(() => {
          for (const written of events) this.#announce(written);
        });
    });
  }

  async #writeFacts(facts: FactStore): Promise<void> {
    if (facts.unflushed === 0) return;
    const position = await facts.flush();
    this.#options.onFactsWritten?.(position);
  }

  /** Tells listeners and waiters about an event once it is applied everywhere (graph and fact tables). */
  #announce(event: RecordedEvent): void {
    for (const listener of this.#listeners) listener(event);
    if (this.#waiters.length) {
      for (let index = this.#waiters.length - 1; index >= 0; index--) {
        const waiter = this.#waiters[index] as { position: number; resolve: () => void };
        if (waiter.position <= event.globalPosition) {
          this.#waiters.splice(index, 1);
          waiter.resolve();
        }
      }
    }
  }

  async #catchUp(): Promise<void> {
    const head = await this.#store.headPosition();
    let events = 0;
    const batch = this.#options.factsBatch ?? 20_000;
    await this.#facts?.prepare();
    const factsBehind = this.#facts !== undefined && this.#facts.position < head;
    if (factsBehind) await this.#facts?.beginCatchUp();
    // A batch is written while the next one is applied: DuckDB's share of a write (updates, commit) runs on its own
    // threads, and the loop lets it continue every few hundred events (reading the log never waits on anything).
    let written: Promise<void> = Promise.resolve();
    try {
      for await (const event of this.#store.readAll({ after: this.#state.position })) {
        this.#apply(event);
        if (this.#facts && this.#facts.unflushed >= batch) {
          await written;
          written = this.#writeFacts(this.#facts);
        }
        events++;
        if (events % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
        if (events % 50_000 === 0) this.#options.onProgress?.({ position: event.globalPosition, head, events });
      }
      await written;
      if (this.#facts) await this.#writeFacts(this.#facts);
    } catch (error) {
      await written.catch(() => undefined);
      // The live checkpoint threshold comes back even when catch-up fails (the error is the one reported).
      if (factsBehind) await this.#facts?.endCatchUp().catch(() => undefined);
      throw error;
    }
    if (factsBehind) await this.#facts?.endCatchUp();
    this.#replayed = true;
    this.#options.onProgress?.({ position: this.#state.position, head, events });
  }

  #follow(): void {
    this.#subscription = this.#store.subscribeToAll({ after: this.#state.position });
    const subscription = this.#subscription;
    this.#following = (async () => {
      try {
        for await (const event of subscription) {
          if (event.globalPosition <= this.#state.position) continue;
          this.#apply(event);
          this.#announceWhenWritten(event);
        }
      } catch (error) {
        if (!(error instanceof Error && error.name === "StoreClosedError")) throw error;
      }
    })();
  }
}

/** The definitions a query asks for, in the asked version (default: the newest active one); undefined for an unknown one. */
function askedDefinitions(query: KpiQuery): (KpiDefinition | undefined)[] {
  return query.kpis.map((id) => {
    const version = query.versions?.[id];
    const candidates = kpiDefinitions.filter((definition) => definition.id === id);
    return version === undefined
      ? candidates
          .filter((definition) => definition.status === "active")
          .reduce<KpiDefinition | undefined>((a, b) => (!a || b.version > a.version ? b : a), undefined)
      : candidates.find((definition) => definition.version === version);
  });
}

/** True when every KPI a query asks for, in the asked version (default: the newest active one), is compiled to SQL. */
export function compiledForSql(query: KpiQuery): boolean {
  return askedDefinitions(query).every((definition) => definition !== undefined && isCompiled(definition));
}

/** True when the event at the facts' position is the one they recorded (they come from this log). */
async function sameLog(store: EventStore, facts: FactStore): Promise<boolean> {
  for await (const event of store.readAll({ after: facts.position - 1, maxCount: 1 }))
    return event.globalPosition === facts.position && event.id === facts.eventId;
  return false;
}

/** Replays the whole log into a fresh graph (no snapshot), reporting progress. */
export async function rebuildGraph(store: EventStore, onProgress?: (progress: ReplayProgress) => void): Promise<GraphState> {
  const state = emptyGraph();
  const head = await store.headPosition();
  let events = 0;
  for await (const event of store.readAll()) {
    applyEvent(state, event);
    events++;
    if (onProgress && events % 50_000 === 0) onProgress({ position: event.globalPosition, head, events });
  }
  onProgress?.({ position: state.position, head, events });
  return state;
}
