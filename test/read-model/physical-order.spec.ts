import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { defaultConfig, projectGraph } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import { type KpiQuery, kpiDefinitions } from "@revgraph/kpis";
import {
  computeKpisSql,
  type DealRiskQuery,
  dealRisksSql,
  type FactStore,
  type FactsPosition,
  factTableNames,
  funnelSql,
  isCompiled,
  restatementsSql,
  type ServedKpiResult,
} from "@revgraph/read-model";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  closeProjectedFacts,
  DAY,
  engagementExtra,
  extra,
  history,
  now,
  projectFacts,
  query,
  rosterExtra,
  rosterForecast,
  rosterWin,
  stageExtra,
} from "./generated-histories.ts";

/**
 * Answers are functions of the events and `now` alone: the same facts in another physical order (another insertion
 * order, read on more threads) answer every question identically — every double to the last bit, every list of events
 * and every result in the same order. The differential specs cannot see this: their tolerance hides a sum added in
 * another order, and a tie broken either way often agrees with the oracle.
 */

const compiled = kpiDefinitions.filter(isCompiled);
const compiledIds = [...new Set(compiled.map((definition) => definition.id))];
/** The compiled KPIs defined in more than one version, asked once more in their default version. */
const versioned = compiledIds.filter((id) => compiled.filter((definition) => definition.id === id).length > 1);
const recordTimes = ["2026-02-01", "2026-07-15T08:00:00Z", "2026-09-01", "2026-10-20", "2026-11-01", "2026-11-15"];

const directory = mkdtempSync(join(tmpdir(), "revgraph-physical-order-"));

/**
 * Every table of the projected facts (the fact tables, the record log, the stored position) copied into a new
 * database file in the order of a seeded hash of all its columns, opened in a new DuckDB instance on four threads.
 */
async function shuffledCopy(
  facts: FactStore,
  seed: number,
  run: number,
): Promise<{ connection: DuckDBConnection; close: () => void }> {
  const source = facts.reader;
  const path = join(directory, `shuffled-${run}.duckdb`);
  const tables = (
    await source.runAndReadAll(
      "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY table_name",
    )
  ).getRowObjectsJS();
  const names = tables.map((row) => String(row.table_name));
  expect(names).toEqual(expect.arrayContaining([...factTableNames, "read_model_position", "record_log"]));
  await source.run(`ATTACH '${path}' AS shuffled`);
  try {
    for (const table of names) {
      const columns = (
        await source.runAndReadAll(
          `SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = '${table}' ORDER BY column_index`,
        )
      ).getRowObjectsJS();
      const hashed = [...columns.map((column) => `"${String(column.column_name)}"`), String(seed)].join(", ");
      await source.run(`CREATE TABLE shuffled.${table} AS SELECT * FROM ${table} ORDER BY hash(${hashed})`);
    }
  } finally {
    await source.run("DETACH shuffled");
  }
  // Without insertion order kept, a result read without ORDER BY comes back in whatever order the threads produce it.
  const instance = await DuckDBInstance.create(path, { threads: "4", preserve_insertion_order: "false" });
  const connection = await instance.connect();
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
      rmSync(path, { force: true });
    },
  };
}

/**
 * The events with every amount (deals, quotas, forecasts) times `scale`: amounts are any finite number, and sums of
 * amounts beyond 10¹⁸ are added another way than smaller ones.
 */
function scaledAmounts(events: readonly RecordedEvent[], scale: number): RecordedEvent[] {
  return events.map((event) => {
    const data = event.data as Record<string, unknown>;
    return typeof data.amount === "number"
      ? ({ ...event, data: { ...data, amount: data.amount * scale } } as RecordedEvent)
      : event;
  });
}

/** A KPI answer as compared: everything but the functions that page its events (compared on their own). */
function answered({ contributing: _contributing, ...result }: ServedKpiResult) {
  return result;
}

/** Exactly equal: numbers as `Object.is` (no tolerance, -0 is not 0), arrays in the same order. */
function expectIdentical(actual: unknown, expected: unknown, what: string) {
  expect(actual, what).toStrictEqual(expected);
}

