import { attainmentResult, type MeasureResult, monthsOfPeriod } from "@revgraph/kpis";
import { listsEventIds } from "./contributing-events.ts";
import { amountOf, closedIn, ids, numberOr, type SqlMeasure } from "./measures.ts";
import { factIn, filterPredicate, latestFirst, repDimension, type SqlScope, sqlString, total } from "./predicates.ts";

/**
 * The relations the quota, forecast, rep and commit measures aggregate over:
 * - `rep_rows`: the closed deals of `closed_deals` (for the won amounts these measures set against quotas and
 *   forecasts), plus one row per (group, rep in scope) (`row_kind = 'rep'`: hire, activity, ramp-adjusted quota, won
 *   amount, forecast) and one row per group that has a forecast of its own scope (`row_kind = 'forecast'`);
 * - `commit_deals`: the deals in scope that were in the Commit category at the start of the period.
 */
export type QuotaSource = "rep_rows" | "commit_deals";

/** A rep's (or a month's) month count since year 0, from a `YYYY-MM…` date: tenure months are differences of these. */
const monthIndex = (date: string) =>
  `(CAST(split_part(${date}, '-', 1) AS INTEGER) * 12 + CAST(split_part(${date}, '-', 2) AS INTEGER))`;

/**
 * A rep's quota for the period adjusted by ramp, as the engine takes it: the amount spread evenly over the period's
 * months, each share scaled by the ramp's factor for the rep's tenure month (0 before the start, the ramp's last
 * factor once past its end), summed month by month in the same order. `startMonth`: the rep's start as a
 * {@link monthIndex}; `ramp`: its factors as a list of doubles.
 */
function rampAdjusted(scope: SqlScope, amount: string, startMonth: string, ramp: string): string {
  const months = monthsOfPeriod(scope.period.from, scope.period.to);
  if (months.length === 0) return "0.0";
  const factor = (month: string) => {
    const tenure = `(${monthIndex(sqlString(month))} - ${startMonth} + 1)`;
    return `CASE WHEN ${tenure} < 1 THEN 0 ELSE coalesce(list_extract(${ramp}, least(${tenure}, len(${ramp}))), 1) END`;
  };
  return months.map((month) => `${amount} / ${months.length} * ${factor(month)}`).join(" + ");
}

/**
 * The scope a forecast is looked up for, as the engine picks it from the group's filter: a single team, else a
 * single rep, else the company (grouping by team or rep filters each group to its key).
 */
function forecastScope(scope: SqlScope): { kind: string; id: string } {
  const single = (dimension: "team" | "rep") =>
    scope.groupBy === dimension
      ? "k.group_key"
      : scope.filter[dimension]?.length === 1
        ? sqlString(scope.filter[dimension][0] as string)
        : null;
  const team = single("team");
  if (team) return { kind: "team", id: team };
  const rep = single("rep");
  return rep ? { kind: "rep", id: rep } : { kind: "company", id: "'company'" };
}

