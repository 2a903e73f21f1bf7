export * from "./deal-reads.ts";
export * from "./facts/fact-store.ts";
export * from "./kpi-sql/compile.ts";
export * from "./kpi-sql/contributing-events.ts";
export * from "./kpi-sql/funnel.ts";
export * from "./kpi-sql/restatements.ts";
export * from "./kpi-sql/risks.ts";
export * from "./read-model.ts";