describe("answers over the same facts in another physical order", () => {
  afterAll(() => {
    closeProjectedFacts();
    rmSync(directory, { recursive: true, force: true });
  });

  it("are identical: KPIs of every compiled definition and version (with and without event ids, their pages), the funnel, deal risks and restatements", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 4, max: 14 }),
        fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.oneof(extra, engagementExtra()), { maxLength: 10 }),
        fc.array(fc.oneof(rosterExtra, rosterWin, rosterForecast), { maxLength: 10 }),
        fc.array(stageExtra, { minLength: 2, maxLength: 16 }),
        query,
        fc.integer(),
        fc.record({
          pages: fc.array(fc.record({ result: fc.nat(), start: fc.nat(20), size: fc.integer({ min: 1, max: 30 }) }), {
            maxLength: 3,
          }),
          riskNowDays: fc.integer({ min: -120, max: 90 }),
          unfilteredRisks: fc.boolean(),
          restated: fc.shuffledSubarray(compiledIds, { minLength: 1, maxLength: 3 }),
          knownAtA: fc.constantFrom(...recordTimes.slice(0, 4)),
          knownAtB: fc.constantFrom(...recordTimes),
          amountScale: fc.constantFrom(1, 1, 1e13),
        }),
        async (seed, deals, lags, extras, rosterExtras, stageExtras, asked, hashSeed, more) => {
          const events = scaledAmounts(history(seed, deals, lags, extras, rosterExtras, stageExtras), more.amountScale);
          const facts = await projectFacts(events, projectGraph(events));
          const position: FactsPosition = {
            position: facts.position,
            latestOccurredAt: facts.latestOccurredAt,
            latestVersionTime: facts.latestVersionTime,
          };
          const copy = await shuffledCopy(facts, hashSeed, run++);
          const shuffled = copy.connection;
          try {
            const both = async <T>(answer: (connection: DuckDBConnection) => Promise<T>) =>
              [await answer(facts.reader), await answer(shuffled)] as const;

            const kpiQuery: KpiQuery = { ...asked, kpis: compiledIds, versions: { win_rate: 2 } };
            for (const each of [kpiQuery, { ...kpiQuery, kpis: versioned, versions: {} }]) {
              const [listed, again] = await both((connection) => computeKpisSql(connection, position, defaultConfig, each, now));
              expectIdentical(again.map(answered), listed.map(answered), "KPIs with event ids");
            }
            const [valuesOnly, valuesAgain] = await both((connection) =>
              computeKpisSql(connection, position, defaultConfig, kpiQuery, now, { eventIds: false }),
            );
            expectIdentical(valuesAgain.map(answered), valuesOnly.map(answered), "KPIs without event ids");
            for (const page of valuesOnly.length ? more.pages : []) {
              const at = page.result % valuesOnly.length;
              const paged = async (result: ServedKpiResult | undefined) => [
                await result?.contributing.count(),
                await result?.contributing.slice(page.start, page.start + page.size),
              ];
              expectIdentical(await paged(valuesAgain[at]), await paged(valuesOnly[at]), "a page of contributing events");
            }

            const { knownAt: _knownAt, ...unknown } = asked;
            const [funnel, funnelAgain] = await both((connection) => funnelSql(connection, position, defaultConfig, asked, now));
            expectIdentical(funnelAgain, funnel, "funnel");

            const riskQuery: DealRiskQuery = {
              period: "trailing-90d",
              ...(asked.timeZone ? { timeZone: asked.timeZone } : {}),
              filter: more.unfilteredRisks ? {} : (asked.filter ?? {}),
              ...(asked.asOf ? { asOf: asked.asOf } : {}),
              ...(asked.knownAt ? { knownAt: asked.knownAt } : {}),
            };
            const riskAt = new Date(now.getTime() + more.riskNowDays * DAY);
            const [risks, risksAgain] = await both((connection) =>
              dealRisksSql(connection, position, defaultConfig, riskQuery, riskAt),
            );
            expectIdentical(risksAgain, risks, "deal risks");

            const restatedQuery = { ...unknown, kpis: more.restated };
            const [restated, restatedAgain] = await both(async (connection) =>
              (await restatementsSql(connection, position, defaultConfig, restatedQuery, more.knownAtA, more.knownAtB, now)).map(
                ({ before, after, ...restatement }) => ({
                  ...restatement,
                  before: answered(before),
                  after: answered(after),
                }),
              ),
            );
            expectIdentical(restatedAgain, restated, "restatements");
          } finally {
            copy.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 600_000);
});
