import type { MeasureResult } from "@revgraph/kpis";
import { type EngagementSource, engagementMeasures, engagementSourcesSql } from "./measures-engagement.ts";
import { type QuotaSource, quotaMeasures, quotaSourcesSql } from "./measures-quota.ts";
import { conversionMeasureNamed, type StageSource, stageMeasures, stageSourcesSql } from "./measures-stages.ts";
import { epochMs, type SqlScope, sqlString, total } from "./predicates.ts";

/** The per-deal relations a measure aggregates over, each with `group_key` (see {@link measureSourcesSql}). */
export type MeasureSource = "scoped" | "closed_deals" | "open_at_end" | QuotaSource | EngagementSource | StageSource;

/** A query row: the aggregates of every measure for one group. */
export type AggregateRow = Readonly<Record<string, unknown>>;

/**
 * One measure as SQL: aggregate expressions over its source (named, so several measures share one grouped scan), and
 * how the group's aggregates make the measure's result — the same value, event ids, detail and warnings as the
 * engine's measure of that name.
 */
export interface SqlMeasure {
  readonly source: MeasureSource;
  readonly aggregates: (scope: SqlScope) => Readonly<Record<string, string>>;
  readonly result: (row: (name: string) => unknown, scope: SqlScope) => MeasureResult;
}

/** The sources of `measures-stages.ts`: their relations go into a statement only when a measure reads one. */
const stageSources: Readonly<Record<StageSource, true>> = {
  stage_time: true,
  stage_entries: true,
  forecast_deals: true,
  deal_risks: true,
};

/** The sources of `measures-engagement.ts`: their relations go into a statement only when a measure reads one. */
const engagementSources: Readonly<Record<EngagementSource, true>> = {
  eng_interactions: true,
  eng_reached: true,
  eng_addressable: true,
  eng_leads: true,
  eng_meetings: true,
  eng_threads: true,
  eng_interaction_values: true,
};

/**
 * The relations measures read, after the scope's CTEs: deals closed in the period (with amounts in the base
 * currency at the close date, when a rate is known) and deals open at the end of the period (amounts at that date),
 * the quota relations, and the stage relations and the engagement relations each only when `sources` has one of
 * theirs. DuckDB parses every CTE of a statement, used or not: without them the core statement's text is 40% as long.
 */
export function measureSourcesSql(scope: SqlScope, sources: Iterable<MeasureSource>): string {
  const base = sqlString(scope.config.baseCurrency);
  const converted = (alias: string) =>
    `CASE WHEN ${alias}.currency = ${base} THEN ${alias}.amount ELSE ${alias}.amount * fx.rate END AS amount_base,
     CASE WHEN ${alias}.currency = ${base} THEN NULL ELSE fx.event_id END AS rate_event_id`;
  const endDate = sqlString(scope.atPeriodEnd.asOf.slice(0, 10));
  const asked = [...sources];
  const stage = asked.some((source) => source in stageSources) ? `,${stageSourcesSql(scope)}` : "";
  const engagement = asked.some((source) => source in engagementSources) ? `,${engagementSourcesSql(scope)}` : "";
  // Every open deal converts at the same date: one rate per currency, joined by currency alone.
  return `
closed_deals AS (
  SELECT c.*, ${converted("c")}
  FROM (SELECT *, left(closed_at, 10) AS rate_date FROM scoped WHERE status IN ('won', 'lost') AND ${closedIn(scope)}) c
  ASOF LEFT JOIN fx ON c.currency = fx.currency AND c.rate_date >= fx.effective_date),
open_at_end AS (
  SELECT e.*, ${converted("e")}
  FROM (SELECT *, ${endDate} AS rate_date FROM at_end WHERE status = 'open') e
  LEFT JOIN (SELECT currency, arg_max(rate, effective_date) AS rate, arg_max(event_id, effective_date) AS event_id FROM fx
             WHERE effective_date <= ${endDate} GROUP BY currency) fx ON fx.currency = e.currency),${quotaSourcesSql(scope)}${stage}${engagement}`;
}

/** A deal (a row of `scoped`, as `alias`) closed in the period: its close's instant, compared as epoch milliseconds. */
export const closedIn = (scope: SqlScope, alias = ""): string =>
  `${alias}closed_ms >= ${epochMs(scope.period.fromInstant)} AND ${alias}closed_ms < ${epochMs(scope.period.toInstant)}`;

/** A list aggregate as a list of ids ([] for SQL NULL: no rows). */
export const ids = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);
/** A numeric aggregate as a number, `fallback` for SQL NULL. */
export const numberOr = (value: unknown, fallback: number | null): number | null =>
  value === null || value === undefined ? fallback : Number(value);

/** The mean of `x` over the rows where `condition` holds, as the engine takes it: the sum over the count. */
const mean = (x: string, condition: string) => `(${total(x, condition)}) / count(${x}) FILTER (WHERE ${condition})`;

type Kind = "won" | "lost";
const isKind = (kind: Kind) => `status = '${kind}'`;

