import { stageIndex } from "@revgraph/domain";
import { type DealRisk, KpiQueryError, type MeasureResult } from "@revgraph/kpis";
import { CONTACT_SEPARATOR } from "../facts/stages.ts";
import type { SqlMeasure } from "./measures.ts";
import { type SqlScope, sqlString, total } from "./predicates.ts";

/** The per-deal relations of stages, close dates and risks (see {@link stageSourcesSql}). */
export type StageSource = "stage_time" | "stage_entries" | "forecast_deals" | "deal_risks";

/** A fact's place in (business time, log position) order, as a string that sorts that way. */
const stamp = (alias: string) => `${alias}.valid_from || lpad(CAST(${alias}.known_from AS VARCHAR), 14, '0')`;

/**
 * Milliseconds since the epoch of an ISO instant (as `Date.parse`). Business times are stored as `toISOString()`
 * (UTC, `Z`), which a plain TIMESTAMP cast reads exactly, without the time-zone machinery of TIMESTAMPTZ.
 */
const epochMs = (iso: string) => `epoch_ms(CAST(${iso} AS TIMESTAMP))`;

/** Days from an instant (SQL, ms) to `at` (ISO), as the engine's `daysBetween`. */
const daysUntil = (fromMs: string, at: string) => `(${Date.parse(at)} - ${fromMs}) / 86400000.0`;

/** A fact row (of alias `alias`) visible in a slice. */
const visibleIn = (alias: string, asOf: string, maxPosition: number) =>
  `${alias}.valid_from <= ${sqlString(asOf)} AND ${alias}.known_from <= ${maxPosition}`;

/** A stage's index in the process as the engine's `stageIndex(…) ?? -1`: open stages 0..n-1, won n, lost and unknown -1. */
function stageIndexSql(scope: SqlScope, stage: string): string {
  const { config } = scope;
  const open = config.stages.map((each, index) => `WHEN ${sqlString(each.id)} THEN ${index}`).join(" ");
  return `CASE ${stage} WHEN ${sqlString(config.wonStage)} THEN ${config.stages.length} WHEN ${sqlString(config.lostStage)} THEN -1 ${open} ELSE -1 END`;
}

/** The `stage_entries` column with the first later stay reaching stage index `target` or beyond. */
const reachedColumn = (target: number) => `reached_${target}`;

/**
 * How the stored stays (`deal_stays`, alias `t`) are read in the scope's current slice: `staysKnown` keeps the stays
 * known at its position and begun by its asOf (the creation's stay always); `leftBy(column)` selects a column of the
 * stay's end only when it ended by asOf (a stay left after asOf is still open as of asOf).
 */
export function storedStaysInSlice(scope: SqlScope): { staysKnown: string; leftBy: (column: string) => string } {
  const { current } = scope;
  const asOfMs = Date.parse(current.asOf);
  return {
    // At the head of the log and after every version's bounds (so after every step), the stays known now are all
    // begun and left by asOf: those with an open record interval.
    staysKnown: scope.currentIsLatest
      ? "t.known_to IS NULL"
      : `t.known_from <= ${current.maxPosition} AND (t.known_to IS NULL OR t.known_to > ${current.maxPosition})
    AND (t.ord = 1 OR t.entered_ms <= ${asOfMs})`,
    leftBy: (column) =>
      scope.currentIsLatest ? `t.${column}` : `CASE WHEN t.left_ms <= ${asOfMs} THEN t.${column} END AS ${column}`,
  };
}
/**
 * The relations the stage measures read, after the scope's CTEs:
 * - `stage_stays`: the stays of the deals in scope as things stand, read from the stored stays (`deal_stays`) known at
 *   the slice's position: those begun by its asOf (the creation's stay always), a stay left after it still open. Only
 *   the stays a measure can read: begun or left in or after the period, open, or a deal's first in the single-thread
 *   stage (multithreading's first ended stay there: the first stay in a stage, when it has ended, is the first ended);
 * - `stage_time`: per (deal, stage) the days of its stays that ended in the period (`done`), and per open deal the age
 *   of its current stay at the evaluation time (`open`);
 * - `stage_entries`: per deal and stage, the deal's first stay in that stage (`first_in_stage`: the visible stays are a
 *   prefix of the stored ones, so the first visible one) when it began in the period, with, for
 *   each stage index, the entered event of the first other stay begun no earlier at that index or beyond (for
 *   conversions between any two stages);
 * - `forecast_deals`: the deals at the end of the period whose expected close date was in the period at some time while
 *   they were open, with the first such date's event as evidence, read from the stored close-date histories
 *   (`deal_close_history`) known at the period end's position: the entries set by its asOf (the creation's always),
 *   each held while open when it was so by that asOf;
 * - `deal_risks`: the stale and silent-evaluator findings on open deals at the evaluation time. A deal's last touch is
 *   its latest touch known at the slice's position (`deal_last_touches`) when that is visible at its asOf; only the
 *   deals whose latest known touch is after asOf read their touches (`deal_touches`). The open deals in technical
 *   validation read theirs for their evaluators, each touch with its own contacts unless its id was logged again
 *   (`relogged_interactions`: then the latest logging's, as the graph keeps them).
 */
