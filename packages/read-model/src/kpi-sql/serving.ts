import type { KpiDefinition } from "@revgraph/kpis";
import { measuresOf } from "./compile.ts";
import { engagementMeasures } from "./measures-engagement.ts";

/**
 * Measures compiled to SQL and held to the engine by the differential test, whose SQL is still slower than the
 * in-memory engine where both are at hand: the engagement measures (interactions, contacts and leads re-ranked per
 * query). Measured at 100k deals (`test/bench/read-model.ts`): all 25 active KPIs by team from SQL p50 33 s against
 * the warm engine's 8.6 s; the core, quota and forecast KPIs alone are faster from SQL. The stage measures and
 * conversions read stored stays (`deal_stays`) and are faster from SQL (`test/bench/stage-kpis.ts`, by team, p50):
 * the four stage KPIs at 20k deals 145 ms against the warm engine's 181 ms (162 ms as served with the graph in
 * memory), at 100k 455 ms (440 ms) against 1.02 s. SQL spends more CPU (two DuckDB threads): on a busy 2-core machine it took up
 * to 1.8 times the engine's time at 20k.
 */
const slowerInSql = new Set(Object.keys(engagementMeasures));

/** True when a definition's SQL is slower than the warm engine (see {@link slowerInSql}). */
export function slowerInSqlThanEngine(definition: KpiDefinition): boolean {
  return measuresOf(definition).some((name) => slowerInSql.has(name));
}
