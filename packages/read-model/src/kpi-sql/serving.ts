import type { KpiDefinition } from "@revgraph/kpis";
import { measuresOf } from "./compile.ts";
import { engagementMeasures } from "./measures-engagement.ts";
import { stageMeasures } from "./measures-stages.ts";

/**
 * Measures compiled to SQL and held to the engine by the differential test, whose SQL is still slower than the
 * in-memory engine where both are at hand: the stage measures (stays, close-date histories and risks derived per
 * query from event rows) and the engagement measures (interactions, contacts and leads re-ranked per query). Measured
 * at 100k deals (`test/bench/read-model.ts`): all 25 active KPIs by team from SQL p50 33 s against the warm engine's
 * 8.6 s; the core, quota and forecast KPIs alone are faster from SQL.
 */
const slowerInSql = new Set([...Object.keys(stageMeasures), ...Object.keys(engagementMeasures)]);

/** True when a definition's SQL is slower than the warm engine (see {@link slowerInSql}); conversions included. */
export function slowerInSqlThanEngine(definition: KpiDefinition): boolean {
  return measuresOf(definition).some((name) => slowerInSql.has(name) || name.startsWith("conversion:"));
}
