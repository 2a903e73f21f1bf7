export * from "./canonical-json.ts";
export * from "./catalog.ts";
export * from "./envelope.ts";
export * from "./json-schema.ts";
export * from "./upcasting.ts";
export * from "./uuid.ts";
