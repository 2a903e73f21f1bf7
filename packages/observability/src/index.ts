export { createLogger, type Logger } from "./logger.ts";
export { type StoreObserver, tracedEventStore } from "./traced-store.ts";
export { startTracing, type TracingHandle, type TracingOptions } from "./tracing.ts";
