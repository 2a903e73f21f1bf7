export * from "./app.ts";
export * from "./auth.ts";
export * from "./context.ts";
export * from "./kpi-service.ts";
export * from "./schema/index.ts";
export * from "./viewer.ts";