export function stageSourcesSql(scope: SqlScope): string {
  const { config, current, atPeriodEnd, period, evaluatedAt } = scope;
  const configured = config.stages.map((stage) => sqlString(stage.id)).join(", ");
  const asOfMs = Date.parse(current.asOf);
  const fromMs = Date.parse(period.fromInstant);
  const { staysKnown, leftBy } = storedStaysInSlice(scope);
  const inTechnicalValidation = `s.status = 'open' AND s.stage = ${sqlString(config.technicalValidationStage)}`;
  const endAsOf = sqlString(atPeriodEnd.asOf);
  const closeHistoryKnown = scope.periodEndIsLatest
    ? "h.known_to IS NULL"
    : `h.known_from <= ${atPeriodEnd.maxPosition} AND (h.known_to IS NULL OR h.known_to > ${atPeriodEnd.maxPosition})`;
  const latestTouchKnown = scope.currentIsLatest
    ? "l.known_to IS NULL"
    : `l.known_from <= ${current.maxPosition} AND (l.known_to IS NULL OR l.known_to > ${current.maxPosition})`;
  const periodOver = evaluatedAt >= period.toInstant;
  const dateInPeriod = (date: string) => `${date} >= ${sqlString(period.from)} AND ${date} < ${sqlString(period.to)}`;
  const reached = Array.from(
    { length: config.stages.length + 1 },
    (_, target) => `arg_min(x.entered_event_id, x.ord) FILTER (WHERE x.idx >= ${target}) AS ${reachedColumn(target)}`,
  ).join(", ");
  return `
stage_stays AS MATERIALIZED (
  SELECT s.deal_id, s.group_key, s.status, t.ord, t.stage, ${stageIndexSql(scope, "t.stage")} AS idx, t.first_in_stage,
    t.entered_at, t.entered_event_id, t.entered_ms, ${leftBy("left_at")}, ${leftBy("left_event_id")}, ${leftBy("left_ms")}
  FROM deal_stays t JOIN scoped s ON s.deal_id = t.deal_id
  WHERE ${staysKnown}
    AND (t.entered_ms >= ${fromMs} OR t.left_ms IS NULL OR t.left_ms >= ${fromMs} OR t.left_ms > ${asOfMs}
      OR (t.first_in_stage = 1 AND t.stage = ${sqlString(config.singleThread.stage)}))),
stage_time AS (
  SELECT group_key, deal_id, stage, 'done' AS kind, sum(left_ms - entered_ms) / 86400000.0 AS days,
    flatten(list([entered_event_id, left_event_id] ORDER BY ord)) AS stay_ids
  FROM stage_stays
  WHERE left_at >= ${sqlString(period.fromInstant)} AND left_at < ${sqlString(period.toInstant)} AND stage IN (${configured})
  GROUP BY group_key, deal_id, stage
  UNION ALL
  SELECT group_key, deal_id, stage, 'open', ${daysUntil("entered_ms", evaluatedAt)}, NULL
  FROM stage_stays WHERE left_at IS NULL AND status = 'open'),
stage_entries AS (
  SELECT any_value(e.group_key) AS group_key, e.deal_id, any_value(e.stage) AS stage, any_value(e.entered_event_id) AS event_id,
    ${reached}
  FROM stage_stays e
  LEFT JOIN stage_stays x ON x.deal_id = e.deal_id AND x.ord <> e.ord AND x.entered_ms >= e.entered_ms
  WHERE e.first_in_stage = 1 AND e.entered_ms >= ${fromMs} AND e.entered_ms < ${Date.parse(period.toInstant)}
  GROUP BY e.deal_id, e.ord),
close_held AS (
  SELECT h.deal_id, h.ord, h.event_id FROM deal_close_history h SEMI JOIN at_end e ON e.deal_id = h.deal_id
  WHERE ${closeHistoryKnown} AND (h.ord = 1 OR h.set_at <= ${endAsOf}) AND h.while_open_from <= ${endAsOf}
    AND ${dateInPeriod("h.date")}),
forecast_deals AS (
  SELECT e.group_key, e.deal_id, e.status, e.expected_close_date, e.pushes, e.close_date_event_id, f.evidence,
    e.status = 'open' AND ${periodOver ? "TRUE" : `e.expected_close_date >= ${sqlString(period.to)}`} AS slipped
  FROM at_end e JOIN (
    SELECT deal_id, arg_min(event_id, ord) AS evidence FROM close_held GROUP BY deal_id) f
  ON f.deal_id = e.deal_id),
risk_evaluators AS MATERIALIZED (
  SELECT r.deal_id, r.contact_id, min(${stamp("r")}) AS first_stamp,
    arg_max(r.assigned, ${stamp("r")}) FILTER (WHERE r.role = 'technical_evaluator') AS assigned
  FROM contact_roles r SEMI JOIN scoped s
    ON s.deal_id = r.deal_id AND ${inTechnicalValidation}
  WHERE ${visibleIn("r", current.asOf, current.maxPosition)}
  GROUP BY r.deal_id, r.contact_id),
risk_last_touch AS (
  SELECT l.deal_id, l.touched_at, l.event_id FROM deal_last_touches l
  WHERE ${latestTouchKnown} AND l.touched_at <= ${sqlString(current.asOf)}
  UNION ALL
  SELECT t.deal_id, arg_max(t.valid_from, ${stamp("t")}), arg_max(t.event_id, ${stamp("t")})
  FROM deal_touches t SEMI JOIN (
    SELECT l.deal_id FROM deal_last_touches l SEMI JOIN scoped s ON s.deal_id = l.deal_id AND s.status = 'open'
    WHERE ${latestTouchKnown} AND l.touched_at > ${sqlString(current.asOf)}) l
  ON l.deal_id = t.deal_id
  WHERE ${visibleIn("t", current.asOf, current.maxPosition)}
  GROUP BY t.deal_id),
risk_touches AS MATERIALIZED (
  SELECT t.deal_id, t.interaction_id, t.contact_ids, t.valid_from AS touched_at, ${stamp("t")} AS stamp, t.event_id
  FROM deal_touches t SEMI JOIN scoped s ON s.deal_id = t.deal_id AND ${inTechnicalValidation}
  WHERE ${visibleIn("t", current.asOf, current.maxPosition)}),
risk_contact_touches AS (
  SELECT t.deal_id, t.touched_at, t.stamp, t.event_id,
    unnest(string_split(coalesce(l.contact_ids, t.contact_ids), ${sqlString(CONTACT_SEPARATOR)})) AS contact_id
  FROM risk_touches t LEFT JOIN (
    SELECT d.interaction_id, d.contact_ids FROM relogged_interactions r
    JOIN deal_touches d ON d.interaction_id = r.interaction_id AND d.known_from = r.latest_known_from) l
  ON l.interaction_id = t.interaction_id
  WHERE t.deal_id IN (SELECT deal_id FROM risk_evaluators)),
risk_evaluator_touches AS (
  SELECT v.deal_id, v.contact_id, v.first_stamp, arg_max(t.touched_at, t.stamp) AS touched_at, arg_max(t.event_id, t.stamp) AS event_id
  FROM risk_evaluators v
  LEFT JOIN risk_contact_touches t ON t.deal_id = v.deal_id AND t.contact_id = v.contact_id
  WHERE v.assigned = 1
  GROUP BY v.deal_id, v.contact_id, v.first_stamp),
deal_risks AS (
  SELECT s.group_key, s.deal_id, 0 AS seq, '' AS contact_order, 'stale' AS kind, NULL AS contact_id,
    floor(${daysUntil(epochMs("coalesce(l.touched_at, s.created_at)"), evaluatedAt)}) AS days, coalesce(l.event_id, s.created_event_id) AS evidence
  FROM scoped s LEFT JOIN risk_last_touch l ON l.deal_id = s.deal_id
  WHERE s.status = 'open' AND ${daysUntil(epochMs("coalesce(l.touched_at, s.created_at)"), evaluatedAt)} >= ${config.staleAfterDays}
  UNION ALL
  SELECT s.group_key, s.deal_id, 1, v.first_stamp, 'evaluator_silent', v.contact_id,
    floor(${daysUntil(epochMs("coalesce(v.touched_at, s.stage_entered_at)"), evaluatedAt)}), coalesce(v.event_id, s.stage_entered_event_id)
  FROM risk_evaluator_touches v JOIN scoped s ON s.deal_id = v.deal_id
  WHERE ${daysUntil(epochMs("coalesce(v.touched_at, s.stage_entered_at)"), evaluatedAt)} >= ${config.technicalEvaluatorSilentDays})`;
}

