import type { CommandPipeline } from "@revgraph/app";
import type { RevenueConfig } from "@revgraph/domain";
import type { EventStore } from "@revgraph/event-store";
import type { RevenueReadModel, ServedDeal } from "@revgraph/read-model";
import DataLoader from "dataloader";
import type { KpiService } from "./kpi-service.ts";
import type { Viewer } from "./viewer.ts";

/** Counts read-model lookups, so tests can show there is no N+1. */
export interface LookupCounter {
  batches: number;
}

/** Per-request context: who is asking, the graph, the store, the clock, and batching loaders. */
export interface Context {
  readonly viewer: Viewer | null;
  readonly store: EventStore;
  /** Runs every command (the mutations only map GraphQL to it). */
  readonly commands: CommandPipeline;
  /** The request's correlation id (x-correlation-id, else its request id): stamped on the events its commands write. */
  readonly correlationId: string | undefined;
  readonly readModel: RevenueReadModel;
  readonly config: RevenueConfig;
  readonly kpis: KpiService;
  /** The request's clock: KPIs and commands use this one instant. */
  readonly now: Date;
  readonly loaders: ReturnType<typeof createLoaders>;
  readonly lookups: LookupCounter;
}

/**
 * Batching loaders over the read model: one lookup batch per entity kind per tick. Deals as things stand come from
 * their streams (one batch reads them together), the rest from the graph.
 */
export function createLoaders(readModel: RevenueReadModel, lookups: LookupCounter) {
  const batch = <T>(load: (id: string) => T | undefined) =>
    new DataLoader<string, T | null>(async (ids) => {
      lookups.batches++;
      return ids.map((id) => load(id) ?? null);
    });
  return {
    deal: new DataLoader<string, ServedDeal | null>(async (ids) => {
      lookups.batches++;
      return readModel.deals(ids);
    }),
    account: batch((id) => readModel.state.accounts[id]),
    rep: batch((id) => readModel.state.reps[id]),
    team: batch((id) => readModel.state.teams[id]),
    contact: batch((id) => readModel.state.contacts[id]),
  };
}
