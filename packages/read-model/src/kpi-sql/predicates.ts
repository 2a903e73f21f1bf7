import type { Period, RevenueConfig, TimeSlice } from "@revgraph/domain";
import type { Dimension, DimensionFilter } from "@revgraph/kpis";
import { dealVersionColumns } from "../facts/deal-versions.ts";

/** A SQL string literal (quotes doubled). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** What a query sees: the slices (as the engine derives them), the period and the filters. */
export interface SqlScope {
  readonly config: RevenueConfig;
  readonly period: Period;
  /** "As things stand": the asked slice capped at now. Deals, dimensions and rates are read here. */
  readonly current: TimeSlice;
  /** The same deals at the end of the period (open pipeline). */
  readonly atPeriodEnd: TimeSlice;
  /** `current` sees exactly the deals' latest versions, the rows of `deal_current` (no range predicates needed). */
  readonly currentIsLatest: boolean;
  /** `atPeriodEnd` sees exactly the rows of `deal_current`. */
  readonly periodEndIsLatest: boolean;
  /** The slices are at the head of the log: they see the versions still known (`known_to` null), `deal_current`'s among them. */
  readonly atHead: boolean;
  readonly filter: DimensionFilter;
  readonly groupBy: Dimension | undefined;
  /** When forecasts are read as known (the query's `forecastKnownAt`, default the period's start). */
  readonly forecastKnownAt: string;
  /** The instant ages and "until now" are measured at: the earlier of `now` and the current slice's asOf. */
  readonly evaluatedAt: string;
}

/** The latest of a key's facts by (business time, log position): the order the graph keeps its histories in. */
export const latestFirst = "valid_from || lpad(CAST(known_from AS VARCHAR), 14, '0')";

/** An ISO instant (as the log and slices write them) as epoch milliseconds: the same order, compared as numbers. */
export const epochMs = (instant: string): number => Date.parse(instant);

/** A bitemporal deal-version row (of table alias `v`) visible in a slice: valid at its business time, known at its position. */
export function versionAt(slice: TimeSlice): string {
  const asOf = epochMs(slice.asOf);
  const known = slice.maxPosition;
  return `v.valid_from_ms <= ${asOf} AND (v.valid_to_ms IS NULL OR v.valid_to_ms > ${asOf}) AND v.known_from <= ${known} AND (v.known_to IS NULL OR v.known_to > ${known})`;
}

/**
 * The deal versions (alias `v`) visible in a slice: `deal_current` when it holds exactly those, with a predicate to AND.
 * At the head of the log (`atHead`) before the latest version time, the versions valid at `asOf` and still known are
 * the open-ended ones that began by then — `deal_current`'s rows, which has a row per deal — and the few ended after
 * `asOf` (`valid_to_ms` is null exactly when `valid_to` is): the same rows as {@link versionAt}'s predicate over
 * `deal_versions`, whose scan picked one row in nine and decoded every column of the others' vectors. Grouped
 * scorecard (25 compiled KPIs by team, values only), 100k deals, `now` 1 h 42 min before the last event, 2 threads on
 * 2 busy cores: `scoped` and `at_end` alone 0.14–0.55 s → 0.05–0.11 s cpu, 89–150 ms → 45–68 ms.
 */
function versionsAt(slice: TimeSlice, latest: boolean, atHead: boolean): { table: string; where: string } {
  if (latest) return { table: "deal_current v", where: "TRUE" };
  if (!atHead) return { table: "deal_versions v", where: versionAt(slice) };
  const asOf = epochMs(slice.asOf);
  return {
    table: `(SELECT * FROM deal_current WHERE valid_from_ms <= ${asOf}
    UNION ALL
    SELECT * FROM deal_versions WHERE known_to IS NULL AND valid_from_ms <= ${asOf} AND valid_to_ms > ${asOf}) v`,
    where: "TRUE",
  };
}

/** An event fact visible in a slice. */
export function factIn(slice: TimeSlice): string {
  return `valid_from <= ${sqlString(slice.asOf)} AND known_from <= ${slice.maxPosition}`;
}

