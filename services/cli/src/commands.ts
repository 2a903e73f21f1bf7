import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { seedDemoData } from "@revgraph/api/demo";
import { applyEvent, dealAt, defaultConfig, emptyGraph, type GraphState, timeSlice } from "@revgraph/domain";
import {
  type AppendRequest,
  collectEvents,
  type EventStore,
  type LogDigest,
  TamperedEventError,
  verifyLog,
} from "@revgraph/event-store";
import type { NewEvent, RecordedEvent } from "@revgraph/events";
import { type DimensionFilter, dimensions, type KpiResult, kpiDefinitions, toOpenLineage, toProvJson } from "@revgraph/kpis";
import { InvalidArgumentError } from "commander";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { safeCsvCells } from "./csv-cell.ts";
import { printTable, progress } from "./output.ts";
import { openReadModel, type StoreOptions } from "./store.ts";

/** `--filter team=east,west --filter rep=rep-1` → a dimension filter, naming a bad dimension. */
export function parseFilters(values: readonly string[]): DimensionFilter {
  const filter: DimensionFilter = {};
  for (const value of values) {
    const [dimension, list] = value.split("=", 2);
    if (!dimension || list === undefined || !(dimensions as readonly string[]).includes(dimension)) {
      throw new InvalidArgumentError(
        `--filter ${JSON.stringify(value)}: use dimension=value[,value…] with a dimension among ${dimensions.join(", ")}`,
      );
    }
    filter[dimension as (typeof dimensions)[number]] = list.split(",").filter(Boolean);
  }
  return filter;
}

/** Rebuilds the graph from the whole log; reports events/s. */
export async function rebuild(store: EventStore, options: StoreOptions) {
  const head = await store.headPosition();
  const bar = progress("rebuilding", head, options.json);
  const started = performance.now();
  const { rebuildGraph } = await import("@revgraph/read-model");
  const state = await rebuildGraph(store, ({ position }) => bar.update(position));
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  return {
    events: state.position,
    deals: Object.keys(state.deals).length,
    seconds,
    eventsPerSecond: Math.round(state.position / Math.max(seconds, 1e-9)),
  };
}

/** The state at a point of the log (a position or a recorded-at date): counts by stage and status. */
export async function replay(store: EventStore, until: string) {
  const byPosition = /^\d+$/.test(until);
  if (!byPosition && Number.isNaN(Date.parse(until)))
    throw new InvalidArgumentError(`--until ${JSON.stringify(until)}: give a global position or an ISO date/time`);
  const cutoff = byPosition ? Number(until) : new Date(until).toISOString();
  const state = emptyGraph();
  for await (const event of store.readAll()) {
    if (byPosition ? event.globalPosition > (cutoff as number) : event.recordedAt > (cutoff as string)) break;
    applyEvent(state, event);
  }
  return summarise(state);
}

function summarise(state: GraphState) {
  const slice = timeSlice(state);
  const stages: Record<string, number> = {};
  let open = 0;
  let pipeline = 0;
  for (const facts of Object.values(state.deals)) {
    const deal = dealAt(state, facts, slice, defaultConfig);
    if (!deal) continue;
    stages[deal.stage] = (stages[deal.stage] ?? 0) + 1;
    if (deal.status === "open") {
      open++;
      pipeline += deal.amount;
    }
  }
  return {
    position: state.position,
    deals: Object.keys(state.deals).length,
    openDeals: open,
    openPipeline: pipeline,
    dealsByStage: stages,
    reps: Object.keys(state.reps).length,
    accounts: Object.keys(state.accounts).length,
  };
}

const savedDigestSchema = z.strictObject({
  position: z.number().int().nonnegative(),
  logHash: z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest"),
  recordedAt: z.string().nullable(),
});

