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
 * The most deals the working set grows to while catching up, in any heap (see {@link DealWorkingSet.rebound} and
 * {@link catchUpWorkingSetCeiling}). A log holds as many deals active at once as its organisation works: about 9,700 at
 * most in the seeded 100k-deal log, ten times that at a million deals, where 25,000 held made half of all deal events
 * read their deal's stream again (a million stream reads in the first 2M deal events, and the catch-up rate fell from
 * 10k to 3k events/s).
 */
export const MAX_CATCH_UP_WORKING_SET_DEALS = 400_000;

/**
 * The heap a held deal takes with its interactions, rounded up: at 100k deals, 1.5M events into a catch-up, 75,000
 * deals held took 368 MB more than 25,000 (after a full collection), 7.4 KB each.
 */
const HELD_DEAL_BYTES = 8_192;

/**
 * The most deals a catch-up working set grows to in a JavaScript heap limited to `heapLimit` bytes: a fifth of the heap
 * at {@link HELD_DEAL_BYTES} a deal (110,000 in Node's default 4.5 GB heap on this machine), between
 * {@link DEFAULT_CATCH_UP_WORKING_SET_DEALS} and {@link MAX_CATCH_UP_WORKING_SET_DEALS}. The org part of the graph
 * and the batch being written share the rest: at a million deals a set grown to 400,000 ran the heap out (the org part
 * alone holds 1.3 GB there).
 */
export function catchUpWorkingSetCeiling(heapLimit: number): number {
  const fifth = Math.floor(heapLimit / 5 / HELD_DEAL_BYTES);
  return Math.max(DEFAULT_CATCH_UP_WORKING_SET_DEALS, Math.min(MAX_CATCH_UP_WORKING_SET_DEALS, fifth));
}

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
  #growUpTo: number;
  /** Deal events prepared, and stream reads among them, since the bound last had a chance to grow. */
  #windowEvents = 0;
  #windowReads = 0;

  /** A working set of at most `bound` deals in `state`. */
  constructor(store: EventStore, state: GraphState, bound: number) {
    this.#store = store;
    this.#state = state;
    this.#bound = bound;
    this.#growUpTo = bound;
  }

  /** The most deals held now. */
  get bound(): number {
    return this.#bound;
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
    if (++this.#windowEvents >= 4 * this.#bound) this.#considerGrowing();
    if (this.#held.delete(dealId)) {
      this.#held.add(dealId);
      return;
    }
    this.#held.add(dealId);
    if (this.#state.deals[dealId] || event.streamRevision === 0) return;
    this.#windowReads++;
    const earlier = await foldDealStream(this.#store, dealId, event.globalPosition - 1, { maxCount: event.streamRevision });
    adoptDeal(this.#state, earlier, dealId);
  }

  /**
   * Holds at most `bound` deals from now on, dropping the least recently touched beyond it at once. With `growUpTo`
   * above `bound` (while catching up), the bound doubles, up to `growUpTo`, whenever more than one deal event in ten
   * of the last four times the bound read a dropped deal's stream again: the set grows to about the deals the log
   * keeps active at once, and no further.
   */
  rebound(bound: number, growUpTo = bound): void {
    this.#bound = bound;
    this.#growUpTo = Math.max(bound, growUpTo);
    this.#windowEvents = 0;
    this.#windowReads = 0;
    if (this.#held.size > bound) this.#evict(this.#held.size - bound);
  }

  #considerGrowing(): void {
    if (this.#windowReads * 10 > this.#windowEvents && this.#bound < this.#growUpTo)
      this.#bound = Math.min(this.#growUpTo, this.#bound * 2);
    this.#windowEvents = 0;
    this.#windowReads = 0;
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
