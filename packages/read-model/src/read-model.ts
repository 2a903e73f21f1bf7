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

  private constructor(options: ReadModelOptions, state: GraphState) {
    this.#options = options;
    this.#store = options.store;
    this.config = options.config;
    this.#state = state;
  }

  /** Opens the read model: catch-up from the log, then live following. */
  static async open(options: ReadModelOptions): Promise<RevenueReadModel> {
    const model = new RevenueReadModel(options, emptyGraph());
    await model.#catchUp();
    if (options.follow ?? true) model.#follow();
    return model;
  }

  /** The graph as of {@link position}. Treat it as read-only. */
  get state(): GraphState {
    return this.#state;
  }

  /** Global position of the last event applied. */
  get position(): number {
    return this.#state.position;
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
    const slice = timeSlice(this.#state);
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

  /** Stops following. The store stays open (it belongs to the caller). */
  async close(): Promise<void> {
    await this.#subscription?.close();
    await this.#following;
  }

  #apply(event: RecordedEvent): void {
    applyEvent(this.#state, event);
    const dealId = (event.data as { dealId?: string }).dealId;
    if (dealId !== undefined) this.#dirty.add(dealId);
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
    for await (const event of this.#store.readAll({ after: this.#state.position })) {
      this.#apply(event);
      events++;
      if (events % 50_000 === 0) this.#options.onProgress?.({ position: event.globalPosition, head, events });
    }
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
        }
      } catch (error) {
        if (!(error instanceof Error && error.name === "StoreClosedError")) throw error;
      }
    })();
  }
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