/** A deal's value for each dimension, over `deal_dims` (the current version joined with its rep, team and account). */
const dealDimension: Record<Dimension, string> = {
  rep: "owner_rep_id",
  team: "coalesce(team_id, 'unassigned')",
  manager: "coalesce(manager_rep_id, 'unassigned')",
  region: "coalesce(account_region, 'unknown')",
  segment: "coalesce(account_segment, segment)",
  product: "coalesce(product, 'unknown')",
  leadSource: "coalesce(lead_source, 'unknown')",
  competitor: "coalesce(closed_competitor, 'none')",
  dealSizeBand: "segment",
  account: "account_id",
};

/** A rep's value for the dimensions that apply to reps (the others put every rep in every group). */
export const repDimension: Partial<Record<Dimension, string>> = {
  rep: "rep_id",
  team: "coalesce(team_id, 'unassigned')",
  manager: "coalesce(manager_rep_id, 'unassigned')",
  region: "coalesce(region, 'unknown')",
};

/** `expression IN (values)`; FALSE for no values (nothing is accepted). */
export function inList(expression: string, values: readonly string[]): string {
  return values.length === 0 ? "FALSE" : `${expression} IN (${values.map(sqlString).join(", ")})`;
}

/** The filter as a predicate over these dimension expressions (a dimension without one accepts everything). */
export function filterPredicate(filter: DimensionFilter, expressions: Partial<Record<Dimension, string>>): string {
  const terms = (Object.entries(filter) as [Dimension, readonly string[]][])
    .filter(([dimension]) => expressions[dimension] !== undefined)
    .map(([dimension, accepted]) => inList(expressions[dimension] as string, accepted));
  return terms.length ? terms.join(" AND ") : "TRUE";
}

/**
 * The common table expressions every compiled KPI query starts with — the one place where period, slices, filters
 * and grouping become predicates:
 * - `scoped`: the deals in scope as things stand (current version), with `group_key`;
 * - `at_end`: the versions of those deals at the end of the period;
 * - `fx`: the exchange rates visible now, one per (currency, effective date);
 * - `group_keys`: the groups, as the engine makes them (deal and rep keys; filtered by the grouped dimension).
 *
 * `dealColumns` (default all) are the version columns `scoped` carries ({@link dealColumnsUsedBy}).
 */
export function scopeCtes(scope: SqlScope, dealColumns: readonly string[] | undefined = undefined): string {
  const { current, atPeriodEnd, filter, groupBy, config } = scope;
  const now = versionsAt(current, scope.currentIsLatest, scope.atHead);
  const end = versionsAt(atPeriodEnd, scope.periodEndIsLatest, scope.atHead);
  // A rep's latest hire starts its memberships afresh (the graph keeps that hire and the transfers recorded after it).
  const teamOf = `SELECT t.rep_id, arg_max_null(t.team_id, ${latestFirst}) AS team_id FROM rep_teams t
    JOIN (SELECT rep_id, max(known_from) AS hired_position FROM reps GROUP BY rep_id) h
      ON h.rep_id = t.rep_id AND t.known_from >= h.hired_position
    WHERE ${factIn(current)} GROUP BY t.rep_id`;
  const managerOf = `SELECT team_id, arg_max_null(manager_rep_id, ${latestFirst}) AS manager_rep_id FROM team_managers WHERE ${factIn(current)} GROUP BY team_id`;
  const groupKey = groupBy ? dealDimension[groupBy] : "''";
  const repKey = groupBy ? repDimension[groupBy] : undefined;
  const groupFilter = groupBy && filter[groupBy] ? `WHERE ${inList("group_key", filter[groupBy] ?? [])}` : "";
  const repKeys = repKey
    ? `UNION SELECT ${repKey} AS group_key FROM rep_dims WHERE ${filterPredicate(filter, repDimension)}`
    : "";
  return `
team_of AS (${teamOf}),
manager_of AS (${managerOf}),
account_now AS (
  SELECT account_id, arg_max_null(region, known_from) AS account_region, arg_max_null(segment, known_from) AS account_segment
  FROM accounts GROUP BY account_id),
deal_dims AS (
  SELECT ${dealColumns ? dealColumns.map((column) => `v.${column}`).join(", ") : "v.*"}, t.team_id, m.manager_rep_id, a.account_region, a.account_segment
  FROM ${now.table}
  LEFT JOIN team_of t ON t.rep_id = v.owner_rep_id
  LEFT JOIN manager_of m ON m.team_id = coalesce(t.team_id, 'unassigned')
  LEFT JOIN account_now a ON a.account_id = v.account_id
  WHERE ${now.where}),
scoped AS MATERIALIZED (SELECT *, ${groupKey} AS group_key FROM deal_dims WHERE ${filterPredicate(filter, dealDimension)}),
at_end AS MATERIALIZED (
  SELECT s.group_key, v.* FROM scoped s JOIN ${end.table} ON v.deal_id = s.deal_id AND ${end.where}),
rep_latest AS (
  SELECT rep_id, arg_max_null(region, known_from) AS region, arg_max(valid_from, known_from) AS hired_at, max(known_from) AS hired_position
  FROM reps GROUP BY rep_id),
rep_dims AS (
  SELECT r.rep_id, r.region, t.team_id, m.manager_rep_id FROM rep_latest r
  LEFT JOIN team_of t ON t.rep_id = r.rep_id
  LEFT JOIN manager_of m ON m.team_id = coalesce(t.team_id, 'unassigned')
  WHERE r.hired_position <= ${current.maxPosition} AND r.hired_at <= ${sqlString(current.asOf)}),
fx AS (
  SELECT currency, effective_date, arg_max(rate, ${latestFirst}) AS rate, arg_max(event_id, ${latestFirst}) AS event_id
  FROM exchange_rates WHERE base_currency = ${sqlString(config.baseCurrency)} AND ${factIn(current)}
  GROUP BY currency, effective_date),
group_keys AS (SELECT DISTINCT group_key FROM (SELECT group_key FROM scoped ${repKeys}) ${groupFilter})`;
}

