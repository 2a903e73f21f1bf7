import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { defaultConfig } from "@revgraph/domain";
import type { EventStore } from "@revgraph/event-store";
import type { NewEvent } from "@revgraph/events";
import { type GeneratedBatch, generateHistory } from "@revgraph/generator";
import { RevenueReadModel } from "@revgraph/read-model";

/** The reference "now" every benchmark generates history against. */
export const BENCH_NOW = new Date("2026-11-15T00:00:00Z");

/** The value at fraction `p` (0–1) of some timings, by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** Reads `--name value` from the command line, with a default. */
export function option(name: string, fallback: number): number {
  const text = textOption(name);
  return text === undefined ? fallback : Number(text);
}

/** Reads `--name value` from the command line as text (undefined without it). */
export function textOption(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

/** Generated stream batches adding up to at least `targetEvents` events (deterministic, seed 42). */
export function generatedBatches(targetEvents: number): { batches: GeneratedBatch[]; events: number } {
  const deals = Math.ceil(targetEvents / 18);
  const batches: GeneratedBatch[] = [];
  let events = 0;
  for (const batch of generateHistory({ deals, seed: 42, now: BENCH_NOW })) {
    if (events >= targetEvents) break;
    const take = batch.events.slice(0, targetEvents - events);
    batches.push({ streamId: batch.streamId, events: take, recordedAt: batch.recordedAt.slice(0, take.length) });
    events += take.length;
  }
  return { batches, events };
}

/** One measured step. */
export interface Measurement {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Runs `work`, returning its wall time and rate. */
export async function measure(name: string, events: number, work: () => Promise<unknown> | unknown): Promise<Measurement> {
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const result = { name, events, seconds, perSecond: events / seconds };
  console.log(
    `  ${name.padEnd(46)} ${String(events).padStart(9)} events ${seconds.toFixed(2).padStart(7)} s ${Math.round(result.perSecond).toLocaleString("en-US").padStart(11)} events/s`,
  );
  return result;
}

/** Prints a ratio against its target and returns whether it was met. */
export function ratio(label: string, value: number, target: number, higherIsBetter = true): boolean {
  const met = higherIsBetter ? value >= target : value <= target;
  console.log(
    `  ${label.padEnd(58)} ${value.toFixed(2).padStart(6)}×  (target ${higherIsBetter ? "≥" : "≤"} ${target}×) ${met ? "met" : "NOT met"}`,
  );
  return met;
}

/** Prints a latency (or another figure in `unit`) against its ceiling and returns whether it stayed under. */
export function ceiling(label: string, value: number, limit: number, unit = "ms"): boolean {
  const met = value <= limit;
  console.log(
    `  ${label.padEnd(58)} ${value.toFixed(1).padStart(7)} ${unit} (target ≤ ${limit} ${unit}) ${met ? "met" : "NOT met"}`,
  );
  return met;
}

/** Writes a benchmark's figures as JSON under test/bench/out/. */
export function saveResults(name: string, results: unknown): void {
  const dir = join(import.meta.dirname, "out");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

/** The plain JSON a raw baseline stores for an event. */
export function rawRow(streamId: string, event: NewEvent): string {
  return JSON.stringify({ ...event, streamId });
}

/** The baseline for reading a log: every row of an embedded store's file read with node:sqlite and JSON.parse'd. */
export async function rawSqliteRead(path: string, events: number): Promise<Measurement> {
  const raw = new DatabaseSync(path, { readOnly: true });
  try {
    return await measure("raw node:sqlite read + JSON.parse", events, () => {
      let count = 0;
      for (const row of raw.prepare("SELECT envelope FROM events ORDER BY position").iterate())
        if (JSON.parse(row.envelope as string)) count++;
      if (count !== events) throw new Error(`raw read saw ${count}`);
    });
  } finally {
    raw.close();
  }
}

/** The stage KPIs (stays, close-date histories, risks): `stage-kpis.ts` times them against the rest. */
export const stageKpis: readonly string[] = ["stage_conversion", "time_in_stage", "slippage_rate", "stale_deals"];

/** The engagement KPIs (interactions, contacts, leads): `engagement-kpis.ts` times them against the rest. */
export const engagementKpis: readonly string[] = [
  "multithreading",
  "average_interaction_value",
  "account_reach",
  "account_engagement",
  "lead_response_time",
  "meeting_to_opportunity_rate",
  "activity_to_opportunity_ratio",
];

/** The `--data` directory of a seeded store; without it, an error with the benchmark's usage. */
export function dataOption(usage: string): string {
  const data = textOption("data");
  if (!data) throw new Error(`usage: ${usage}`);
  return data;
}

/** Catches the fact file `factsPath` of `store` up to `head`, without the graph (as the CLI opens it), timed. */
export function catchUpFacts(store: EventStore, factsPath: string, head: number): Promise<Measurement> {
  return measure("fact tables caught up", head, async () => {
    const building = await RevenueReadModel.open({
      store,
      config: defaultConfig,
      follow: false,
      factsPath,
      graphWhenNeeded: true,
    });
    await building.close();
  });
}
