export * from "./append-plan.ts";
export * from "./batching.ts";
export * from "./errors.ts";
export * from "./hashing.ts";
export * from "./memory.ts";
export * from "./port.ts";
export * from "./subscription.ts";