/**
 * The deal version columns a statement names anywhere (as a whole word, in any table, literal or alias: never fewer
 * than it reads), for {@link scopeCtes}. `scoped` is materialized and read by a few dozen CTEs, some with `SELECT *`,
 * and DuckDB read all 38 version columns for it (long strings among them) although the statement names 27, and then
 * reads 16. The CTEs read scoped's columns by name only (no whole-row DISTINCT, row struct or deduplicating UNION over
 * them), so a column never named cannot change an answer. Scorecard of the 25 compiled KPIs by team, values only, 100k
 * deals, 2 threads, 2 busy cores: the scan feeding `scoped` 0.22–0.25 s → 0.10 s cpu, the CTE 0.07 s → 0.03 s; the
 * statement 1.33–1.53 s → 1.19–1.33 s cpu, 840–930 ms → 740–800 ms.
 */
export function dealColumnsUsedBy(sql: string): string[] {
  return dealVersionColumns.map((column) => column.name).filter((name) => new RegExp(`\\b${name}\\b`).test(sql));
}

/** Below this magnitude a value is summed exactly (as a decimal); beyond it, in ascending order as a double. */
const exactlySummedBelow = "1e18";

/**
 * The sum of `x` over the rows where `condition` holds (every row without one) as the same double in any row
 * order. Threads, query plans and the physical order of a rebuilt table all change the order DuckDB adds rows in, and
 * a float sum's last bits change with it, so one question could be answered with two numbers. Each value is rounded to
 * 10⁻¹² and the decimals are added exactly (38 digits), which needs no sort (an ordered aggregate sorts every group's
 * rows; that sort was most of a scorecard's time). Within the engine's tolerance of its own float loop. Amounts are any
 * finite number, so values of 10¹⁸ or more (beyond the decimal's digits) occur: those few are collected, sorted and
 * added in ascending order, then to the exact sum of the others (a compensated float sum of them all, as before,
 * changed its last bit with the order).
 */
export const total = (x: string, condition?: string) => {
  const where = condition === undefined ? "" : `FILTER (WHERE ${condition})`;
  const beyondWhere = `FILTER (WHERE abs(${x}) >= ${exactlySummedBelow}${condition === undefined ? "" : ` AND (${condition})`})`;
  const exactly = `CAST(sum(CAST(CASE WHEN abs(${x}) < ${exactlySummedBelow} THEN ${x} END AS DECIMAL(38, 12))) ${where} AS DOUBLE)`;
  const beyond = `list_sum(list_sort(list(${x}) ${beyondWhere}))`;
  return `CASE WHEN max(abs(${x})) ${where} < ${exactlySummedBelow} THEN ${exactly} ELSE coalesce(${exactly}, 0) + ${beyond} END`;
};
