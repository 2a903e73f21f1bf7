import { getHeapStatistics } from "node:v8";
import {
  applyEvent,
  type DealSnapshot,
  dealAt,
  dealIdOf,
  dropRecordLog,
  END_OF_TIME,
  emptyGraph,
  type GraphState,
  orgEventTypes,
  type RevenueConfig,
  restoreOrgPart,
  type TimeSlice,
  timeSlice,
} from "@revgraph/domain";
import type { EventStore, Subscription } from "@revgraph/event-store";
import type { RecordedEvent } from "@revgraph/events";
import { computeKpis, funnel, type KpiDefinition, type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import { type DealListQuery, DealReads, type ServedDeal } from "./deal-reads.ts";
import {
  catchUpWorkingSetCeiling,
  DEFAULT_CATCH_UP_WORKING_SET_DEALS,
  DEFAULT_WORKING_SET_DEALS,
  DealWorkingSet,
} from "./deal-working-set.ts";
import { FactStore } from "./facts/fact-store.ts";
import { keepOrgGraph, keptOrgGraphPath, readKeptOrgGraph } from "./kept-org-graph.ts";
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
  /**
   * What the in-memory graph holds (default `"full"`: every event). `"org"` (needs {@link factsPath}): only the org
   * part — accounts, contacts, reps, teams, quotas, leads, forecasts, rates — while deal events are projected into the
   * fact tables with a bounded working set of deals read from their own streams on demand ({@link workingSetDeals}).
   * Opening on a fact file from this log restores the org part kept beside it (`<factsPath>.org.ndjson`, written on
   * close and after replaying many org events) and replays only the org events after it up to the file's position (a
   * filtered read), then catches up the tail. At 100k deals (2M events, `test/bench/restart.ts`, shared machine) that
   * restart takes 1.3–1.9 s at the head (0.7 GB peak RSS), 2.4–2.9 s with a tail of 2,000 deal events on as many
   * deals (0.85 GB), 3.1 s the first time, with every org event replayed (0.7 GB; the API's first start 5.3 s and
   * 1.16 GB). On an empty fact file, or a tail of more than a batch, it builds with a larger working set
   * ({@link catchUpWorkingSetDeals}): 68–73 s at 100k deals on the quiet machine (`test/bench/restart.ts`), peak RSS
   * 3.8–4.0 GB, mostly JavaScript heap not yet collected (DuckDB catches up under `DEFAULT_CATCH_UP_MEMORY_LIMIT`,
   * 2 GB).
   *
   * In that mode {@link RevenueReadModel.state} holds the org part; its `deals` and `interactions` are the working set
   * (internal: nobody else may read them), its record log is kept empty (`timeSlice` refuses `knownAt` on it: take
   * those slices from the fact tables' `record_log`), and its `latestOccurredAt` is the
   * fact tables' (which counts the times of the log's checkpoint digests). {@link RevenueReadModel.currentDeals} and
   * the engine's paths ({@link RevenueReadModel.replayedState}) throw.
   */
  readonly graph?: "full" | "org";
  /** Deals the working set of an org graph holds at most (default {@link DEFAULT_WORKING_SET_DEALS}). */
  readonly workingSetDeals?: number;
  /**
   * Deals the working set of an org graph holds at most while catching up more than one batch of events (default
   * {@link DEFAULT_CATCH_UP_WORKING_SET_DEALS}); back to {@link workingSetDeals} when catch-up ends.
   */
  readonly catchUpWorkingSetDeals?: number;
  /**
   * The most deals that working set grows to while catching up when deals read again are frequent (default
   * `catchUpWorkingSetCeiling` of the process's heap limit; see `DealWorkingSet.rebound`).
   */
  readonly maxCatchUpWorkingSetDeals?: number;
  /**
   * Org events an org graph applies before it keeps its org part beside the fact file again (default
   * {@link KEEP_ORG_GRAPH_AFTER}): after opening and after a live write. It is kept on close whatever their number.
   */
  readonly keepOrgGraphAfter?: number;
  /**
   * Events written to the fact tables per transaction while catching up (default: {@link catchUpBatchAt}, which
   * grows with the log position).
   */
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
  /** Deals read from the fact tables and their streams (with fact tables only). */
  readonly #dealReads: DealReads | undefined;
  /** The position the fact tables have committed (the graph's when there are none): what readers of them see. */
  #factsWritten: number;
  readonly #unannounced: RecordedEvent[] = [];
  #writeScheduled = false;
  #writing: Promise<void> = Promise.resolve();
  /** False while the graph has not been replayed (see {@link ReadModelOptions.graphWhenNeeded}). */
  #replayed = false;
  #replaying: Promise<void> | undefined;
  /** The deals an org graph holds (undefined for a full graph). */
  readonly #workingSet: DealWorkingSet | undefined;
  /**
   * An org graph loads the fact tables' open deal versions while it restores its org part, and serves before they are
   * loaded when there is no tail (see {@link #openOrg}); the first event applied waits for them.
   */
  #preparing: Promise<void> | undefined;
  /** Org events applied since the org part was last kept beside the fact file (see {@link #keepOrgGraph}). */
  #orgEventsSinceKept = 0;

  private constructor(options: ReadModelOptions, state: GraphState, facts: FactStore | undefined) {
    this.#options = options;
    this.#facts = facts;
    this.#store = options.store;
    this.config = options.config;
    this.#state = state;
    if (options.graph === "org") {
      this.#workingSet = new DealWorkingSet(options.store, state, options.workingSetDeals ?? DEFAULT_WORKING_SET_DEALS);
      // Its knownAt slices come from the fact tables' record_log.
      dropRecordLog(state);
    }
    this.#dealReads =
      facts && new DealReads(options.store, facts.reader, options.config, () => ({ latestVersionTime: facts.latestVersionTime }));
    this.#factsWritten = facts?.position ?? 0;
  }

  /**
   * Opens the read model: the fact tables where they stand (emptied when they come from another log), catch-up
   * from the log, then live following.
   */
  static async open(options: ReadModelOptions): Promise<RevenueReadModel> {
    if (options.graph === "org" && !options.factsPath)
      throw new Error('a read model with graph "org" needs factsPath: its deals are served from the fact tables');
    const facts = options.factsPath ? await FactStore.open({ path: options.factsPath, config: options.config }) : undefined;
    if (facts && facts.position > 0 && !(await sameLog(options.store, facts))) await facts.reset();
    const model = new RevenueReadModel(options, emptyGraph(), facts);
    if (options.graph === "org" && facts) {
      try {
        await model.#openOrg(facts);
        await model.#dealReads?.loadOwners();
      } catch (error) {
        facts.close();
        throw error;
      }
      return model;
    }
    const follow = options.follow ?? true;
    const factsAtHead = facts !== undefined && facts.position === (await options.store.headPosition());
    if (follow || !options.graphWhenNeeded || !factsAtHead) await model.#catchUp();
    if (follow || !options.graphWhenNeeded) await model.#dealReads?.loadOwners();
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
    if (this.#workingSet) throw orgGraphError("the in-memory KPI engine");
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

  /**
   * Resolves once the model has applied `position` and, with fact tables, committed it there (read-your-writes after an
   * append: lists, deal owners and KPIs read the fact tables).
   */
  waitFor(position: number, timeoutMs = 5_000): Promise<void> {
    if (this.#state.position >= position && (!this.#facts || this.#factsWritten >= position)) return Promise.resolve();
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
    if (this.#workingSet) throw orgGraphError("currentDeals()");
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

  /**
   * The slice of a question, from the fact tables (no graph needed): `asOf` normalized, `knownAt` as the last log
   * position recorded at or before it, never past the model's {@link position} — `timeSlice` of the graph.
   */
  slice(options: { asOf?: string | undefined; knownAt?: string | undefined } = {}): Promise<TimeSlice> {
    return this.#reads().slice(this.position, options);
  }

  /**
   * One deal in a slice (default: as things stand at the model's position), derived from its own stream, never from
   * the graph; null when it did not exist there.
   */
  async deal(dealId: string, slice?: TimeSlice): Promise<ServedDeal | null> {
    const [deal] = await this.deals([dealId], slice);
    return deal ?? null;
  }

  /** Deals in a slice (see {@link deal}), in the order of `ids`. */
  deals(ids: readonly string[], slice?: TimeSlice): Promise<(ServedDeal | null)[]> {
    const position = this.position;
    return this.#reads().deals(ids, slice ?? { asOf: END_OF_TIME, maxPosition: position }, position);
  }

  /** The ids of the deals a list question matches, in its order, from the fact tables (see {@link DealListQuery}). */
  dealIds(query: DealListQuery): Promise<string[]> {
    return this.#reads().dealIds(query, this.position);
  }

  /** The accounts of the deals (as things stand) owned by one of `owners`. */
  dealAccounts(owners: readonly string[]): Promise<Set<string>> {
    return this.#reads().accountsOfOwners(owners);
  }

  /** The current owner of a deal (its latest owner by business time, else the one it was created with); sync. */
  dealOwner(dealId: string): string | undefined {
    return this.#reads().owner(dealId);
  }

  /** Stops following and closes the fact tables. The store stays open (it belongs to the caller). */
  async close(): Promise<void> {
    await this.#preparing?.catch(() => undefined);
    await this.#subscription?.close();
    await this.#following;
    await new Promise((resolve) => setImmediate(resolve));
    await this.#writing;
    // A kept org part that could not be written costs the next start a longer replay, nothing else.
    if (this.#workingSet && this.#facts) await this.#keepOrgGraph(this.#facts).catch(() => undefined);
    this.#facts?.close();
  }

  #reads(): DealReads {
    if (!this.#dealReads) throw new Error("deals are read from the fact tables: open the read model with factsPath");
    return this.#dealReads;
  }

  #graph(): GraphState {
    if (!this.#replayed) throw new Error("the graph has not been replayed yet (graphWhenNeeded): only KPI questions are served");
    return this.#state;
  }

  #apply(event: RecordedEvent): void {
    applyEvent(this.#state, event);
    this.#facts?.apply(this.#state, event);
    const dealId = dealIdOf(event.data);
    if (dealId !== undefined) this.#dirty.add(dealId);
  }

  /** Applies one event to an org graph: its deal loaded first when not held, deals beyond the bound dropped after. */
  async #applyOrg(workingSet: DealWorkingSet, event: RecordedEvent): Promise<void> {
    await this.#preparing;
    await workingSet.prepare(event);
    applyEvent(this.#state, event);
    this.#facts?.apply(this.#state, event);
    workingSet.settle(event);
    if (orgTypes.has(event.type)) this.#orgEventsSinceKept++;
  }

  /**
   * Opens an org graph: the org part kept beside the fact file (if any), then the org events after it up to the fact
   * tables' position (a filtered read); the graph then stands at that position, and the tail is caught up and followed
   * with the working set. The open deal versions the fact tables need for the next event (half a million rows at 100k
   * deals) load meanwhile: DuckDB's share runs on its threads, and with no tail the graph serves before they are in.
   * The org part is kept again when many org events were applied (after opening, after a live write, and on close).
   */
  async #openOrg(facts: FactStore): Promise<void> {
    const state = this.#state;
    if (facts.position > 0) {
      this.#preparing = facts.prepare();
      // Reported to the first event that waits for it (or not at all when none comes).
      this.#preparing.catch(() => undefined);
      const path = keptOrgGraphPath(this.#options.factsPath as string);
      const kept = path ? await readKeptOrgGraph(path) : null;
      const usable =
        kept !== null && kept.position <= facts.position && (await eventIdAt(this.#store, kept.position)) === kept.eventId;
      if (usable) restoreOrgPart(state, kept.graph);
      const after = usable ? kept.position : 0;
      for await (const event of this.#store.readAll({ types: orgEventTypes, after })) {
        if (event.globalPosition > facts.position) break;
        applyEvent(state, event);
        this.#orgEventsSinceKept++;
      }
      state.position = facts.position;
      state.latestOccurredAt = facts.latestOccurredAt;
    }
    await this.#catchUp();
    // Kept once the model serves (a 61 MB JSON at 100k deals takes 0.5 s), in turn with the live writes.
    this.#writing = this.#writing
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => this.#keepOrgGraphWhenDue(facts).catch(() => undefined));
    if (this.#options.follow ?? true) this.#follow();
  }

  /** Keeps the org part of an org graph once enough org events were applied since ({@link ReadModelOptions.keepOrgGraphAfter}). */
  async #keepOrgGraphWhenDue(facts: FactStore): Promise<void> {
    const after = this.#options.keepOrgGraphAfter ?? KEEP_ORG_GRAPH_AFTER;
    if (this.#workingSet && this.#orgEventsSinceKept >= after) await this.#keepOrgGraph(facts);
  }

  /** Keeps the org part beside the fact file when the graph stands at the file's written position. */
  async #keepOrgGraph(facts: FactStore): Promise<void> {
    const path = keptOrgGraphPath(this.#options.factsPath as string);
    const eventId = facts.eventId;
    if (!path || eventId === null || this.#orgEventsSinceKept === 0) return;
    if (facts.unflushed > 0 || facts.writtenPosition !== this.#state.position) return;
    await keepOrgGraph(path, this.#state, eventId);
    this.#orgEventsSinceKept = 0;
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
        })
        // A kept org part that could not be written costs the next start a longer replay, nothing else.
        .then(() => this.#keepOrgGraphWhenDue(facts).catch(() => undefined));
    });
  }

  async #writeFacts(facts: FactStore): Promise<void> {
    if (facts.unflushed === 0) return;
    const position = await facts.flush();
    await this.#dealReads?.refreshOwners();
    this.#factsWritten = position;
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
    const fixedBatch = this.#options.factsBatch;
    const batchAt = (position: number) => fixedBatch ?? catchUpBatchAt(position);
    // A tail of less than a batch is written like live events: under the serving memory limit, with no checkpoint of
    // its own (at 100k deals the checkpoint after a 2,000-event tail took 0.75 s).
    const factsBehind = this.#facts !== undefined && head - this.#facts.position > (fixedBatch ?? MIN_CATCH_UP_BATCH);
    // The writer connection runs one statement at a time: a load under way ends before catch-up mode is set.
    if (factsBehind || !this.#preparing) await (this.#preparing ?? this.#facts?.prepare());
    if (factsBehind) await this.#facts?.beginCatchUp();
    const workingSet = this.#workingSet;
    const liveBound = this.#options.workingSetDeals ?? DEFAULT_WORKING_SET_DEALS;
    if (factsBehind)
      workingSet?.rebound(
        this.#options.catchUpWorkingSetDeals ?? DEFAULT_CATCH_UP_WORKING_SET_DEALS,
        this.#options.maxCatchUpWorkingSetDeals ?? catchUpWorkingSetCeiling(getHeapStatistics().heap_size_limit),
      );
    // A batch is written while the next one is applied: DuckDB's share of a write (updates, commit) runs on its own
    // threads, and the loop lets it continue every few hundred events (reading the log never waits on anything).
    let written: Promise<void> = Promise.resolve();
    try {
      for await (const event of this.#store.readAll({ after: this.#state.position })) {
        if (workingSet) await this.#applyOrg(workingSet, event);
        else this.#apply(event);
        if (this.#facts && this.#facts.unflushed >= batchAt(event.globalPosition)) {
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
      workingSet?.rebound(liveBound);
      throw error;
    }
    if (factsBehind) await this.#facts?.endCatchUp();
    workingSet?.rebound(liveBound);
    this.#replayed = true;
    this.#options.onProgress?.({ position: this.#state.position, head, events });
  }

  #follow(): void {
    this.#subscription = this.#store.subscribeToAll({ after: this.#state.position });
    const subscription = this.#subscription;
    this.#following = (async () => {
      try {
        const workingSet = this.#workingSet;
        for await (const event of subscription) {
          if (event.globalPosition <= this.#state.position) continue;
          if (workingSet) await this.#applyOrg(workingSet, event);
          else this.#apply(event);
          this.#announceWhenWritten(event);
        }
      } catch (error) {
        if (!(error instanceof Error && error.name === "StoreClosedError")) throw error;
      }
    })();
  }
}

/** The smallest transaction of a catch-up, in events (see {@link catchUpBatchAt}). */
export const MIN_CATCH_UP_BATCH = 20_000;
/** The largest transaction of a catch-up, in events (see {@link catchUpBatchAt}). */
export const MAX_CATCH_UP_BATCH = 250_000;

/**
 * Events per fact-table transaction when a catch-up reaches log position `position`: an eighth of the position,
 * between {@link MIN_CATCH_UP_BATCH} and {@link MAX_CATCH_UP_BATCH}. Part of each write costs in proportion to the
 * tables (the updates that end intervals and the derived interaction tables scan them), so a fixed batch made a
 * catch-up quadratic: at 100k deals (2.0M events, 103 transactions of 20,000) the writes took 60 s of a 107 s build,
 * and at a million deals the rate fell from 6.7k to 1.8k events/s. Growing batches write the 100k-deal log in 28
 * transactions (82 s; 250,000 each throughout: 9 transactions, 83 s, writes 38 s); much larger ones got slower than
 * the batches they replace (the whole 100k log in one transaction: writes 395 s).
 */
export function catchUpBatchAt(position: number): number {
  return Math.min(MAX_CATCH_UP_BATCH, Math.max(MIN_CATCH_UP_BATCH, Math.floor(position / 8)));
}

/** The event types of the org part, to count those applied. */
const orgTypes: ReadonlySet<string> = new Set(orgEventTypes);

/**
 * Org events applied after which an org graph keeps its org part beside the fact file (after opening, and after a live
 * write; at 100k deals 300k org events took 2.4–5 s to replay, keeping the org part 0.5 s); it is kept on close too.
 */
export const KEEP_ORG_GRAPH_AFTER = 10_000;

/** The error of a question an org graph cannot answer (see {@link ReadModelOptions.graph}). */
function orgGraphError(what: string): Error {
  return new Error(
    `${what} needs every deal in memory, and this read model holds the org graph only (graph "org"): KPIs and deals are served from the fact tables`,
  );
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
  return (await eventIdAt(store, facts.position)) === facts.eventId;
}

/** The id of the event at `position`, if there is one. */
async function eventIdAt(store: EventStore, position: number): Promise<string | undefined> {
  for await (const event of store.readAll({ after: position - 1, maxCount: 1 }))
    return event.globalPosition === position ? event.id : undefined;
  return undefined;
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