/** A digest saved from `revgraph --json digest`: a file holding it, or the JSON itself. Names what is wrong with it. */
export function parseSavedDigest(value: string): LogDigest {
  let text = value;
  if (!value.trimStart().startsWith("{")) {
    if (!existsSync(value)) throw new InvalidArgumentError(`--digest ${value}: no such file (give a file or the JSON itself)`);
    text = readFileSync(value, "utf8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`--digest ${value}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = savedDigestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(
      `--digest ${value}: ${issue?.path.join(".") || "(digest)"}: ${issue?.message ?? "invalid"} (expected the output of revgraph --json digest)`,
    );
  }
  return parsed.data;
}

/**
 * Checks the whole log as stored (positions, columns, JSON, content hashes, stream chains, the log chain, checkpoints,
 * the head record and, when given, a saved digest) and lists every finding. There is no stored read model to compare:
 * every process catches its read model up from the log.
 */
export async function verify(store: EventStore, options: StoreOptions, saved?: LogDigest) {
  const bar = progress("verifying", await store.headPosition(), options.json);
  let head: LogDigest | { error: string; position: number | null };
  try {
    head = await store.digest();
  } catch (error) {
    if (!(error instanceof TamperedEventError)) throw error;
    head = { error: error.reason, position: error.position };
  }
  const log = await verifyLog(store.readRows(), { head, ...(saved ? { saved } : {}), onProgress: (rows) => bar.update(rows) });
  bar.stop();
  return {
    ok: log.ok,
    eventsChecked: log.eventsChecked,
    streamsChecked: log.streamsChecked,
    digest: log.computed,
    savedDigest: saved ?? null,
    findings: log.findings,
  };
}

