export * from "./app.ts";
export * from "./auth.ts";
export * from "./schema/index.ts";
