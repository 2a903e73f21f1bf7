import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { useResponseCache } from "@graphql-yoga/plugin-response-cache";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { CommandPipeline, type InputBounds, type ReferenceKind } from "@revgraph/app";
import type { GraphState, RevenueConfig } from "@revgraph/domain";
import type { EventStore } from "@revgraph/event-store";
import { createLogger, type Logger, tracedEventStore } from "@revgraph/observability";
import type { RevenueReadModel } from "@revgraph/read-model";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { Registry } from "prom-client";
import type { TokenPolicy } from "./auth.ts";
import { type Context, createLoaders } from "./context.ts";
import { exampleQueries } from "./examples.ts";
import { KpiService } from "./kpi-service.ts";
import { apiMetrics } from "./metrics.ts";
import { answerCachePlugin } from "./plugins/answer-cache.ts";
import { authPlugin } from "./plugins/auth.ts";
import { compressionPlugin } from "./plugins/compression.ts";
import { healthPlugin } from "./plugins/health.ts";
import { introspectionPlugin } from "./plugins/introspection.ts";
import { observabilityPlugin, requestInfo } from "./plugins/observability.ts";
import { defaultQueryLimits, type QueryLimits, queryLimitsPlugin } from "./plugins/query-limits.ts";
import { defaultRequestShapeLimits, type RequestShapeLimits, requestShapePlugin } from "./plugins/request-shape.ts";
import { type WebAppOptions, webAppPlugin } from "./plugins/web-app.ts";
import { schema } from "./schema/index.ts";

/** What the API app needs: a store, the read model over it, the configuration and the JWT secret. */
export interface AppOptions {
  readonly store: EventStore;
  readonly readModel: RevenueReadModel;
  readonly config: RevenueConfig;
  readonly jwtSecret: string;
  /** What bearer tokens must satisfy: maximum lifetime (default 24 h), issuer, audience. */
  readonly tokens?: TokenPolicy;
  /** Mask unexpected errors' messages (default: true unless NODE_ENV is "development"). */
  readonly maskErrors?: boolean;
  /** The clock (tests pin it); default the system clock. */
  readonly clock?: () => Date;
  /** Cache query responses per token, graph position and minute (default true); 0 events changed → same answer. */
  readonly responseCache?: boolean;
  /** Query depth / cost / alias limits (see {@link QueryLimits} for the defaults and how cost is estimated). */
  readonly limits?: Partial<QueryLimits>;
  /** Request body and variables limits (see {@link RequestShapeLimits}). */
  readonly requestLimits?: Partial<RequestShapeLimits>;
  /** Bounds on command input: amounts, years, id and name lengths (see {@link InputBounds} for the defaults). */
  readonly inputBounds?: Partial<InputBounds>;
  /** Who may introspect the schema: everyone (demo mode) or only callers with a valid token (default). */
  readonly introspection?: "everyone" | "signed-in";
  /** Structured request logs (default: none). */
  readonly logger?: Logger;
  /** Prometheus registry served at /metrics (default: a fresh one per app). */
  readonly metricsRegistry?: Registry;
  /** Serve the dashboard's build at `/` (and demo tokens at /demo/tokens when given). */
  readonly web?: WebAppOptions;
}

/** Whether an entity a command refers to exists in the graph. */
const referenced: Record<ReferenceKind, (state: GraphState, id: string) => boolean> = {
  account: (state, id) => Object.hasOwn(state.accounts, id),
  rep: (state, id) => Object.hasOwn(state.reps, id),
  team: (state, id) => Object.hasOwn(state.teams, id),
  contact: (state, id) => Object.hasOwn(state.contacts, id),
};

/** The revgraph GraphQL app (graphql-yoga over the Pothos schema), separate from any listener. */
export function createApp(options: AppOptions): YogaServerInstance<Record<string, unknown>, Context> {
  const kpis = new KpiService(options.readModel);
  const clock = options.clock ?? (() => new Date());
  const registry = options.metricsRegistry ?? new Registry();
  const headPosition = () => options.store.headPosition();
  // Commands go through the traced store: their appends become spans of the request and count in the metrics.
  const store = tracedEventStore(options.store, apiMetrics(registry, options.readModel, headPosition));
  const caching = options.responseCache ?? true;
  const state = () => options.readModel.state;
  const commands = new CommandPipeline({
    store,
    config: options.config,
    ...(options.inputBounds ? { bounds: options.inputBounds } : {}),
    references: (kind, id) => referenced[kind](state(), id),
    afterAppend: (position) => options.readModel.waitFor(position),
  });
  const demoToken = options.web?.demoTokens?.exec;
  // GraphiQL's page inlines its scripts and styles from our own dependency (no CDN), so it works without internet;
  // it is the same for every request, so it is rendered once.
  let graphiqlPage: string | undefined;
  // A query's answer depends only on the caller, the events applied so far and the minute KPIs are evaluated at,
  // so those three make the cache session: any new event or a new minute gives a fresh answer.
  const session = (request: Request) =>
    `${request.headers.get("authorization") ?? "anonymous"}|${options.readModel.position}|${Math.floor(clock().getTime() / 60_000)}`;
  const graphqlEndpoint = "/graphql";
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint,
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
        commands,
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
      requestShapePlugin(graphqlEndpoint, { ...defaultRequestShapeLimits, ...options.requestLimits }),
      useCSRFPrevention(),
      ...(caching ? [answerCachePlugin({ session })] : []),
      useResponseCache({ enabled: () => caching, session, ttl: 60_000 }),
      authPlugin(options.jwtSecret, options.readModel, options.tokens),
      introspectionPlugin(options.introspection ?? "signed-in"),
      // graphql-armor for the token and directive counts at parse time; depth, aliases and cost are queryLimitsPlugin's.
      EnvelopArmorPlugin({
        maxTokens: { n: 5_000 },
        maxDepth: { enabled: false },
        costLimit: { enabled: false },
        maxAliases: { enabled: false },
        blockFieldSuggestion: { enabled: false },
      }),
      queryLimitsPlugin({ ...defaultQueryLimits, ...options.limits }),
    ],
  });
}
