export * from "./definitions.ts";
export * from "./engine.ts";
export * from "./expression.ts";
export * from "./lineage.ts";
export * from "./measures.ts";
export * from "./scope.ts";
export * from "./stats.ts";
