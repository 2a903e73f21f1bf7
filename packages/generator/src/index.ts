export * from "./archetypes.ts";
export * from "./history.ts";
export * from "./random.ts";