/** Streams events, KPIs or deals to stdout or a file as NDJSON, CSV (text cells neutralised against formula injection) or JSON. */
export async function exportData(
  store: EventStore,
  what: "events" | "kpis" | "deals",
  format: "ndjson" | "csv" | "json",
  options: { period?: string; timeZone: string; out?: string; now: Date; storeOptions: StoreOptions },
) {
  const output = options.out ? createWriteStream(options.out) : process.stdout;
  const write = (text: string) =>
    new Promise<void>((resolve, reject) =>
      output.write(text, (error) => (error ? reject(error) : resolve())) ? undefined : undefined,
    );
  let rows: Record<string, unknown>[] = [];
  let count = 0;
  if (what === "events") {
    if (format === "csv") await write(stringify([], { header: true, columns: eventColumns, ...safeCsvCells }));
    if (format === "json") await write("[");
    for await (const event of store.readAll()) {
      if (format === "ndjson") await write(`${JSON.stringify(event)}\n`);
      else if (format === "json") await write(`${count ? "," : ""}\n${JSON.stringify(event)}`);
      else await write(stringify([eventRow(event)], { columns: eventColumns, ...safeCsvCells }));
      count++;
    }
    if (format === "json") await write("\n]\n");
  } else {
    const kpiQuery = { kpis: activeKpis(), period: options.period ?? "", timeZone: options.timeZone };
    const model = await openReadModel(store, options.storeOptions, what === "kpis" ? kpiQuery : undefined);
    if (what === "deals") {
      rows = [...model.currentDeals().values()].map((deal) => ({
        dealId: deal.id,
        name: deal.name,
        accountId: deal.accountId,
        ownerRepId: deal.ownerRepId,
        stage: deal.stage,
        status: deal.status,
        amount: deal.amount,
        currency: deal.currency,
        expectedCloseDate: deal.expectedCloseDate,
        createdAt: deal.createdAt,
        closedAt: deal.closed?.at ?? null,
        pushes: deal.pushes,
        engagedContacts: deal.engagedContactIds.length,
      }));
    } else {
      if (!options.period) throw new InvalidArgumentError("export kpis needs --period");
      rows = (await model.computeKpis(kpiQuery, options.now)).map(kpiRow);
    }
    await model.close();
    count = rows.length;
    if (format === "ndjson") await write(rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
    else if (format === "json") await write(`${JSON.stringify(rows, null, 2)}\n`);
    else await write(stringify(rows, { header: true, ...safeCsvCells }));
  }
  if (options.out) await new Promise((resolve) => (output as ReturnType<typeof createWriteStream>).end(resolve));
  return { what, format, rows: count, out: options.out ?? null };
}

const eventColumns = [
  "globalPosition",
  "id",
  "streamId",
  "streamRevision",
  "type",
  "occurredAt",
  "recordedAt",
  "actor",
  "hash",
  "prevHash",
  "data",
];

function eventRow(event: RecordedEvent) {
  return { ...event, data: JSON.stringify(event.data) };
}

/** KPI ids with an active definition. */
function activeKpis(): string[] {
  return [...new Set(kpiDefinitions.filter((definition) => definition.status === "active").map((definition) => definition.id))];
}

/** A KPI result as a flat table row. */
export function kpiRow(result: KpiResult) {
  return {
    kpi: result.definition.id,
    version: result.definition.version,
    group: result.group ? `${result.group.dimension}=${result.group.key}` : "all",
    period: result.period.label,
    value: result.value,
    unit: result.definition.unit,
    band: result.band?.id ?? null,
    nullReason: result.nullReason,
    events: result.derivation.eventIds.length,
  };
}

/** Explains a KPI: value, formula with inputs, and a page of the contributing events (or PROV / OpenLineage). */
export async function explain(
  store: EventStore,
  kpi: string,
  options: {
    period: string;
    timeZone: string;
    filter: DimensionFilter;
    asOf?: string;
    knownAt?: string;
    format: "text" | "json" | "prov" | "openlineage";
    page: number;
    pageSize: number;
    now: Date;
    storeOptions: StoreOptions;
  },
) {
  const query = {
    kpis: [kpi],
    period: options.period,
    timeZone: options.timeZone,
    filter: options.filter,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    ...(options.knownAt ? { knownAt: options.knownAt } : {}),
  };
  const model = await openReadModel(store, options.storeOptions, query);
  // PROV and OpenLineage documents name every contributing event; a page of the text needs only its own and counts.
  const document = options.format === "prov" || options.format === "openlineage";
  const start = (options.page - 1) * options.pageSize;
  const answer = await model.computeKpis(query, options.now, { eventIds: document }).then(async ([result]) => {
    if (!result || document) return { result, eventCount: 0, inputCounts: [], ids: [] };
    const { contributing, derivation } = result;
    const [eventCount, inputCounts, ids] = await Promise.all([
      contributing.count(),
      Promise.all(derivation.inputs.map((_, index) => contributing.inputCount(index))),
      contributing.slice(start, start + options.pageSize),
    ]);
    return { result, eventCount, inputCounts, ids };
  });
  await model.close();
  const { result, eventCount, inputCounts, ids } = answer;
  if (!result) throw new Error(`no result for ${kpi}`);
  const computedAt = options.now.toISOString();
  if (options.format === "prov") return { kind: "document" as const, document: toProvJson(result, computedAt) };
  if (options.format === "openlineage")
    return { kind: "document" as const, document: toOpenLineage(result, computedAt, `cli-${model.position}`) };
  const { definition, group, value, nullReason, band, period, asOf, knownAt, derivation } = result;
  const events = await store.readEventsById(ids);
  return {
    kind: "explanation" as const,
    result: {
      definition,
      group,
      value,
      nullReason,
      band,
      period,
      asOf,
      knownAt,
      derivation: {
        formula: derivation.formula,
        inputs: derivation.inputs.map((input, index) => ({ ...input, eventCount: inputCounts[index] ?? 0 })),
        warnings: derivation.warnings,
        eventCount,
      },
    },
    events,
    page: options.page,
    pages: Math.max(1, Math.ceil(eventCount / options.pageSize)),
  };
}

/** Prints an explanation as text. */
export function printExplanation(explanation: Extract<Awaited<ReturnType<typeof explain>>, { kind: "explanation" }>) {
  const { result, events } = explanation;
  console.log(
    `${result.definition.title} (${result.definition.id} v${result.definition.version}), ${result.period.label} ${result.period.timeZone}`,
  );
  console.log(`  value:   ${result.value ?? `null — ${result.nullReason}`}${result.band ? `  [${result.band.label}]` : ""}`);
  console.log(`  formula: ${result.derivation.formula}`);
  for (const input of result.derivation.inputs)
    console.log(`    ${input.role.padEnd(11)} ${input.name.padEnd(26)} = ${input.value ?? "null"}  (${input.eventCount} events)`);
  for (const warning of result.derivation.warnings) console.log(`  warning: ${warning}`);
  console.log(`  contributing events: ${result.derivation.eventCount} (page ${explanation.page} of ${explanation.pages})`);
  printTable(
    events.map((event) => ({
      position: event.globalPosition,
      type: event.type,
      stream: event.streamId,
      occurredAt: event.occurredAt,
      recordedAt: event.recordedAt,
      id: event.id,
    })),
  );
}

/** Writes generated demo history into the store. */
export async function seed(store: EventStore, deals: number, seedValue: number, now: Date, json: boolean) {
  const estimate = deals * 22;
  const bar = progress("seeding", estimate, json);
  const started = performance.now();
  const written = await seedDemoData(store, {
    deals,
    seed: seedValue,
    now,
    onProgress: (events) => bar.update(Math.min(events, estimate)),
  });
  bar.stop();
  return { deals, seed: seedValue, events: written, seconds: (performance.now() - started) / 1000 };
}

/** The event as an append request carries it again: same id, type, data, times, actor and ids. */
function asNewEvent(event: RecordedEvent): NewEvent {
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    actor: event.actor,
    ...(event.source ? { source: event.source } : {}),
    ...(event.causationId ? { causationId: event.causationId } : {}),
    ...(event.correlationId ? { correlationId: event.correlationId } : {}),
  };
}

