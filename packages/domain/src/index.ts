export * from "./config.ts";
export * from "./deal-decider.ts";
export * from "./graph.ts";
export * from "./roster-decider.ts";
export * from "./snapshot.ts";
export * from "./streams.ts";
export * from "./testing.ts";
export * from "./time.ts";