const ids = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);
const numberOr = (value: unknown, fallback: number | null): number | null =>
  value === null || value === undefined ? fallback : Number(value);

/** The name under which a conversion between two stages is measured (see {@link conversionMeasure}). */
export const conversionMeasureName = (fromStage: string, toStage: string) => `conversion:${fromStage}:${toStage}`;

/**
 * Stage conversion as the engine's `conversion`: of the deals whose first stay in `fromStage` began in the period
 * (`entered`), those with another stay, begun no earlier, in `toStage` or a later one (`converted`). The value is the
 * converted count; `detail` holds both counts. Throws a {@link KpiQueryError} for an unknown stage, like the engine.
 */
export function conversionMeasure(fromStage: string, toStage: string): SqlMeasure {
  return {
    source: "stage_entries",
    aggregates: (scope) => {
      const target = stageIndex(scope.config, toStage);
      if (target === undefined) throw new KpiQueryError("toStage", `unknown stage ${JSON.stringify(toStage)}`);
      if (stageIndex(scope.config, fromStage) === undefined)
        throw new KpiQueryError("fromStage", `unknown stage ${JSON.stringify(fromStage)}`);
      const entered = `stage = ${sqlString(fromStage)}`;
      const reached = reachedColumn(target);
      return {
        entered: `count(*) FILTER (WHERE ${entered})`,
        converted: `count(${reached}) FILTER (WHERE ${entered})`,
        // Unconverted deals' null reached ids are dropped once per group, not per deal.
        ids: `list_filter(flatten(list([event_id, ${reached}] ORDER BY deal_id) FILTER (WHERE ${entered})), x -> x IS NOT NULL)`,
      };
    },
    result: (row) => {
      const entered = Number(row("entered") ?? 0);
      const converted = Number(row("converted") ?? 0);
      return { value: converted, eventIds: ids(row("ids")), detail: { entered, converted } };
    },
  };
}