/** The last event of a store that is not one of its own checkpoint digests, if any. */
async function lastCopiedEvent(store: EventStore): Promise<RecordedEvent | undefined> {
  const head = await store.headPosition();
  const tail = await collectEvents(store.readAll({ after: Math.max(0, head - 2) }));
  return tail.filter((event) => event.type !== "LogCheckpointed").at(-1);
}

/**
 * Copies the whole log into another store in global order, in atomic batches, each event at its original stream
 * revision (so ids, streams, revisions and the order come out the same). The target seals its own record times, hash
 * chains and log chain, and writes its own checkpoint digests: the source's checkpoints are left out, as they vouch
 * for the source's chain. A copy that stopped half-way resumes after the last event the target holds; a target
 * holding anything else is refused.
 */
export async function copyLog(source: EventStore, target: EventStore, json: boolean, batchEvents = 5_000) {
  const head = await source.headPosition();
  const started = performance.now();
  let after = 0;
  const last = await lastCopiedEvent(target);
  if (last) {
    const [sourceEvent] = await source.readEventsById([last.id]);
    if (!sourceEvent || sourceEvent.streamId !== last.streamId || sourceEvent.streamRevision !== last.streamRevision) {
      throw new InvalidArgumentError(
        `the target store already holds ${await target.headPosition()} events that are not a prefix of this log: copy into an empty store`,
      );
    }
    after = sourceEvent.globalPosition;
  }
  const resumedFrom = after;
  const bar = progress("copying", head, json);
  let requests: AppendRequest[] = [];
  let pending = 0;
  let copied = 0;
  const flush = async () => {
    if (pending === 0) return;
    await target.appendMany(requests);
    bar.update(after);
    copied += pending;
    requests = [];
    pending = 0;
  };
  for await (const event of source.readAll({ after })) {
    after = event.globalPosition;
    if (event.type === "LogCheckpointed") continue;
    const last = requests.at(-1);
    if (last && last.streamId === event.streamId) (last.events as NewEvent[]).push(asNewEvent(event));
    else {
      const expectedRevision = event.streamRevision === 0 ? "no_stream" : event.streamRevision - 1;
      requests.push({ streamId: event.streamId, events: [asNewEvent(event)], expectedRevision });
    }
    if (++pending >= batchEvents) await flush();
  }
  await flush();
  bar.stop();
  return {
    copied,
    resumedFrom,
    head: await target.headPosition(),
    seconds: (performance.now() - started) / 1000,
  };
}
