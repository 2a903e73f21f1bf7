import type { DuckDBConnection } from "@duckdb/node-api";
import type { GraphState, RevenueConfig } from "@revgraph/domain";
import {
  type DealRisk,
  dealRisks,
  type KpiQuery,
  KpiQueryError,
  type KpiScope,
  parseKpiQuery,
  prepareQuery,
} from "@revgraph/kpis";
import { type FactsPosition, sqlScopeOf } from "./compile.ts";
import { threadsSql } from "./measures-engagement.ts";
import { type RiskRow, riskDetails, riskOrder, stageSourcesSql } from "./measures-stages.ts";
import { inList, scopeCtes, sqlString } from "./predicates.ts";
import { readRows } from "./read-rows.ts";

export type { DealRisk };

/** Every kind of deal risk, in the order the engine checks a deal for them. */
export const riskKinds: readonly DealRisk["kind"][] = ["stale", "evaluator_silent", "single_threaded", "slipped"];

/** What deal risks are asked over: a KPI query's period, time zone, filter and slices (no KPIs, no grouping). */
export type DealRiskQuery = Omit<KpiQuery, "kpis" | "groupBy" | "versions">;

/** The kinds asked for, checked: every kind when none are named; a {@link KpiQueryError} naming `kinds` for an unknown one. */
export function askedRiskKinds(kinds: readonly string[] | undefined): readonly DealRisk["kind"][] {
  if (kinds === undefined) return riskKinds;
  const unknown = kinds.find((kind) => !(riskKinds as readonly string[]).includes(kind));
  if (unknown !== undefined)
    throw new KpiQueryError("kinds", `unknown risk kind ${JSON.stringify(unknown)} (one of ${riskKinds.join(", ")})`);
  return riskKinds.filter((kind) => kinds.includes(kind));
}

/**
 * The risk flags on the open deals of a query's scope, evaluated at its evaluation time (the earlier of `now` and its
 * asOf), from the fact tables with one SQL query: the same findings, details and evidence as the engine's `dealRisks`
 * (held to it by a differential property test), in its order — by deal id, then stale, silent evaluators (by their
 * first role on the deal), single-threaded, slipped. Only the kinds in `kinds` (default: all). Stale deals and silent
 * evaluators are the `deal_risks` relation of the stale-deal count, single-threaded deals the single-thread probes of
 * multithreading; slipped deals are open deals pushed at least once whose expected close date is before the evaluation
 * day. Throws a {@link KpiQueryError} for bad arguments (an unknown kind among them).
 */
export async function dealRisksSql(
  connection: DuckDBConnection,
  facts: FactsPosition,
  config: RevenueConfig,
  query: DealRiskQuery,
  now: Date,
  kinds?: readonly string[],
): Promise<DealRisk[]> {
  const asked = askedRiskKinds(kinds);
  if (asked.length === 0) return [];
  // The stale-deal KPI stands for the risks: the query is validated and scoped as that KPI's would be.
  const parsed = parseKpiQuery({ ...query, kpis: ["stale_deals"] }, now);
  const scope = await sqlScopeOf(connection, facts, config, parsed, now);
  const today = sqlString(scope.evaluatedAt.slice(0, 10));
  // Only the relations risks read (the scope's, the stage measures' and multithreading's): DuckDB parses every CTE of a
  // statement, used or not, and binding all the measures' took most of a one-account question's time.
  const sql = `WITH ${scopeCtes(scope)},${stageSourcesSql(scope)},${threadsSql(scope)},
risk_rows AS (
  SELECT deal_id, seq, contact_order, kind, contact_id, days, evidence, NULL AS stakeholders FROM deal_risks
  UNION ALL
  SELECT p.deal_id, 2, '', 'single_threaded', NULL, NULL, p.left_event_id, count(DISTINCT e.contact_id)
  FROM eng_single_probes p LEFT JOIN eng_engaged_single e ON e.deal_id = p.deal_id
  GROUP BY p.deal_id, p.left_event_id
  HAVING count(DISTINCT e.contact_id) < ${config.singleThread.minStakeholders}
  UNION ALL
  SELECT deal_id, 3, '', 'slipped', NULL, NULL, close_date_event_id, NULL
  FROM scoped WHERE status = 'open' AND pushes > 0 AND expected_close_date < ${today})
SELECT r.*, s.amount, s.currency, s.expected_close_date, s.pushes
FROM risk_rows r JOIN scoped s ON s.deal_id = r.deal_id
WHERE ${inList("r.kind", asked)}`;
  return riskOrder(await readRows(connection, sql)).map((row: RiskRow) => {
    const kind = String(row.kind) as DealRisk["kind"];
    return {
      dealId: String(row.deal_id),
      kind,
      detail: riskDetails[kind](row, scope),
      evidenceEventId: String(row.evidence),
    };
  });
}

/** The same risks from the in-memory engine over a graph (a read model without fact tables). */
export function dealRisksFromGraph(
  state: GraphState,
  config: RevenueConfig,
  query: DealRiskQuery,
  now: Date,
  kinds?: readonly string[],
): DealRisk[] {
  const asked = new Set(askedRiskKinds(kinds));
  const scope = prepareQuery(state, config, { ...query, kpis: ["stale_deals"] }, now).scopes[0]?.scope as KpiScope;
  return dealRisks(scope).filter((risk) => asked.has(risk.kind));
}