/** Closed deals of a kind whose amount converts to the base currency. */
const withAmount = (kind: Kind) => `${isKind(kind)} AND amount_base IS NOT NULL`;

/** The ids behind a closed deal's amount: the close, the amount when another event set it, the rate used. */
const amountIds = `list_filter([closed_event_id, CASE WHEN amount_event_id <> closed_event_id THEN amount_event_id END, rate_event_id], x -> x IS NOT NULL)`;

function countOf(kind: Kind): SqlMeasure {
  return {
    source: "closed_deals",
    aggregates: () => ({
      n: `count(*) FILTER (WHERE ${isKind(kind)})`,
      ids: `list(closed_event_id ORDER BY deal_id) FILTER (WHERE ${isKind(kind)})`,
    }),
    result: (row) => ({ value: numberOr(row("n"), 0), eventIds: ids(row("ids")) }),
  };
}

/** The amount of the deals closed in the period with `kind`, in the base currency (engine: `won_amount`). */
export function amountOf(kind: Kind): SqlMeasure {
  return {
    source: "closed_deals",
    aggregates: () => ({
      total: total("amount_base", withAmount(kind)),
      ids: `flatten(list(${amountIds} ORDER BY deal_id) FILTER (WHERE ${withAmount(kind)}))`,
      missing: `count(*) FILTER (WHERE ${isKind(kind)} AND amount_base IS NULL)`,
      first_missing: `min(deal_id) FILTER (WHERE ${isKind(kind)} AND amount_base IS NULL)`,
    }),
    result: (row, scope) => ({
      value: numberOr(row("total"), 0),
      eventIds: ids(row("ids")),
      warnings: missingRateWarnings(kind, row, scope),
    }),
  };
}

function missingRateWarnings(kind: Kind, row: (name: string) => unknown, scope: SqlScope): string[] {
  const missing = Number(row("missing") ?? 0);
  return missing
    ? [
        `${missing} ${kind} deal(s) left out of amounts: no exchange rate to ${scope.config.baseCurrency} (first: ${row("first_missing")})`,
      ]
    : [];
}

/** Days from creation to close of the deals closed with `kind`, as `statistic` (SQL of a value and a condition). */
function cycleDays(kind: Kind, statistic: (x: string, condition: string) => string): SqlMeasure {
  return {
    source: "closed_deals",
    aggregates: () => ({
      value: statistic("(closed_ms - created_ms) / 86400000.0", isKind(kind)),
      n: `count(*) FILTER (WHERE ${isKind(kind)})`,
      ids: `flatten(list([created_event_id, closed_event_id] ORDER BY deal_id) FILTER (WHERE ${isKind(kind)}))`,
    }),
    result: (row) => {
      const deals = Number(row("n") ?? 0);
      return {
        value: numberOr(row("value"), null),
        ...(deals ? {} : { nullReason: `no deals ${kind} in period` }),
        eventIds: ids(row("ids")),
        detail: { deals },
      };
    },
  };
}

/** Open deals at the end of the period (optionally only those expected to close in it), amounts optionally weighted. */
function pipelineAmount(closingInPeriodOnly: boolean, weighted: boolean): SqlMeasure {
  const inScope = (scope: SqlScope) =>
    closingInPeriodOnly
      ? `expected_close_date >= ${sqlString(scope.period.from)} AND expected_close_date < ${sqlString(scope.period.to)}`
      : "TRUE";
  const dealIds = [
    "created_event_id",
    "CASE WHEN amount_event_id <> created_event_id THEN amount_event_id END",
    ...(closingInPeriodOnly ? ["close_date_event_id"] : []),
    ...(weighted ? ["coalesce(probability_event_id, stage_entered_event_id)"] : []),
  ];
  return {
    source: "open_at_end",
    aggregates: (scope) => ({
      total: total(`amount_base * ${weighted ? "probability" : "1"}`, `${inScope(scope)} AND amount_base IS NOT NULL`),
      n: `count(*) FILTER (WHERE ${inScope(scope)} AND amount_base IS NOT NULL)`,
      excluded: `count(*) FILTER (WHERE ${inScope(scope)} AND amount_base IS NULL)`,
      ids: `flatten(list(list_filter([${dealIds.join(", ")}], x -> x IS NOT NULL) ORDER BY deal_id) FILTER (WHERE ${inScope(scope)} AND amount_base IS NOT NULL))`,
    }),
    result: (row, scope) => {
      const excluded = Number(row("excluded") ?? 0);
      return {
        value: numberOr(row("total"), 0),
        // Deals share events (a probability set on several); each counts once, in deal order as the engine keeps them.
        eventIds: [...new Set(ids(row("ids")))],
        detail: { deals: Number(row("n") ?? 0) },
        ...(excluded
          ? { warnings: [`${excluded} open deal(s) excluded: no exchange rate to ${scope.config.baseCurrency}`] }
          : {}),
      };
    },
  };
}

