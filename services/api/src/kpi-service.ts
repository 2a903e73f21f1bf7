import { type KpiQuery, KpiQueryError, parseKpiQuery } from "@revgraph/kpis";
import {
  isCompiled,
  type KpiSqlOptions,
  type RevenueReadModel,
  type ServedKpiResult,
  type ServedRestatement,
} from "@revgraph/read-model";

/**
 * Computes KPIs over the live read model, from its fact tables only, at the request's own instant (a new event shows
 * at once). The API reads no deal from the in-memory graph (in the read model's "org" mode it holds none): a query the
 * fact tables do not answer — a KPI version not compiled to SQL — is refused with a {@link KpiQueryError} naming the
 * KPIs (a BAD_USER_INPUT error), never answered from a partial graph. Every active definition is compiled.
 */
export class KpiService {
  readonly #readModel: RevenueReadModel;

  constructor(readModel: RevenueReadModel) {
    this.#readModel = readModel;
  }

  /** The instant the API evaluates funnels, risks and restatements at for a request at `now`: the start of that minute. */
  static evaluationTime(now: Date): Date {
    return new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  }

  /**
   * The KPIs of a query, one result per KPI and group. `options.eventIds: false` leaves contributing event ids out
   * (the caller shows values, or counts and pages them through `contributing`).
   */
  async compute(query: KpiQuery, now: Date, options: KpiSqlOptions = {}): Promise<ServedKpiResult[]> {
    this.#served(query, now);
    return this.#readModel.computeKpis(query, now, options);
  }

  /** A KPI query as known at two record times (see `RevenueReadModel.restatements`), at {@link evaluationTime}. */
  async restatements(
    query: Omit<KpiQuery, "knownAt">,
    knownAtA: string,
    knownAtB: string,
    now: Date,
  ): Promise<ServedRestatement[]> {
    this.#served(query, now);
    return this.#readModel.restatements(query, knownAtA, knownAtB, KpiService.evaluationTime(now));
  }

  /** Throws a {@link KpiQueryError} for a bad query, or one the fact tables do not answer. */
  #served(query: KpiQuery, now: Date): void {
    if (this.#readModel.sqlServes(query)) return;
    const { definitions } = parseKpiQuery(query, now);
    const missing = definitions.find((definition) => !isCompiled(definition));
    throw new KpiQueryError(
      "kpis",
      missing
        ? `${missing.id} v${missing.version} is not compiled to SQL: the API answers KPIs from its fact tables only`
        : "the API answers KPIs from its fact tables, and this read model keeps none",
    );
  }
}
