import { setTimeout as sleep } from "node:timers/promises";
import { type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { collectEvents, type EventStore } from "@revgraph/event-store";
import { type DealSummary, dealIdOf, evolveDealSummary } from "./deal-summary.ts";
import type { ReadModelSink } from "./sink.ts";

const tracer = trace.getTracer("revgraph-projector");

/** How far behind the log a projector is. */
export interface Lag {
  readonly position: number;
  readonly head: number;
  readonly events: number;
  /** Age of the oldest event not yet applied (record time), 0 when caught up. */
  readonly seconds: number;
}

/** What one applied batch did. */
export interface BatchReport {
  readonly events: number;
  readonly rows: number;
  readonly position: number;
  readonly durationMs: number;
}

/** Options of a {@link Projector}. */
export interface ProjectorOptions {
  readonly store: EventStore;
  readonly sink: ReadModelSink;
  /** The read-model version this projector builds (blue/green: a new version builds beside the serving one). */
  readonly version: number;
  /** Events per transaction (default 1,000). */
  readonly batchSize?: number;
  /** How long to wait before looking for new events when caught up (default 100 ms). */
  readonly idleWaitMs?: number;
  readonly onBatch?: (report: BatchReport) => void;
  /** A batch failed while following (it is retried with backoff); `failures` counts consecutive failures. */
  readonly onError?: (error: unknown, failures: number) => void;
  readonly clock?: () => Date;
}

/**
 * Keeps one read-model version current: reads the log after its checkpoint in batches, folds each batch into the
 * touched rows with the pure {@link evolveDealSummary}, and commits rows and checkpoint in one transaction — so a
 * crash at any point resumes from the last committed batch and applies nothing twice.
 */
export class Projector {
  #position = 0;
  #started = false;
  readonly #options: ProjectorOptions;

  constructor(options: ProjectorOptions) {
    this.#options = options;
  }

  /** Global position of the last event applied. */
  get position(): number {
    return this.#position;
  }

  /** Creates the version's tables if needed and loads its checkpoint. */
  async start(): Promise<void> {
    await this.#options.sink.prepare(this.#options.version);
    this.#position = await this.#options.sink.checkpoint(this.#options.version);
    this.#started = true;
  }

  /**
   * Applies the next batch after the checkpoint; returns how many events it applied (0 = caught up). Each batch is a
   * span tagged with the correlation ids of the events it applied, so a request's trace id or correlation id leads
   * to the batch that projected it.
   */
  async step(): Promise<number> {
    if (!this.#started) await this.start();
    return tracer.startActiveSpan("projector.batch", async (span) => {
      try {
        const applied = await this.#applyNextBatch(span);
        span.setAttribute("revgraph.events", applied);
        return applied;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  async #applyNextBatch(span: Span): Promise<number> {
    const { store, sink, version } = this.#options;
    const batchSize = this.#options.batchSize ?? 1_000;
    const began = performance.now();
    const events = await collectEvents(store.readAll({ after: this.#position, maxCount: batchSize, batchSize }));
    const last = events.at(-1);
    if (!last) return 0;
    const dealIds = [...new Set(events.map(dealIdOf).filter((id): id is string => id !== undefined))];
    const rows = await sink.loadRows(version, dealIds);
    const changed = new Map<string, DealSummary>();
    for (const event of events) {
      const dealId = dealIdOf(event);
      if (!dealId) continue;
      const next = evolveDealSummary(rows.get(dealId), event);
      if (!next) continue;
      rows.set(dealId, next);
      changed.set(dealId, next);
    }
    const correlationIds = [...new Set(events.map((event) => event.correlationId).filter((id): id is string => id !== null))];
    span.setAttributes({
      "revgraph.position.from": events[0]?.globalPosition ?? 0,
      "revgraph.position.to": last.globalPosition,
      "revgraph.rows": changed.size,
      "revgraph.correlation_ids": correlationIds.slice(0, 50),
    });
    await sink.commit(version, [...changed.values()], last.globalPosition);
    this.#position = last.globalPosition;
    this.#options.onBatch?.({
      events: events.length,
      rows: changed.size,
      position: this.#position,
      durationMs: performance.now() - began,
    });
    return events.length;
  }

  /** Applies batches until the log has nothing newer; returns the events applied. */
  async catchUp(): Promise<number> {
    let applied = 0;
    for (let events = await this.step(); events > 0; events = await this.step()) applied += events;
    return applied;
  }

  /** Catches up, then follows the log until `signal` aborts; failed batches are retried with backoff (see onError). */
  async follow(signal: AbortSignal): Promise<void> {
    const idle = this.#options.idleWaitMs ?? 100;
    let failures = 0;
    while (!signal.aborted) {
      let wait = 0;
      try {
        if ((await this.step()) === 0) wait = idle;
        failures = 0;
      } catch (error) {
        // A failed batch committed nothing (rows and checkpoint share its transaction): report it, back off, retry
        // from the same checkpoint — a database restart or a network blip must not stop the projector for good.
        failures++;
        this.#options.onError?.(error, failures);
        wait = Math.min(100 * 2 ** failures, 10_000);
      }
      // Aborting ends the wait early; the rejection it causes is the signal to stop, not an error.
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Events and seconds behind the log's head. */
  async lag(): Promise<Lag> {
    const head = await this.#options.store.headPosition();
    const events = Math.max(0, head - this.#position);
    let seconds = 0;
    if (events > 0) {
      for await (const oldest of this.#options.store.readAll({ after: this.#position, maxCount: 1 })) {
        const now = (this.#options.clock ?? (() => new Date()))();
        seconds = Math.max(0, (now.getTime() - Date.parse(oldest.recordedAt)) / 1000);
      }
    }
    return { position: this.#position, head, events, seconds };
  }
}

/**
 * Points the `deal_summary` view at `version` — refused while that version is behind the log (it would serve stale
 * rows), unless `force`.
 */
export async function switchVersion(store: EventStore, sink: ReadModelSink, version: number, force = false): Promise<void> {
  const [checkpoint, head] = await Promise.all([sink.checkpoint(version), store.headPosition()]);
  if (checkpoint < head && !force) {
    throw new Error(
      `read-model version ${version} is at position ${checkpoint}, the log at ${head}: let it catch up first (or --force)`,
    );
  }
  await sink.activate(version);
}
