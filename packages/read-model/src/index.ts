export * from "./read-model.ts";
