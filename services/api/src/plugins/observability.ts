import {
  context as otelContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Context as TraceContext,
  trace,
} from "@opentelemetry/api";
import type { Logger } from "@revgraph/observability";
import type { Plugin } from "graphql-yoga";

/** What the API knows about a request in flight: its ids, its span, when it began. */
export interface RequestInfo {
  readonly requestId: string;
  /** From `x-correlation-id` (a caller's workflow id), else the request id; stamped on the events it writes. */
  readonly correlationId: string;
  readonly span: Span;
  readonly traceContext: TraceContext;
  readonly started: number;
  readonly path: string;
  operationName?: string | undefined;
}

const inFlight = new WeakMap<Request, RequestInfo>();

/** The ids and span of a request (undefined for a request the plugin has not seen). */
export function requestInfo(request: Request | undefined): RequestInfo | undefined {
  return request ? inFlight.get(request) : undefined;
}

const quietPaths = new Set(["/health", "/ready", "/metrics"]);

/** A caller's id is taken over only when it is 1 to 128 printable ASCII characters; otherwise a fresh one is used. */
const acceptableId = /^[\x21-\x7e]{1,128}$/;

/** The header's value when it is an acceptable id, else undefined. */
export function callerId(value: string | null): string | undefined {
  return value !== null && acceptableId.test(value) ? value : undefined;
}

/**
 * Request ids (`x-request-id`, generated when absent), correlation ids (`x-correlation-id`), a server span per
 * request whose context wraps GraphQL execution — so event-store spans and log lines inside it join the same trace —
 * and one structured log line per request. Both ids are echoed on the response; a caller's id longer than 128 characters
 * or with anything but printable ASCII is replaced by a generated one.
 */
export function observabilityPlugin(logger: Logger): Plugin {
  const tracer = trace.getTracer("revgraph-api");
  const within = (contextValue: unknown) => requestInfo((contextValue as { request?: Request }).request)?.traceContext;
  return {
    onRequest({ request, url }) {
      const requestId = callerId(request.headers.get("x-request-id")) ?? crypto.randomUUID();
      const correlationId = callerId(request.headers.get("x-correlation-id")) ?? requestId;
      const span = tracer.startSpan(`${request.method} ${url.pathname}`, {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": request.method,
          "url.path": url.pathname,
          "revgraph.request_id": requestId,
          "revgraph.correlation_id": correlationId,
        },
      });
      inFlight.set(request, {
        requestId,
        correlationId,
        span,
        traceContext: trace.setSpan(otelContext.active(), span),
        started: performance.now(),
        path: url.pathname,
      });
    },
    onParams({ params, request }) {
      const info = requestInfo(request);
      if (!info) return;
      info.operationName = params.operationName ?? undefined;
      info.span.updateName(`graphql ${info.operationName ?? "anonymous"}`);
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const traceContext = within(args.contextValue);
      if (traceContext) setExecuteFn((executeArgs) => otelContext.with(traceContext, () => executeFn(executeArgs)));
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const traceContext = within(args.contextValue);
      if (traceContext) setSubscribeFn((subscribeArgs) => otelContext.with(traceContext, () => subscribeFn(subscribeArgs)));
    },
    onResponse({ request, response }) {
      const info = requestInfo(request);
      if (!info) return;
      const { path } = info;
      try {
        response.headers.set("x-request-id", info.requestId);
        response.headers.set("x-correlation-id", info.correlationId);
      } catch {
        // Some streamed responses have immutable headers; the ids are still in the log line and the span.
      }
      info.span.setAttribute("http.response.status_code", response.status);
      if (response.status >= 500) info.span.setStatus({ code: SpanStatusCode.ERROR });
      info.span.end();
      const line = {
        requestId: info.requestId,
        correlationId: info.correlationId,
        traceId: info.span.spanContext().traceId,
        method: request.method,
        path,
        operation: info.operationName,
        status: response.status,
        durationMs: Math.round((performance.now() - info.started) * 10) / 10,
      };
      if (quietPaths.has(path)) logger.debug(line, "request");
      else logger.info(line, "request");
    },
  };
}
