import type { VariablesOf } from "../graphql.ts";
import type { ScorecardQuery } from "../queries.ts";

/** The KPI filter the page applies (a team, or none). */
export type KpiFilter = Exclude<VariablesOf<typeof ScorecardQuery>["filter"], undefined>;

/** What every view over one period gets. */
export interface PeriodViewProps {
  readonly token: string;
  readonly period: string;
  readonly filter: KpiFilter;
}
