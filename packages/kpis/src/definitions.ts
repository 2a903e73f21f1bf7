/** Units a KPI value can carry. */
export type KpiUnit = "ratio" | "currency" | "days" | "hours" | "count" | "currency_per_day" | "contacts";

/** The formula of a KPI, in a small declarative form (after MetricFlow's metric types). */
export type KpiFormula =
  | { readonly kind: "simple"; readonly measure: string }
  | { readonly kind: "ratio"; readonly numerator: string; readonly denominator: string }
  | { readonly kind: "derived"; readonly expression: string }
  | { readonly kind: "conversion"; readonly fromStage: string; readonly toStage: string };

/** A band a value can fall in; `min` inclusive, `max` exclusive; the first match wins. */
export interface KpiBand {
  readonly id: "healthy" | "at_risk" | "escalate" | "on_target" | "off_target";
  readonly label: string;
  readonly min?: number;
  readonly max?: number;
}

/** A KPI definition: data, versioned; two versions of one id can be computed side by side. */
export interface KpiDefinition {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly description: string;
  readonly unit: KpiUnit;
  readonly direction: "higher_is_better" | "lower_is_better" | "neutral";
  /** `candidate` versions are computed only when asked for by version; the newest `active` one is the default. */
  readonly status: "active" | "candidate";
  readonly formula: KpiFormula;
  /** Other measures reported beside the value (e.g. the median beside a mean). */
  readonly context?: readonly string[];
  readonly bands?: readonly KpiBand[];
}