/** The SQL of the {@link QuotaSource} relations, after the scope's CTEs and `closed_deals`. */
export function quotaSourcesSql(scope: SqlScope): string {
  const { current, period, groupBy } = scope;
  const repKey = groupBy ? (repDimension[groupBy] ?? "k.group_key") : "''";
  const everyGroup = groupBy && repDimension[groupBy] === undefined ? "CROSS JOIN group_keys k" : "";
  const keys = groupBy ? "SELECT group_key FROM group_keys" : "SELECT '' AS group_key";
  const forecastFor = forecastScope(scope);
  const start = sqlString(period.fromInstant);
  return `
rep_hire AS (
  SELECT r.rep_id, arg_max(r.start_date, r.known_from) AS start_date, arg_max(r.event_id, r.known_from) AS hire_event_id,
    max(r.known_from) AS hired_position, arg_max_null(p.ramp, r.known_from) AS ramp
  FROM reps r LEFT JOIN rep_ramps p ON p.event_id = r.event_id GROUP BY r.rep_id),
rep_departed AS (
  SELECT rep_id, arg_max(end_date, known_from) AS end_date, arg_max(valid_from, known_from) AS departed_at,
    max(known_from) AS departed_position
  FROM rep_departures GROUP BY rep_id),
rep_scope AS (
  SELECT r.rep_id, ${repKey} AS group_key, h.start_date, h.hire_event_id, h.ramp, ${monthIndex("h.start_date")} AS start_month,
    CAST(coalesce(h.ramp, ${sqlString(JSON.stringify(scope.config.ramp))}) AS DOUBLE[]) AS ramp_factors,
    coalesce(d.departed_position > h.hired_position AND d.departed_at <= ${sqlString(current.asOf)}
      AND d.departed_position <= ${current.maxPosition} AND d.end_date < ${sqlString(period.from)}, FALSE) AS left_before
  FROM rep_dims r ${everyGroup} JOIN rep_hire h USING (rep_id) LEFT JOIN rep_departed d USING (rep_id)
  WHERE ${filterPredicate(scope.filter, repDimension)}),
quota_latest AS (
  SELECT rep_id, arg_max(amount, ${latestFirst}) AS amount, arg_max(event_id, ${latestFirst}) AS event_id FROM quotas
  WHERE ${factIn(current)} AND period_from = ${sqlString(period.from)} AND period_to = ${sqlString(period.to)}
  GROUP BY rep_id),
forecast_latest AS (
  SELECT scope_kind, scope_id, arg_max(amount, ${latestFirst}) AS amount, arg_max(event_id, ${latestFirst}) AS event_id,
    arg_max(valid_from, ${latestFirst}) AS submitted_at
  FROM forecasts
  WHERE (period_label = ${sqlString(period.label)} OR (period_from = ${sqlString(period.from)} AND period_to = ${sqlString(period.to)}))
    AND valid_from <= ${sqlString(scope.forecastKnownAt)} AND ${factIn(current)}
  GROUP BY scope_kind, scope_id),
won_by_rep AS (
  SELECT group_key, owner_rep_id AS rep_id, ${total("amount_base")} AS won FROM closed_deals
  WHERE status = 'won' AND amount_base IS NOT NULL GROUP BY group_key, owner_rep_id),
rep_rows AS (
  SELECT * FROM closed_deals
  UNION ALL BY NAME
  SELECT 'rep' AS row_kind, s.group_key, s.rep_id, s.hire_event_id,
    s.start_date < ${sqlString(period.to)} AND NOT s.left_before AS active,
    q.amount AS raw_quota, q.event_id AS quota_event_id, ${rampAdjusted(scope, "q.amount", "s.start_month", "s.ramp_factors")} AS quota,
    coalesce(w.won, 0) AS rep_won, f.amount AS rep_forecast, f.event_id AS rep_forecast_event_id
  FROM rep_scope s LEFT JOIN quota_latest q USING (rep_id)
  LEFT JOIN won_by_rep w ON w.group_key = s.group_key AND w.rep_id = s.rep_id
  LEFT JOIN forecast_latest f ON f.scope_kind = 'rep' AND f.scope_id = s.rep_id
  UNION ALL BY NAME
  SELECT 'forecast' AS row_kind, k.group_key, f.amount AS forecast, f.event_id AS forecast_event_id,
    f.submitted_at AS forecast_submitted_at, f.scope_id AS forecast_scope_id
  FROM (${keys}) k JOIN forecast_latest f ON f.scope_kind = ${sqlString(forecastFor.kind)} AND f.scope_id = ${forecastFor.id}),
commit_deals AS (
  SELECT s.group_key, s.deal_id, s.amount, s.closed_event_id, c.event_id AS category_event_id,
    s.status = 'won' AND ${closedIn(scope, "s.")} AS won_in_period,
    coalesce(a.amount, created.amount) AS start_amount
  FROM scoped s
  JOIN (SELECT deal_id, arg_max(category, ${latestFirst}) AS category, arg_max(event_id, ${latestFirst}) AS event_id
        FROM deal_categories WHERE valid_from <= ${start} AND known_from <= ${current.maxPosition} GROUP BY deal_id) c
    ON c.deal_id = s.deal_id
  LEFT JOIN (SELECT deal_id, arg_max(amount, ${latestFirst}) AS amount FROM deal_amount_facts
             WHERE created = 0 AND valid_from <= ${start} AND known_from <= ${current.maxPosition} GROUP BY deal_id) a
    ON a.deal_id = s.deal_id
  LEFT JOIN (SELECT deal_id, arg_max(amount, known_from) AS amount FROM deal_amount_facts WHERE created = 1 GROUP BY deal_id) created
    ON created.deal_id = s.deal_id
  WHERE c.category = 'commit' AND s.created_at <= ${start})`;
}

const isRep = "row_kind = 'rep'";
const withQuota = `${isRep} AND quota IS NOT NULL`;

