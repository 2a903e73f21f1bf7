export * from "./bounds.ts";
export * from "./command-handler.ts";
export * from "./commands.ts";
export * from "./errors.ts";
export * from "./text.ts";
export * from "./time.ts";
