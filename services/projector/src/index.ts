export { type DealSummary, dealIdOf, evolveDealSummary } from "./deal-summary.ts";
export { openPostgresSink } from "./postgres-sink.ts";
export { type BatchReport, type Lag, Projector, type ProjectorOptions, switchVersion } from "./projector.ts";
export type { ReadModelSink } from "./sink.ts";
export { openSqliteSink } from "./sqlite-sink.ts";