/** The conversion measure of a {@link conversionMeasureName} name; undefined for any other name. */
export function conversionMeasureNamed(name: string): SqlMeasure | undefined {
  const [kind, fromStage, toStage, ...rest] = name.split(":");
  return kind === "conversion" && fromStage !== undefined && toStage !== undefined && rest.length === 0
    ? conversionMeasure(fromStage, toStage)
    : undefined;
}

/** Stage time per configured stage, as the engine's `perStage` detail. */
function perStage(scope: SqlScope, row: (name: string) => unknown) {
  return scope.config.stages.map((stage, index) => ({
    stage: stage.id,
    completed: Number(row(`completed_${index}`) ?? 0),
    mean: numberOr(row(`mean_${index}`), null),
    median: numberOr(row(`median_${index}`), null),
    p90: numberOr(row(`p90_${index}`), null),
    openStays: Number(row(`open_${index}`) ?? 0),
    openMedianAge: numberOr(row(`open_median_${index}`), null),
  }));
}

const done = "kind = 'done'";

/** A risk row as SQL reads it: its deal and kind, with the fields its kind's detail names. */
export type RiskRow = Readonly<Record<string, unknown>>;

/**
 * Each risk kind's `detail`, as the engine's `dealRisks` words it, from a risk row: `days` for stale deals and silent
 * evaluators (with `contact_id`), `stakeholders`, `amount` and `currency` for single-threaded deals,
 * `expected_close_date` and `pushes` for slipped ones.
 */
export const riskDetails: Readonly<Record<DealRisk["kind"], (row: RiskRow, scope: SqlScope) => string>> = {
  stale: (row) => `no interaction for ${Number(row.days)} days`,
  evaluator_silent: (row) => `technical evaluator ${String(row.contact_id)} silent for ${Number(row.days)} days`,
  single_threaded: (row, scope) =>
    `${Number(row.stakeholders)} stakeholder(s) when leaving ${scope.config.singleThread.stage} on a ${Number(row.amount)} ${String(row.currency)} deal`,
  slipped: (row) => `expected close ${String(row.expected_close_date)} has passed (${Number(row.pushes)} push(es))`,
};