/** Aggregates of several measures over one source, each under its own prefix, and their results by prefix. */
function prefixed(measures: Readonly<Record<string, SqlMeasure>>) {
  return {
    aggregates: (scope: SqlScope) =>
      Object.fromEntries(
        Object.entries(measures).flatMap(([prefix, measure]) =>
          Object.entries(measure.aggregates(scope)).map(([name, sql]) => [`${prefix}_${name}`, sql]),
        ),
      ),
    results: (row: (name: string) => unknown, scope: SqlScope) =>
      Object.fromEntries(
        Object.entries(measures).map(([prefix, measure]) => [prefix, measure.result((name) => row(`${prefix}_${name}`), scope)]),
      ) as Record<string, MeasureResult>,
  };
}

/** The won amount over `rep_rows` (its closed-deal rows are `closed_deals`'), for measures set against it. */
const wonAmount: SqlMeasure = { ...amountOf("won"), source: "rep_rows" };

/** Σ ramp-adjusted quota of the reps in scope that have a quota for the period's dates. */
const quota: SqlMeasure = {
  source: "rep_rows",
  aggregates: () => ({
    total: total("quota", withQuota),
    unadjusted: total("raw_quota", withQuota),
    reps: `count(*) FILTER (WHERE ${withQuota})`,
    ids: `flatten(list([quota_event_id, hire_event_id] ORDER BY rep_id) FILTER (WHERE ${withQuota}))`,
  }),
  result: (row) => {
    const reps = Number(row("reps") ?? 0);
    return {
      value: reps ? numberOr(row("total"), 0) : null,
      ...(reps ? {} : { nullReason: "no quota set for this period" }),
      eventIds: ids(row("ids")),
      detail: { reps, unadjusted: numberOr(row("unadjusted"), 0) },
    };
  },
};

/**
 * The aggregates of measures composed into one, with their id lists only where `condition` (an aggregate predicate
 * over the group's rows) holds: the SQL lists exactly the ids the composed result keeps, so its contributing events
 * are counted and paged by the same predicates rather than listed whole (which a scorecard of values would pay for).
 */
function idsOnlyWhen(
  aggregates: (scope: SqlScope) => Readonly<Record<string, string>>,
  condition: string,
): (scope: SqlScope) => Readonly<Record<string, string>> {
  return (scope) =>
    Object.fromEntries(
      Object.entries(aggregates(scope)).map(([part, sql]) => [
        part,
        listsEventIds(part) ? `CASE WHEN ${condition} THEN ${sql} END` : sql,
      ]),
    );
}

const quotaAndWon = prefixed({ quota, won: wonAmount });

/**
 * Quota minus the amount won in the period; null when there is no quota, or once it is met. Its events are the
 * quota's and the won amount's, none without a quota (the SQL lists the won amount's only where a quota is set).
 */
const remainingQuota: SqlMeasure = {
  source: "rep_rows",
  aggregates: idsOnlyWhen(quotaAndWon.aggregates, `count(*) FILTER (WHERE ${withQuota}) > 0`),
  result: (row, scope) => {
    const { quota: quotaResult, won } = quotaAndWon.results(row, scope) as { quota: MeasureResult; won: MeasureResult };
    const eventIds = [...quotaResult.eventIds, ...won.eventIds];
    if (quotaResult.value === null) return { value: null, nullReason: "no quota set for this period", eventIds };
    const remaining = quotaResult.value - (won.value ?? 0);
    return { value: remaining > 0 ? remaining : null, ...(remaining > 0 ? {} : { nullReason: "quota met" }), eventIds };
  },
};

/** Reps in scope employed at some time in the period: started before its end, not gone (as known) before its start. */
const activeRepCount: SqlMeasure = {
  source: "rep_rows",
  aggregates: () => ({
    n: `count(*) FILTER (WHERE ${isRep} AND active)`,
    ids: `list(hire_event_id ORDER BY rep_id) FILTER (WHERE ${isRep} AND active)`,
  }),
  result: (row) => ({ value: numberOr(row("n"), 0), eventIds: ids(row("ids")) }),
};

const hasExactForecast = "count(*) FILTER (WHERE row_kind = 'forecast') > 0";
const hasRepForecast = `count(*) FILTER (WHERE ${isRep} AND rep_forecast IS NOT NULL) > 0`;

/**
 * The forecast of the group's scope (team, rep or company) submitted for the period by the forecast time; without
 * one, the sum of the forecasts of the reps in scope. Its events are that forecast's, or the reps' (the SQL lists the
 * reps' only without an exact one).
 */
