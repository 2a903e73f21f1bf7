import { timeSlice } from "@revgraph/domain";
import { canonicalJson } from "@revgraph/events";
import { computeKpis, type DealUniverse, type KpiQuery, primeSnapshots } from "@revgraph/kpis";
import { type KpiSqlOptions, listedEvents, type RevenueReadModel, type ServedKpiResult } from "@revgraph/read-model";

/**
 * Computes KPIs over the live read model. KPIs compiled to SQL are answered by the read model's fact tables at the
 * request's own instant (a new event shows at once). The others come from the in-memory engine, cached by (query,
 * graph position, minute): the same question asked again before anything changes is answered from memory.
 */
export class KpiService {
  readonly #readModel: RevenueReadModel;
  readonly #universes = new Map<string, DealUniverse>();
  readonly #results = new Map<string, ServedKpiResult[]>();
  readonly #maxEntries: number;

  constructor(readModel: RevenueReadModel, maxEntries = 500) {
    this.#readModel = readModel;
    this.#maxEntries = maxEntries;
  }

  /** The instant the in-memory engine evaluates KPIs at for a request at `now`: the start of that minute. */
  static evaluationTime(now: Date): Date {
    return new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  }

  /**
   * The KPIs of a query, one result per KPI and group. `options.eventIds: false` leaves contributing event ids out
   * of answers from the fact tables (the caller shows values, or counts and pages them through `contributing`).
   */
  async compute(query: KpiQuery, now: Date, options: KpiSqlOptions = {}): Promise<ServedKpiResult[]> {
    if (this.#readModel.sqlServes(query)) return this.#readModel.computeKpis(query, now, options);
    const at = KpiService.evaluationTime(now);
    const key = `${this.#readModel.position}|${at.toISOString()}|${canonicalJson(query)}`;
    const cached = this.#results.get(key);
    if (cached) return cached;
    this.#primeCurrentSnapshots();
    const results = computeKpis(this.#readModel.state, this.#readModel.config, query, at, this.#universes).map(listedEvents);
    if (this.#results.size >= this.#maxEntries) this.#results.delete(this.#results.keys().next().value as string);
    this.#results.set(key, results);
    return results;
  }

  /**
   * The read model keeps every deal's current snapshot up to date event by event; the engine gets them for the
   * "now, everything known" slice instead of deriving 100k snapshots when it has none for that slice yet.
   */
  #primeCurrentSnapshots(): void {
    const { state, config } = this.#readModel;
    primeSnapshots(state, config, timeSlice(state), () => this.#readModel.currentDeals().values());
  }
}
