import type { KpiDefinition } from "@revgraph/kpis";
import { measuresOf } from "./compile.ts";
import { stageMeasures } from "./measures-stages.ts";

/**
 * Measures compiled to SQL and held to the engine by the differential test, whose SQL is still slower than the
 * in-memory engine where both are at hand: the stage measures (stays, close-date histories and risks derived per
 * query from event rows). Measured at 100k deals (`test/bench/read-model.ts`): all 25 active KPIs by team from SQL
 * p50 33 s against the warm engine's 8.6 s; the core, quota and forecast KPIs alone are faster from SQL. The
 * engagement measures are faster from SQL since they read the stored engagement points (`interaction_engagements`)
 * and re-logged ids (`relogged_interactions`): the seven engagement KPIs by team, values only
 * (`test/bench/engagement-kpis.ts`, contended 2-core machine), p50 0.57–0.82 s against the warm engine's 0.63–1.07 s
 * at 20k deals over three runs (engine ÷ SQL 1.30, 0.97, 1.10; 1.90 s from SQL against 1.01 s before) and 1.86 s
 * against 3.51 s at 100k.
 */
const slowerInSql = new Set(Object.keys(stageMeasures));

/** True when a definition's SQL is slower than the warm engine (see {@link slowerInSql}); conversions included. */
export function slowerInSqlThanEngine(definition: KpiDefinition): boolean {
  return measuresOf(definition).some((name) => slowerInSql.has(name) || name.startsWith("conversion:"));
}
