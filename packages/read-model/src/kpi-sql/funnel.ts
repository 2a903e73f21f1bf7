import type { DuckDBConnection } from "@duckdb/node-api";
import type { RevenueConfig } from "@revgraph/domain";
import { type funnel, type KpiQuery, parseKpiQuery } from "@revgraph/kpis";
import { conversionOf, type FactsPosition, measureGroupsSql } from "./compile.ts";
import { conversionMeasureName } from "./measures-stages.ts";

/** One group of the funnel: each stage's conversion into the next, and time in stage (as the engine's `funnel`). */
export type FunnelGroup = ReturnType<typeof funnel>[number];

/**
 * Stage-to-stage conversion across the configured process (each stage into the next, the last into won) with counts
 * and contributing events, and the time-in-stage detail, per group: the engine's `funnel` from the fact tables, with
 * one SQL query. Throws a {@link KpiQueryError} for bad arguments, like the engine.
 */
export async function funnelSql(
  connection: DuckDBConnection,
  facts: FactsPosition,
  config: RevenueConfig,
  query: Omit<KpiQuery, "kpis">,
  now: Date,
): Promise<FunnelGroup[]> {
  const parsed = parseKpiQuery({ ...query, kpis: ["stage_conversion"] }, now);
  const stages = [...config.stages.map((stage) => stage.id), config.wonStage];
  const pairs = stages.slice(0, -1).map((from, index) => ({ from, to: stages[index + 1] as string }));
  const conversions = pairs.map(({ from, to }) => conversionMeasureName(from, to));
  // The conversions' events are listed; time in stage is detail only (its stays' events are not aggregated).
  const { groups } = await measureGroupsSql(
    connection,
    facts,
    config,
    parsed,
    now,
    [...conversions, "stage_time_days_mean"],
    { eventIds: false },
    () => new Set(conversions),
  );
  const groupBy = parsed.query.groupBy;
  return groups.map(({ key, measureOf }) => ({
    group: groupBy ? { dimension: groupBy, key } : null,
    steps: pairs.map(({ from, to }) => {
      const result = conversionOf(measureOf(conversionMeasureName(from, to)));
      return {
        from,
        to,
        entered: result.entered,
        converted: result.converted,
        rate: result.entered ? result.converted / result.entered : null,
        eventIds: result.eventIds,
      };
    }),
    timeInStage: measureOf("stage_time_days_mean").detail?.perStage as unknown[],
  }));
}
