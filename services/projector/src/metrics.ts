import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { BatchReport, Lag } from "./projector.ts";

/** The projector's Prometheus metrics, in their own registry. */
export function projectorMetrics(version: number) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: "revgraph-projector", read_model_version: String(version) });
  const position = new Gauge({
    name: "revgraph_projector_position",
    help: "Global position of the last applied event",
    registers: [registry],
  });
  const lagEvents = new Gauge({
    name: "revgraph_projector_lag_events",
    help: "Events in the log not yet applied",
    registers: [registry],
  });
  const lagSeconds = new Gauge({
    name: "revgraph_projector_lag_seconds",
    help: "Age of the oldest event not yet applied (0 when caught up)",
    registers: [registry],
  });
  const events = new Counter({ name: "revgraph_projector_events_total", help: "Events applied", registers: [registry] });
  const batches = new Histogram({
    name: "revgraph_projector_batch_seconds",
    help: "Time to read, fold and commit one batch",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    recordBatch(report: BatchReport) {
      events.inc(report.events);
      position.set(report.position);
      batches.observe(report.durationMs / 1000);
    },
    recordLag(lag: Lag) {
      position.set(lag.position);
      lagEvents.set(lag.events);
      lagSeconds.set(lag.seconds);
    },
  };
}
