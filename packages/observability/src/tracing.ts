import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";

/** A started tracing pipeline; flush and stop it before the process exits. */
export interface TracingHandle {
  shutdown(): Promise<void>;
}

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /** `service.name` on every span (revgraph-api, revgraph-projector). */
  readonly serviceName: string;
  /** Export here, span by span (tests use an in-memory exporter); default OTLP over HTTP when configured. */
  readonly exporter?: SpanExporter;
  /** Environment to read OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Registers an OpenTelemetry tracer provider with async-context propagation. With neither an exporter nor an OTLP
 * endpoint in the environment, tracing stays the API's no-op and this returns null: nothing is recorded or sent.
 */
export function startTracing(options: TracingOptions): TracingHandle | null {
  const env = options.env ?? process.env;
  const endpointConfigured = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (!options.exporter && !endpointConfigured) return null;
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : new BatchSpanProcessor({ exporter: new OTLPTraceExporter() });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