/** Every KPI in KPIS.md, as data. */
export const kpiDefinitions: readonly KpiDefinition[] = [
  {
    id: "won_revenue",
    version: 1,
    title: "Won revenue (bookings)",
    description:
      "Sum of the amounts of deals won in the period, each at its amount when won, in the reporting currency (converted with the rates carried as events; deals without a rate are left out with a warning).",
    unit: "currency",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "simple", measure: "won_amount" },
    context: ["won_count"],
  },
  {
    id: "win_rate",
    version: 1,
    title: "Win rate",
    description: "Deals won ÷ deals won or lost, counting deals closed in the period. Open deals never count.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "won_count", denominator: "closed_count" },
  },
  {
    id: "win_rate",
    version: 2,
    title: "Win rate (by value)",
    description: "Amount won ÷ amount won or lost, deals closed in the period.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "candidate",
    formula: { kind: "ratio", numerator: "won_amount", denominator: "closed_amount" },
  },
  {
    id: "average_deal_size",
    version: 1,
    title: "Average deal size",
    description: "Mean amount of deals won in the period, each at its amount when won; lost deals never enter it.",
    unit: "currency",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "simple", measure: "won_amount_mean" },
    context: ["won_amount_median", "won_count"],
  },
  {
    id: "sales_cycle_length",
    version: 1,
    title: "Sales cycle length",
    description: "Mean days from creation to close, deals won in the period; the lost-deal figure is reported beside it.",
    unit: "days",
    direction: "lower_is_better",
    status: "active",
    formula: { kind: "simple", measure: "cycle_days_won_mean" },
    context: ["cycle_days_won_median", "cycle_days_lost_mean"],
  },
  {
    id: "pipeline",
    version: 1,
    title: "Open pipeline",
    description: "Sum of amounts of open deals at the end of the period (or now).",
    unit: "currency",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "simple", measure: "open_pipeline" },
    context: ["open_pipeline_in_period", "weighted_pipeline", "open_deal_count"],
  },
  {
    id: "weighted_pipeline",
    version: 1,
    title: "Weighted pipeline",
    description: "Σ amount × win probability over open deals (explicit probability, else the stage default).",
    unit: "currency",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "simple", measure: "weighted_pipeline" },
  },
  {
    id: "pipeline_coverage",
    version: 1,
    title: "Pipeline coverage",
    description: "Open pipeline expected to close in the period ÷ remaining quota (quota − won in period).",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "open_pipeline_in_period", denominator: "remaining_quota" },
    context: ["quota", "won_amount"],
    bands: [
      { id: "healthy", label: "Healthy (≥ 3.0×)", min: 3 },
      { id: "at_risk", label: "At risk (< 3.0×)", min: 2.5, max: 3 },
      { id: "escalate", label: "Escalate (< 2.5×)", max: 2.5 },
    ],
  },
  {
    id: "stage_conversion",
    version: 1,
    title: "Stage conversion (discovery → won)",
    description:
      "Of deals entering the first stage in the period, the share that reached the target or any later stage; skipped stages count as passed.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "conversion", fromStage: "discovery", toStage: "closed_won" },
  },
  {
    id: "time_in_stage",
    version: 1,
    title: "Time in stage",
    description:
      "Mean days per (deal, stage) of stays completed in the period, re-entries added up; per-stage mean, median and p90 in the detail.",
    unit: "days",
    direction: "lower_is_better",
    status: "active",
    formula: { kind: "simple", measure: "stage_time_days_mean" },
  },
  {
    id: "pipeline_velocity",
    version: 1,
    title: "Pipeline velocity",
    description: "(Open deals × average deal size × win rate) ÷ average sales cycle days: revenue per day.",
    unit: "currency_per_day",
    direction: "higher_is_better",
    status: "active",
    formula: {
      kind: "derived",
      expression: "open_deal_count * won_amount_mean * (won_count / closed_count) / cycle_days_won_mean",
    },
  },
  {
    id: "slippage_rate",
    version: 1,
    title: "Slippage rate",
    description:
      "Deals forecast to close in the period that pushed out or were still open at its end ÷ deals forecast to close in it.",
    unit: "ratio",
    direction: "lower_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "slipped_count", denominator: "forecast_to_close_count" },
  },
  {
    id: "forecast_accuracy",
    version: 1,
    title: "Forecast accuracy",
    description: "1 − |F − A| ÷ A, F the forecast for the period as known at the forecast time, A the amount won.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "derived", expression: "1 - forecast_abs_error / won_amount" },
    context: ["forecast_amount"],
    bands: [
      { id: "on_target", label: "Within 10%", min: 0.9 },
      { id: "off_target", label: "Off by more than 10%", max: 0.9 },
    ],
  },
  {
    id: "forecast_bias",
    version: 1,
    title: "Forecast bias",
    description: "(F − A) ÷ A: positive when the forecast ran above what was won.",
    unit: "ratio",
    direction: "neutral",
    status: "active",
    formula: { kind: "derived", expression: "(forecast_amount - won_amount) / won_amount" },
  },
  {
    id: "commit_close_rate",
    version: 1,
    title: "Commit close rate",
    description: "Won amount of deals in the Commit category at period start ÷ their total.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "commit_won_amount", denominator: "commit_total_amount" },
  },
  {
    id: "quota_attainment",
    version: 1,
    title: "Quota attainment",
    description: "Won amount in the period ÷ ramp-adjusted quota for the reps in scope.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "won_amount", denominator: "quota" },
    context: ["attainment_distribution"],
  },
  {
    id: "multithreading",
    version: 1,
    title: "Multi-threaded contacts per deal",
    description: "Mean distinct contacts engaged (in an interaction or holding a buying role) per open deal.",
    unit: "contacts",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "simple", measure: "engaged_contacts_mean" },
  },
  {
    id: "average_interaction_value",
    version: 1,
    title: "Average interaction value",
    description:
      "Mean over interactions in the period of deal amount × the change in win probability recorded before the next interaction.",
    unit: "currency",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "simple", measure: "interaction_value_mean" },
  },
  {
    id: "account_reach",
    version: 1,
    title: "Account reach",
    description: "Accounts with at least one interaction in the period ÷ addressable accounts.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "reached_accounts", denominator: "addressable_accounts" },
  },
  {
    id: "account_engagement",
    version: 1,
    title: "Account engagement",
    description: "Reached accounts with at least one interaction per 14 days over the period ÷ reached accounts.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "engaged_accounts", denominator: "reached_accounts" },
  },
  {
    id: "lead_response_time",
    version: 1,
    title: "Lead response time",
    description: "Median hours from a lead's arrival to its first touch; p90 and share under one hour in the detail.",
    unit: "hours",
    direction: "lower_is_better",
    status: "active",
    formula: { kind: "simple", measure: "lead_response_hours_median" },
  },
  {
    id: "meeting_to_opportunity_rate",
    version: 1,
    title: "Meeting → opportunity rate",
    description: "Meetings held that led to a deal for that account within 30 days ÷ meetings held.",
    unit: "ratio",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "meetings_converted", denominator: "meetings_held" },
  },
  {
    id: "activity_to_opportunity_ratio",
    version: 1,
    title: "Activity-to-opportunity ratio",
    description: "Outbound interactions ÷ new deals, same period and owners.",
    unit: "ratio",
    direction: "lower_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "outreach_count", denominator: "new_deal_count" },
  },
  {
    id: "revenue_per_rep",
    version: 1,
    title: "Revenue per rep",
    description: "Won amount in the period ÷ reps active in the period.",
    unit: "currency",
    direction: "higher_is_better",
    status: "active",
    formula: { kind: "ratio", numerator: "won_amount", denominator: "active_rep_count" },
  },
  {
    id: "loss_reasons",
    version: 1,
    title: "Loss reasons",
    description: "Lost deals in the period, by reason (pricing, competition, timing, no decision, other) and competitor.",
    unit: "count",
    direction: "lower_is_better",
    status: "active",
    formula: { kind: "simple", measure: "loss_reason_breakdown" },
  },
  {
    id: "stale_deals",
    version: 1,
    title: "Stale deals",
    description:
      "Open deals with no interaction for 14 days, or whose technical evaluator has been silent 9 days in technical validation.",
    unit: "count",
    direction: "lower_is_better",
    status: "active",
    formula: { kind: "simple", measure: "stale_deal_count" },
  },
];

/** Human-readable text of a formula, as shown in derivations. */
export function formulaText(formula: KpiFormula): string {
  switch (formula.kind) {
    case "simple":
      return formula.measure;
    case "ratio":
      return `${formula.numerator} / ${formula.denominator}`;
    case "derived":
      return formula.expression;
    case "conversion":
      return `entered(${formula.fromStage}) → reached(${formula.toStage} or later) / entered(${formula.fromStage})`;
  }
}
