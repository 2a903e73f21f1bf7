import type { DuckDBConnection } from "@duckdb/node-api";
import type { GraphState, RevenueConfig } from "@revgraph/domain";
import {
  asGroup,
  type Dimension,
  groupAlone,
  groupsLacking,
  type KpiQuery,
  pairRestatements,
  type Restatement,
  restatements,
} from "@revgraph/kpis";
import { computeKpisSql, type FactsPosition } from "./compile.ts";
import { listedEvents, type ServedKpiResult } from "./contributing-events.ts";

/** A restatement with both answers as served (each with its contributing events listed). */
export type ServedRestatement = Restatement<ServedKpiResult>;

/**
 * The same KPIs as known at two record times, from the fact tables: the query computed with every contributing event
 * id at `knownAtA` and at `knownAtB` (a group one answer lacks computed alone there), paired by KPI and group — changed
 * when the values differ, with the events only the later answer rests on (added) and those only the earlier one did
 * (removed). The engine's `restatements` from SQL (held to it by a differential property test). Throws a
 * `KpiQueryError` for bad arguments, and for a definition that is not compiled to SQL.
 */
export async function restatementsSql(
  connection: DuckDBConnection,
  facts: FactsPosition,
  config: RevenueConfig,
  query: Omit<KpiQuery, "knownAt">,
  knownAtA: string,
  knownAtB: string,
  now: Date,
): Promise<ServedRestatement[]> {
  const at = (knownAt: string, asked: Omit<KpiQuery, "knownAt">) =>
    computeKpisSql(connection, facts, config, { ...asked, knownAt }, now);
  const before = await at(knownAtA, query);
  const after = await at(knownAtB, query);
  const lacking = groupsLacking(before, after);
  const alone = async (knownAt: string, keys: readonly string[]) => {
    const results: ServedKpiResult[] = [];
    for (const key of keys) results.push(...asGroup(await at(knownAt, groupAlone(query, key)), query.groupBy as Dimension, key));
    return results;
  };
  return pairRestatements(
    [...before, ...(await alone(knownAtA, lacking.before))],
    [...after, ...(await alone(knownAtB, lacking.after))],
  );
}

/** The same restatements from the in-memory engine over a graph (a query SQL does not serve, or no fact tables). */
export function restatementsFromGraph(
  state: GraphState,
  config: RevenueConfig,
  query: Omit<KpiQuery, "knownAt">,
  knownAtA: string,
  knownAtB: string,
  now: Date,
): ServedRestatement[] {
  return restatements(state, config, query, knownAtA, knownAtB, now).map((restatement) => ({
    ...restatement,
    before: listedEvents(restatement.before),
    after: listedEvents(restatement.after),
  }));
}
