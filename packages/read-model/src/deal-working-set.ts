import { adoptDeal, applyEvent, dealIdOf, emptyGraph, forgetDeals, type GraphState, streamIds } from "@revgraph/domain";
import type { EventStore, ReadStreamOptions } from "@revgraph/event-store";
import type { RecordedEvent } from "@revgraph/events";

/**
 * A scratch graph holding one deal as its own stream (`deal-<id>`) gives it: the stream's events up to log position
 * `through`, folded with the domain's `applyEvent`. `read` narrows the read (e.g. to the revisions before an event).
 */
export async function foldDealStream(
  store: EventStore,
  dealId: string,
  through: number,
  read: ReadStreamOptions = {},
): Promise<GraphState> {
  const scratch = emptyGraph();
  for (const event of await store.readStream(streamIds.deal(dealId), read))
    if (event.globalPosition <= through) applyEvent(scratch, event);
  return scratch;
}

/** Deals a graph of the org part keeps in memory by default (see {@link DealWorkingSet}). */
export const DEFAULT_WORKING_SET_DEALS = 2_000;

/**
 * Deals the working set holds by default while catching up a tail of more than one batch (a first build, a store far
 * ahead of the fact file): deals are active over months, so a small set reads the same streams again and again. At
 * 100k deals (2M events, quiet machine) a first build took 290 s holding 2,000 deals, 110 s holding 25,000 and 127 s
 * holding every deal (a larger heap to collect); peak RSS 4.2, 4.5 and 4.8 GB, most of it DuckDB's catching up.
 * The set goes back to its live bound when catch-up ends.
 */
export const DEFAULT_CATCH_UP_WORKING_SET_DEALS = 25_000;

/**
 * The deals a graph of the org part holds while deal events are projected into the fact tables: before an event of a
 * deal not held is applied, the deal's earlier events are read from its stream (`deal-<id>`, the revisions before the
 * event's) and folded into a scratch graph whose deal and interactions move over, so the deal's facts are those the
 * whole graph would hold at that position. Deals least recently touched are dropped beyond a bound and read again when
 * an event names them. Every event naming a deal must be on that deal's stream (see `eventStreamKinds`): one that is
 * not is refused.
 *
 * Interactions: a deal's loggings come with it, and a logging held from another deal stays when it is later. An id
 * logged again on another deal not held is then not seen (the whole graph would read that logging's contacts): only
 * `dealAt`'s engaged contacts read them, and no fact table does, so the facts are the same.
 */
export class DealWorkingSet {
  readonly #store: EventStore;
  readonly #state: GraphState;
  /** Deals held, least recently touched first. */
  readonly #held = new Set<string>();
  #bound: number;

  /** A working set of at most `bound` deals in `state`. */
  constructor(store: EventStore, state: GraphState, bound: number) {
    this.#store = store;
    this.#state = state;
    this.#bound = bound;
  }

  /**
   * Makes sure the graph holds the facts of the deal `event` names as of just before it (reading its stream when it is
   * not held). Call before applying `event`.
   */
  async prepare(event: RecordedEvent): Promise<void> {
    const dealId = dealIdOf(event.data);
    if (dealId === undefined) return;
    const stream = streamIds.deal(dealId);
    if (event.streamId !== stream)
      throw new Error(
        `event ${event.id} at position ${event.globalPosition} names deal ${JSON.stringify(dealId)} but is on stream ` +
          `${JSON.stringify(event.streamId)}: a graph of the org part reads each deal from its own stream (${stream}); open the read model with graph "full"`,
      );
    if (this.#held.delete(dealId)) {
      this.#held.add(dealId);
      return;
    }
    this.#held.add(dealId);
    if (this.#state.deals[dealId] || event.streamRevision === 0) return;
    const earlier = await foldDealStream(this.#store, dealId, event.globalPosition - 1, { maxCount: event.streamRevision });
    adoptDeal(this.#state, earlier, dealId);
  }

  /** Holds at most `bound` deals from now on, dropping the least recently touched beyond it at once. */
  rebound(bound: number): void {
    this.#bound = bound;
    if (this.#held.size > bound) this.#evict(this.#held.size - bound);
  }

  /** After `event` is applied (graph and fact tables): drops a logging that names no deal, and deals beyond the bound. */
  settle(event: RecordedEvent): void {
    if (event.type === "InteractionLogged" && dealIdOf(event.data) === undefined)
      forgetDeals(this.#state, [], [(event.data as { interactionId: string }).interactionId]);
    if (this.#held.size > this.#bound) this.#evict(this.#held.size - this.#bound);
  }

  #evict(count: number): void {
    const evicted: string[] = [];
    for (const dealId of this.#held) {
      if (evicted.length === count) break;
      evicted.push(dealId);
    }
    for (const dealId of evicted) this.#held.delete(dealId);
    forgetDeals(this.#state, evicted);
  }
}