const forecastAmount: SqlMeasure = {
  source: "rep_rows",
  aggregates: () => ({
    exact: "count(*) FILTER (WHERE row_kind = 'forecast')",
    amount: "any_value(forecast) FILTER (WHERE row_kind = 'forecast')",
    exact_ids: "list(forecast_event_id ORDER BY forecast_event_id) FILTER (WHERE row_kind = 'forecast')",
    submitted_at: "any_value(forecast_submitted_at) FILTER (WHERE row_kind = 'forecast')",
    scope_id: "any_value(forecast_scope_id) FILTER (WHERE row_kind = 'forecast')",
    reps: `count(*) FILTER (WHERE ${isRep} AND rep_forecast IS NOT NULL)`,
    reps_total: total("rep_forecast", `${isRep} AND rep_forecast IS NOT NULL`),
    rep_ids: `CASE WHEN NOT (${hasExactForecast}) THEN list(rep_forecast_event_id ORDER BY rep_id) FILTER (WHERE ${isRep} AND rep_forecast IS NOT NULL) END`,
  }),
  result: (row, scope) => {
    const eventIds = [...ids(row("exact_ids")), ...ids(row("rep_ids"))];
    if (Number(row("exact") ?? 0) > 0)
      return {
        value: Number(row("amount")),
        eventIds,
        detail: { scope: { kind: forecastScope(scope).kind, id: row("scope_id") }, submittedAt: row("submitted_at") },
      };
    const reps = Number(row("reps") ?? 0);
    if (reps === 0)
      return { value: null, nullReason: `no forecast for ${scope.period.label} submitted by ${scope.forecastKnownAt}`, eventIds };
    return { value: numberOr(row("reps_total"), 0), eventIds, detail: { scope: "sum of rep forecasts", reps } };
  },
};

const forecastAndWon = prefixed({ forecast: forecastAmount, won: wonAmount });

/**
 * |forecast − won amount|; null (with the forecast's reason) without a forecast. Its events are the forecast's and
 * the won amount's, none without a forecast (the SQL lists the won amount's only where there is one).
 */
const forecastAbsError: SqlMeasure = {
  source: "rep_rows",
  aggregates: idsOnlyWhen(forecastAndWon.aggregates, `(${hasExactForecast} OR ${hasRepForecast})`),
  result: (row, scope) => {
    const { forecast, won } = forecastAndWon.results(row, scope) as { forecast: MeasureResult; won: MeasureResult };
    const eventIds = [...forecast.eventIds, ...won.eventIds];
    if (forecast.value === null) return { ...forecast, eventIds };
    return { value: Math.abs(forecast.value - (won.value ?? 0)), eventIds };
  },
};

/** Per-rep attainment (won ÷ ramp-adjusted quota) of the reps with a positive quota: the share at or above 100%. */
const attainmentDistribution: SqlMeasure = {
  source: "rep_rows",
  aggregates: () => ({
    reps: `list({'repId': rep_id, 'won': rep_won, 'quota': quota} ORDER BY rep_id) FILTER (WHERE ${isRep} AND quota > 0)`,
    ids: `flatten(list([quota_event_id, hire_event_id] ORDER BY rep_id) FILTER (WHERE ${withQuota}))`,
  }),
  result: (row) => attainmentResult((row("reps") ?? []) as { repId: string; won: number; quota: number }[], ids(row("ids"))),
};

/** Deals in the Commit category at the period's start: their amount then, or (won only) their won amount if won in it. */
function commitDeals(wonOnly: boolean): SqlMeasure {
  const counted = wonOnly ? "won_in_period" : "TRUE";
  return {
    source: "commit_deals",
    aggregates: () => ({
      total: total(wonOnly ? "amount" : "start_amount", counted),
      ids: wonOnly
        ? `flatten(list([category_event_id, closed_event_id] ORDER BY deal_id) FILTER (WHERE ${counted}))`
        : "list(category_event_id ORDER BY deal_id)",
    }),
    result: (row) => ({ value: numberOr(row("total"), 0), eventIds: ids(row("ids")) }),
  };
}

/** The quota, forecast, rep and commit measures compiled to SQL. */
export const quotaMeasures: Readonly<Record<string, SqlMeasure>> = {
  quota,
  remaining_quota: remainingQuota,
  active_rep_count: activeRepCount,
  forecast_amount: forecastAmount,
  forecast_abs_error: forecastAbsError,
  attainment_distribution: attainmentDistribution,
  commit_won_amount: commitDeals(true),
  commit_total_amount: commitDeals(false),
};
