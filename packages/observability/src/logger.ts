import { trace } from "@opentelemetry/api";
import { type Logger, pino } from "pino";

/**
 * A JSON logger for a service (level from LOG_LEVEL, default info). Every line written inside a traced operation
 * carries that operation's `trace_id` and `span_id`, so logs and traces join up.
 */
export function createLogger(service: string, destination?: NodeJS.WritableStream, level?: string): Logger {
  return pino(
    {
      name: service,
      level: level ?? process.env.LOG_LEVEL ?? "info",
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
      },
    },
    destination ?? process.stdout,
  );
}

export type { Logger } from "pino";
