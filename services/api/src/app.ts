import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { useResponseCache } from "@graphql-yoga/plugin-response-cache";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { RevenueConfig } from "@revgraph/domain";
import type { EventStore } from "@revgraph/event-store";
import { createLogger, type Logger, tracedEventStore } from "@revgraph/observability";
import type { RevenueReadModel } from "@revgraph/read-model";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { Registry } from "prom-client";
import { type Context, createLoaders } from "./context.ts";
import { exampleQueries } from "./examples.ts";
import { KpiService } from "./kpi-service.ts";
import { apiMetrics } from "./metrics.ts";
import { answerCachePlugin } from "./plugins/answer-cache.ts";
import { authPlugin } from "./plugins/auth.ts";
import { compressionPlugin } from "./plugins/compression.ts";
import { healthPlugin } from "./plugins/health.ts";
import { observabilityPlugin, requestInfo } from "./plugins/observability.ts";
import { type WebAppOptions, webAppPlugin } from "./plugins/web-app.ts";
import { schema } from "./schema/index.ts";

/** What the API app needs: a store, the read model over it, the configuration and the JWT secret. */
export interface AppOptions {
  readonly store: EventStore;
  readonly readModel: RevenueReadModel;
  readonly config: RevenueConfig;
  readonly jwtSecret: string;
  /** Mask unexpected errors' messages (default: true unless NODE_ENV is "development"). */
  readonly maskErrors?: boolean;
  /** The clock (tests pin it); default the system clock. */
  readonly clock?: () => Date;
  /** Cache query responses per token, graph position and minute (default true); 0 events changed → same answer. */
  readonly responseCache?: boolean;
  /** Query depth / cost / alias limits. */
  readonly limits?: { readonly maxDepth?: number; readonly maxCost?: number; readonly maxAliases?: number };
  /** Structured request logs (default: none). */
  readonly logger?: Logger;
  /** Prometheus registry served at /metrics (default: a fresh one per app). */
  readonly metricsRegistry?: Registry;
  /** Serve the dashboard's build at `/` (and demo tokens at /demo/tokens when given). */
  readonly web?: WebAppOptions;
}

/** The revgraph GraphQL app (graphql-yoga over the Pothos schema), separate from any listener. */
export function createApp(options: AppOptions): YogaServerInstance<Record<string, unknown>, Context> {
  const kpis = new KpiService(options.readModel);
  const clock = options.clock ?? (() => new Date());
  const registry = options.metricsRegistry ?? new Registry();
  const headPosition = () => options.store.headPosition();
  // Commands go through the traced store: their appends become spans of the request and count in the metrics.
  const store = tracedEventStore(options.store, apiMetrics(registry, options.readModel, headPosition));
  const caching = options.responseCache ?? true;
  const demoToken = options.web?.demoTokens?.exec;
  // GraphiQL's page inlines its scripts and styles from our own dependency (no CDN), so it works without internet;
  // it is the same for every request, so it is rendered once.
  let graphiqlPage: string | undefined;
  // A query's answer depends only on the caller, the events applied so far and the minute KPIs are evaluated at,
  // so those three make the cache session: any new event or a new minute gives a fresh answer.
  const session = (request: Request) =>
    `${request.headers.get("authorization") ?? "anonymous"}|${options.readModel.position}|${Math.floor(clock().getTime() / 60_000)}`;
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // Yoga's built-in check answers /health with an empty body before any plugin runs; healthPlugin answers it with
    // JSON (status and read-model position), so Yoga's own moves out of the way.
    healthCheckEndpoint: "/.yoga-health",
    maskedErrors: options.maskErrors ?? process.env.NODE_ENV !== "development",
    graphiql: {
      title: "revgraph",
      defaultQuery: exampleQueries(clock(), demoToken !== undefined),
      headers: JSON.stringify({ Authorization: `Bearer ${demoToken ?? "<paste a token>"}` }),
    },
    renderGraphiQL: (graphiqlOptions) => {
      graphiqlPage ??= renderGraphiQL(graphiqlOptions);
      return graphiqlPage;
    },
    context: ({ request }) => {
      const lookups = { batches: 0 };
      return {
        viewer: null,
        store,
        correlationId: requestInfo(request)?.correlationId,
        readModel: options.readModel,
        config: options.config,
        kpis,
        now: clock(),
        loaders: createLoaders(options.readModel, lookups),
        lookups,
      } satisfies Context;
    },
    plugins: [
      observabilityPlugin(options.logger ?? createLogger("revgraph-api", undefined, "silent")),
      usePrometheus({
        registry,
        endpoint: "/metrics",
        metrics: {
          graphql_yoga_http_duration: true,
          graphql_envelop_request_duration: true,
          graphql_envelop_phase_execute: true,
          graphql_envelop_error_result: true,
        },
      }),
      compressionPlugin(),
      ...(options.web ? [webAppPlugin(options.web)] : []),
      healthPlugin(options.readModel, headPosition),
      ...(caching ? [answerCachePlugin({ session })] : []),
      useResponseCache({ enabled: () => caching, session, ttl: 60_000 }),
      authPlugin(options.jwtSecret, options.readModel),
      EnvelopArmorPlugin({
        maxDepth: { n: options.limits?.maxDepth ?? 12 },
        costLimit: { maxCost: options.limits?.maxCost ?? 20_000 },
        maxAliases: { n: options.limits?.maxAliases ?? 30 },
        maxTokens: { n: 5_000 },
        blockFieldSuggestion: { enabled: false },
      }),
    ],
  });
}
