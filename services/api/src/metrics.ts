import type { StoreObserver } from "@revgraph/observability";
import type { RevenueReadModel } from "@revgraph/read-model";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** revgraph's own API metrics beside the GraphQL ones: appends and how far the read model is behind the store. */
export function apiMetrics(registry: Registry, readModel: RevenueReadModel, headPosition: () => Promise<number>): StoreObserver {
  const appended = new Counter({
    name: "revgraph_eventstore_appended_events_total",
    help: "Events appended through this API (idempotent replays not counted)",
    registers: [registry],
  });
  const appendSeconds = new Histogram({
    name: "revgraph_eventstore_append_seconds",
    help: "Time of one append call, validation and hashing included",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  new Gauge({
    name: "revgraph_read_model_position",
    help: "Global position of the last event this instance's read model applied",
    registers: [registry],
    collect() {
      this.set(readModel.position);
    },
  });
  new Gauge({
    name: "revgraph_read_model_lag_events",
    help: "Events in the store this instance's read model has not applied yet",
    registers: [registry],
    async collect() {
      this.set(Math.max(0, (await headPosition()) - readModel.position));
    },
  });
  return {
    onAppend(events, seconds, idempotentReplay) {
      if (!idempotentReplay) appended.inc(events);
      appendSeconds.observe(seconds);
    },
  };
}
