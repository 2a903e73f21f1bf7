import type { EventFactTable } from "./simple-facts.ts";

/** Quotas: a rep's quota amount for a period (the latest visible one for the period's dates is the one that counts). */
export const quotas: EventFactTable = {
  table: "quotas",
  columns: [
    { name: "rep_id", type: "VARCHAR" },
    { name: "period_from", type: "VARCHAR" },
    { name: "period_to", type: "VARCHAR" },
    { name: "amount", type: "DOUBLE" },
  ],
  rows: { QuotaSet: (data) => [[data.repId, data.from, data.to, data.amount]] },
};

/** Forecasts submitted for a period by a rep, a team or the company (the latest visible per scope counts). */
export const forecasts: EventFactTable = {
  table: "forecasts",
  columns: [
    { name: "scope_kind", type: "VARCHAR" },
    { name: "scope_id", type: "VARCHAR" },
    { name: "period_label", type: "VARCHAR" },
    { name: "period_from", type: "VARCHAR" },
    { name: "period_to", type: "VARCHAR" },
    { name: "amount", type: "DOUBLE" },
  ],
  rows: {
    ForecastSubmitted: (data) => [[data.scope.kind, data.scope.id, data.period, data.from, data.to, data.amount]],
  },
};

/**
 * Each hire's ramp (quota share per tenure month, as a JSON list; null: the configured ramp). Joined to `reps` by
 * event id: like the graph, only a rep's latest hire in log order counts.
 */
export const repRamps: EventFactTable = {
  table: "rep_ramps",
  columns: [
    { name: "rep_id", type: "VARCHAR" },
    { name: "ramp", type: "VARCHAR" },
  ],
  rows: { RepHired: (data) => [[data.repId, data.ramp ? JSON.stringify(data.ramp) : null]] },
};

/**
 * Departures. As in the graph, a departure of a rep the log does not know is ignored, and only the latest departure
 * logged after the rep's latest hire counts (a new hire clears it).
 */
export const repDepartures: EventFactTable = {
  table: "rep_departures",
  columns: [
    { name: "rep_id", type: "VARCHAR" },
    { name: "end_date", type: "VARCHAR" },
  ],
  rows: { RepDeparted: (data, state) => (state.reps[data.repId] ? [[data.repId, data.endDate]] : []) },
};

/** Forecast categories set on deals (the category at a time is the latest visible one; none: not in a category). */
export const dealCategories: EventFactTable = {
  table: "deal_categories",
  columns: [
    { name: "deal_id", type: "VARCHAR" },
    { name: "category", type: "VARCHAR" },
  ],
  rows: { DealForecastCategoryChanged: (data) => [[data.dealId, data.category]] },
};

/** The tables of quotas, forecasts, ramps, departures and forecast categories (amounts: `deal_amount_facts`). */
export const quotaFactTables: readonly EventFactTable[] = [quotas, forecasts, repRamps, repDepartures, dealCategories];