/** Adds two measures' values and event ids (closed = won + lost). */
function both(first: SqlMeasure, second: SqlMeasure, prefixes: [string, string]): SqlMeasure {
  return {
    source: first.source,
    aggregates: (scope) => ({
      ...Object.fromEntries(Object.entries(first.aggregates(scope)).map(([name, sql]) => [`${prefixes[0]}${name}`, sql])),
      ...Object.fromEntries(Object.entries(second.aggregates(scope)).map(([name, sql]) => [`${prefixes[1]}${name}`, sql])),
    }),
    result: (row, scope) => {
      const a = first.result((name) => row(`${prefixes[0]}${name}`), scope);
      const b = second.result((name) => row(`${prefixes[1]}${name}`), scope);
      return { value: (a.value ?? 0) + (b.value ?? 0), eventIds: [...a.eventIds, ...b.eventIds] };
    },
  };
}

/** Every measure compiled to SQL so far; the others are computed by the in-memory engine. */
export const sqlMeasures: Readonly<Record<string, SqlMeasure>> = {
  ...engagementMeasures,
  ...stageMeasures,
  won_count: countOf("won"),
  lost_count: countOf("lost"),
  closed_count: both(countOf("won"), countOf("lost"), ["won_", "lost_"]),
  won_amount: amountOf("won"),
  lost_amount: amountOf("lost"),
  closed_amount: both(amountOf("won"), amountOf("lost"), ["won_", "lost_"]),
  won_amount_mean: {
    source: "closed_deals",
    aggregates: (scope) => ({
      ...amountOf("won").aggregates(scope),
      mean: mean("amount_base", withAmount("won")),
      median: `quantile_cont(amount_base, 0.5) FILTER (WHERE ${withAmount("won")})`,
      n: `count(*) FILTER (WHERE ${withAmount("won")})`,
    }),
    result: (row, scope) => {
      const deals = Number(row("n") ?? 0);
      return {
        value: numberOr(row("mean"), null),
        ...(deals ? {} : { nullReason: "no deals won in period" }),
        eventIds: ids(row("ids")),
        warnings: missingRateWarnings("won", row, scope),
        detail: { median: numberOr(row("median"), null), deals },
      };
    },
  },
  won_amount_median: {
    source: "closed_deals",
    aggregates: () => ({
      median: `quantile_cont(amount_base, 0.5) FILTER (WHERE ${withAmount("won")})`,
      ids: `flatten(list(${amountIds} ORDER BY deal_id) FILTER (WHERE ${withAmount("won")}))`,
    }),
    result: (row) => ({ value: numberOr(row("median"), null), eventIds: ids(row("ids")) }),
  },
  cycle_days_won_mean: cycleDays("won", mean),
  cycle_days_won_median: cycleDays("won", (x, condition) => `quantile_cont(${x}, 0.5) FILTER (WHERE ${condition})`),
  cycle_days_lost_mean: cycleDays("lost", mean),
  open_deal_count: {
    source: "open_at_end",
    aggregates: () => ({ n: "count(*)", ids: "list(created_event_id ORDER BY deal_id)" }),
    result: (row) => ({ value: numberOr(row("n"), 0), eventIds: ids(row("ids")) }),
  },
  open_pipeline: pipelineAmount(false, false),
  open_pipeline_in_period: pipelineAmount(true, false),
  weighted_pipeline: pipelineAmount(false, true),
  new_deal_count: {
    source: "scoped",
    aggregates: (scope) => {
      const created = `created_ms >= ${epochMs(scope.period.fromInstant)} AND created_ms < ${epochMs(scope.period.toInstant)}`;
      return {
        n: `count(*) FILTER (WHERE ${created})`,
        ids: `list(created_event_id ORDER BY deal_id) FILTER (WHERE ${created})`,
      };
    },
    result: (row) => ({ value: numberOr(row("n"), 0), eventIds: ids(row("ids")) }),
  },
  loss_reason_breakdown: {
    source: "closed_deals",
    aggregates: () => ({
      n: `count(*) FILTER (WHERE ${isKind("lost")})`,
      ids: `list(closed_event_id ORDER BY deal_id) FILTER (WHERE ${isKind("lost")})`,
      reasons: `list(coalesce(closed_reason, 'other') ORDER BY deal_id) FILTER (WHERE ${isKind("lost")})`,
      competitors: `list(closed_competitor ORDER BY deal_id) FILTER (WHERE ${isKind("lost")} AND closed_competitor IS NOT NULL)`,
    }),
    result: (row) => {
      const tally = (values: string[]) => {
        const counts: Record<string, number> = {};
        for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
        return counts;
      };
      return {
        value: numberOr(row("n"), 0),
        eventIds: ids(row("ids")),
        detail: { reasons: tally(ids(row("reasons"))), competitors: tally(ids(row("competitors"))) },
      };
    },
  },
  ...quotaMeasures,
};

/** A measure compiled to SQL by name, conversions between stages (`conversion:<from>:<to>`) included. */
export const compiledMeasure = (name: string): SqlMeasure | undefined => sqlMeasures[name] ?? conversionMeasureNamed(name);