/**
 * Risk rows in the order `ids` lists their evidence, the engine's: by deal, then by `seq` (stale 0, silent evaluators
 * 1, single-threaded 2, slipped 3), evaluators by their first role (`contact_order`).
 */
export function riskOrder(risks: Record<string, unknown>[]): Record<string, unknown>[] {
  const key = (risk: Record<string, unknown>) => [String(risk.deal_id), Number(risk.seq), String(risk.contact_order)] as const;
  return risks.sort((a, b) => {
    const [dealA, seqA, orderA] = key(a);
    const [dealB, seqB, orderB] = key(b);
    if (dealA !== dealB) return dealA < dealB ? -1 : 1;
    if (seqA !== seqB) return seqA - seqB;
    return orderA < orderB ? -1 : orderA > orderB ? 1 : 0;
  });
}

/** The stage, slippage and risk measures compiled to SQL. */
export const stageMeasures: Readonly<Record<string, SqlMeasure>> = {
  stage_time_days_mean: {
    source: "stage_time",
    aggregates: (scope) => ({
      value: `(${total("days", done)}) / count(*) FILTER (WHERE ${done})`,
      n: `count(*) FILTER (WHERE ${done})`,
      ids: `flatten(list(stay_ids ORDER BY deal_id, stage) FILTER (WHERE ${done}))`,
      ...Object.fromEntries(
        scope.config.stages.flatMap((stage, index) => {
          const doneInStage = `${done} AND stage = ${sqlString(stage.id)}`;
          const isDone = `FILTER (WHERE ${doneInStage})`;
          const isOpen = `FILTER (WHERE kind = 'open' AND stage = ${sqlString(stage.id)})`;
          return [
            [`completed_${index}`, `count(*) ${isDone}`],
            [`mean_${index}`, `(${total("days", doneInStage)}) / count(*) ${isDone}`],
            [`median_${index}`, `quantile_cont(days, 0.5) ${isDone}`],
            [`p90_${index}`, `quantile_cont(days, 0.9) ${isDone}`],
            [`open_${index}`, `count(*) ${isOpen}`],
            [`open_median_${index}`, `quantile_cont(days, 0.5) ${isOpen}`],
          ];
        }),
      ),
    }),
    result: (row, scope): MeasureResult => {
      const completed = Number(row("n") ?? 0);
      return {
        value: numberOr(row("value"), null),
        ...(completed ? {} : { nullReason: "no stage stays completed in period" }),
        eventIds: [...new Set(ids(row("ids")))],
        detail: { perStage: perStage(scope, row) },
      };
    },
  },
  forecast_to_close_count: {
    source: "forecast_deals",
    aggregates: () => ({ n: "count(*)", ids: "list(evidence ORDER BY deal_id)" }),
    result: (row) => ({ value: numberOr(row("n"), 0), eventIds: ids(row("ids")) }),
  },
  slipped_count: {
    source: "forecast_deals",
    aggregates: () => ({
      n: "count(*) FILTER (WHERE slipped)",
      ids: "list(close_date_event_id ORDER BY deal_id) FILTER (WHERE slipped)",
      pushes: `(${total("pushes")}) / count(*)`,
    }),
    result: (row) => ({
      value: numberOr(row("n"), 0),
      eventIds: ids(row("ids")),
      detail: { pushesPerDeal: numberOr(row("pushes"), null) },
    }),
  },
  stale_deal_count: {
    source: "deal_risks",
    aggregates: () => ({
      n: "count(DISTINCT deal_id)",
      ids: "list(evidence ORDER BY deal_id, seq, contact_order)",
      // Unordered (an ordered list aggregate sorts per group and was most of the measure's time): sorted in `result`.
      risks:
        "list({'deal_id': deal_id, 'seq': seq, 'contact_order': contact_order, 'kind': kind, 'contact_id': contact_id, 'days': days, 'evidence': evidence})",
    }),
    result: (row, scope) => {
      const risks = riskOrder(Array.isArray(row("risks")) ? (row("risks") as Record<string, unknown>[]) : []).map((risk) => ({
        dealId: String(risk.deal_id),
        kind: String(risk.kind),
        detail: riskDetails[risk.kind as "stale" | "evaluator_silent"](risk, scope),
        evidenceEventId: String(risk.evidence),
      }));
      return { value: numberOr(row("n"), 0), eventIds: ids(row("ids")), detail: { risks } };
    },
  },
};
