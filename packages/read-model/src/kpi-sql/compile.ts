import type { DuckDBConnection } from "@duckdb/node-api";
import { END_OF_TIME, type RevenueConfig } from "@revgraph/domain";
import {
  bandOf,
  derivedSlices,
  evaluateDefinition,
  expressionInputs,
  type KpiDefinition,
  type KpiQuery,
  KpiQueryError,
  type KpiResult,
  type MeasureResult,
  type ParsedKpiQuery,
  parseKpiQuery,
} from "@revgraph/kpis";
import {
  type ContributingEvents,
  listedEvents,
  listsEventIds,
  listsIdsConditionally,
  type ServedKpiResult,
  SqlContributingEvents,
} from "./contributing-events.ts";
import { compiledMeasure, type MeasureSource, measureSourcesSql, type SqlMeasure } from "./measures.ts";
import { conversionMeasureName } from "./measures-stages.ts";
import { dealColumnsUsedBy, type SqlScope, scopeCtes, sqlString } from "./predicates.ts";
import { readRows } from "./read-rows.ts";

/** The measures a definition reads: its formula's (a conversion is one measure) and its context's. */
export function measuresOf(definition: KpiDefinition): string[] {
  const formula = definition.formula;
  const names =
    formula.kind === "simple"
      ? [formula.measure]
      : formula.kind === "ratio"
        ? [formula.numerator, formula.denominator]
        : formula.kind === "derived"
          ? expressionInputs(formula.expression)
          : [conversionMeasureName(formula.fromStage, formula.toStage)];
  return [...names, ...(definition.context ?? [])];
}

/** True when every measure of the definition is compiled to SQL. */
export function isCompiled(definition: KpiDefinition): boolean {
  return measuresOf(definition).every((name) => compiledMeasure(name) !== undefined);
}

/** Where the facts stand: the log position they cover and the latest business time in it. */
export interface FactsPosition {
  readonly position: number;
  readonly latestOccurredAt: string;
  /** An upper bound of the business times at which a deal version known at the head begins or ends. */
  readonly latestVersionTime: string;
}

/** What a KPI answer carries besides values, inputs and warnings. */
export interface KpiSqlOptions {
  /**
   * Collect every contributing event id into the derivations (default true). Without them the query aggregates
   * values only, and each derivation's `eventIds` (and its inputs' `eventCount`) are empty: for scorecards and
   * dashboards, which show values, and for callers that page through contributing events (each result's
   * `contributing` counts and fetches them by the same predicates when asked).
   */
  readonly eventIds?: boolean;
}

/**
 * A list of event ids as one comma-separated string (ids are UUIDs): reading a list element by element through the
 * client costs about a microsecond per id, which made thousands of contributing events most of a query's time.
 */
const joinedIds = (list: string) => `array_to_string(${list}, ',')`;

/** The ids of {@link joinedIds} again (null, as for a FILTER that matched nothing, is none). */
const splitIds = (value: unknown): string[] => (typeof value === "string" && value !== "" ? value.split(",") : []);

/**
 * Computes KPIs from the fact tables with one SQL query: the same answers as the in-memory engine (held to it by a
 * differential property test) for definitions whose measures are all compiled ({@link isCompiled}). Throws a
 * {@link KpiQueryError} for bad arguments, like the engine, and for a definition that is not compiled. Each result's
 * `contributing` counts and pages its contributing events.
 */
export async function computeKpisSql(
  connection: DuckDBConnection,
  facts: FactsPosition,
  config: RevenueConfig,
  rawQuery: KpiQuery,
  now: Date,
  options: KpiSqlOptions = {},
): Promise<ServedKpiResult[]> {
  const parsed = parseKpiQuery(rawQuery, now);
  const { query, period, definitions, asOf, knownAt } = parsed;
  for (const definition of definitions)
    if (!isCompiled(definition))
      throw new KpiQueryError("kpis", `${definition.id} v${definition.version} is not compiled to SQL`);
  const names = [...new Set(definitions.flatMap((definition) => measuresOf(definition)))];
  // Definitions with a measure that may leave listed ids out are listed whole, even when values only are asked.
  const listed = new Set<number>();
  const keepIdsOf = (scope: SqlScope): ReadonlySet<string> => {
    const kept = new Set<string>();
    definitions.forEach((definition, index) => {
      const measures = measuresOf(definition);
      if (!measures.some((name) => listsIdsConditionally(compiledMeasure(name) as SqlMeasure, scope))) return;
      listed.add(index);
      for (const name of measures) kept.add(name);
    });
    return kept;
  };
  const { scope, groups } = await measureGroupsSql(connection, facts, config, parsed, now, names, options, keepIdsOf);
  const contributing =
    (options.eventIds ?? true)
      ? undefined
      : new SqlContributingEvents(
          connection,
          scope,
          definitions.map((definition) => measuresOf(definition)),
        );
  const groupBy = query.groupBy;
  const results: ServedKpiResult[] = [];
  for (const { key, measureOf } of groups) {
    for (const [index, definition] of definitions.entries()) {
      // A definition counted and paged from SQL lists no events, even where another one kept a shared measure's ids.
      const measured =
        contributing && !listed.has(index) ? (name: string): MeasureResult => ({ ...measureOf(name), eventIds: [] }) : measureOf;
      const { value, nullReason, derivation } = evaluateDefinition(definition, measured, (fromStage, toStage) =>
        conversionOf(measured(conversionMeasureName(fromStage, toStage))),
      );
      const result: KpiResult = {
        definition,
        group: groupBy ? { dimension: groupBy, key } : null,
        value,
        nullReason,
        band: bandOf(definition, value),
        period,
        asOf: asOf ?? null,
        knownAt: knownAt ?? null,
        derivation,
      };
      results.push(
        contributing && !listed.has(index)
          ? { ...result, contributing: contributingOf(contributing, index, key, result) }
          : listedEvents(result),
      );
    }
  }
  return results;
}

/**
 * A result's contributing events from SQL. A conversion's inputs (deals reached, deals entered) count deals, not the
 * events of a measure: their counts are the derivation's own, as the engine gives them.
 */
function contributingOf(contributing: SqlContributingEvents, index: number, key: string, result: KpiResult): ContributingEvents {
  const events = contributing.of(index, key);
  if (result.definition.formula.kind !== "conversion") return events;
  return { ...events, inputCount: async (input) => result.derivation.inputs[input]?.eventCount ?? 0 };
}

/** A conversion's counts and events from its measure (see `conversionMeasure`). */
export function conversionOf(measured: MeasureResult): { entered: number; converted: number; eventIds: string[] } {
  return {
    entered: Number(measured.detail?.entered ?? 0),
    converted: Number(measured.detail?.converted ?? 0),
    eventIds: [...measured.eventIds],
  };
}

/** One group's measures, computed from its row of aggregates on first use. */
export interface MeasuredGroup {
  readonly key: string;
  readonly measureOf: (name: string) => MeasureResult;
}

/**
 * Measures `names` (compiled measures, conversions included) for every group of a validated query with one SQL query:
 * the query's slices, period, filter and grouping as predicates, the groups sorted by key (one, keyed "", ungrouped).
 * Returns the groups with the scope they were measured in.
 */
export async function measureGroupsSql(
  connection: DuckDBConnection,
  facts: FactsPosition,
  config: RevenueConfig,
  parsed: ParsedKpiQuery,
  now: Date,
  names: readonly string[],
  options: KpiSqlOptions = {},
  keepIdsOf: (scope: SqlScope) => ReadonlySet<string> = () => new Set(),
): Promise<{ scope: SqlScope; groups: MeasuredGroup[] }> {
  const withEventIds = options.eventIds ?? true;
  const scope = await sqlScopeOf(connection, facts, config, parsed, now);
  const groupBy = scope.groupBy;

  const kept = withEventIds ? new Set<string>() : keepIdsOf(scope);
  const columns = new Map<string, string>();
  const bySource = new Map<MeasureSource, string[]>();
  // Measures share aggregates (won count, won amount…): each distinct one is computed, and planned, once per source.
  const aliases = new Map<string, string>();
  names.forEach((name, index) => {
    const measure = compiledMeasure(name);
    if (!measure) return;
    for (const [part, sql] of Object.entries(measure.aggregates(scope))) {
      if (!withEventIds && listsEventIds(part) && !kept.has(name)) continue;
      const aggregate = listsEventIds(part) ? joinedIds(sql) : sql;
      const shared = `${measure.source}\n${aggregate}`;
      const alias = aliases.get(shared) ?? `m${index}_${part}`;
      columns.set(`${name}/${part}`, alias);
      if (aliases.has(shared)) continue;
      aliases.set(shared, alias);
      const list = bySource.get(measure.source) ?? [];
      list.push(`${aggregate} AS ${alias}`);
      bySource.set(measure.source, list);
    }
  });
  const aggregates = [...bySource].map(
    ([source, selects]) => `agg_${source} AS (SELECT group_key, ${selects.join(", ")} FROM ${source} GROUP BY group_key)`,
  );
  const keys = groupBy ? "SELECT group_key FROM group_keys" : "SELECT '' AS group_key";
  const body = `${measureSourcesSql(scope, bySource.keys())}${aggregates.map((cte) => `,\n${cte}`).join("")}
SELECT k.group_key, ${[...aliases.values()].join(", ") || "NULL AS nothing"}
FROM (${keys}) k ${[...bySource.keys()].map((source) => `LEFT JOIN agg_${source} USING (group_key)`).join(" ")}`;
  const sql = `WITH ${scopeCtes(scope, dealColumnsUsedBy(`${scopeCtes(scope)},${body}`))},${body}`;
  const rows = await readRows(connection, sql);
  const groups = rows
    .map((row) => ({ key: String(row.group_key), row }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ key, row }) => {
      const measured = new Map<string, MeasureResult>();
      const measureOf = (name: string): MeasureResult => {
        let result = measured.get(name);
        if (!result) {
          const measure = compiledMeasure(name);
          if (!measure) throw new Error(`KPI formula names measure ${name}, which is not compiled to SQL`);
          result = measure.result((part) => {
            const value = row[columns.get(`${name}/${part}`) ?? ""];
            return listsEventIds(part) ? splitIds(value) : value;
          }, scope);
          measured.set(name, result);
        }
        return result;
      };
      return { key, measureOf };
    });
  return { scope, groups };
}

/**
 * What a validated query sees in the fact tables: its slices as the engine derives them (a knownAt read as the last
 * log position recorded by then), its period, filter and grouping, and the instant ages are measured at.
 */
export async function sqlScopeOf(
  connection: DuckDBConnection,
  facts: FactsPosition,
  config: RevenueConfig,
  parsed: ParsedKpiQuery,
  now: Date,
): Promise<SqlScope> {
  const { query, period, asOf, knownAt, forecastKnownAt } = parsed;
  const maxPosition = knownAt === undefined ? facts.position : await positionKnownAt(connection, knownAt);
  const slice = { asOf: asOf ?? END_OF_TIME, maxPosition };
  const { current, atPeriodEnd } = derivedSlices(slice, period, now, facts.latestOccurredAt);
  // At the head of the log and after every version's bounds, a slice sees exactly the latest versions (`deal_current`).
  const latest = (at: string) => maxPosition >= facts.position && at >= facts.latestVersionTime;
  return {
    config,
    period,
    current,
    atPeriodEnd,
    currentIsLatest: latest(current.asOf),
    periodEndIsLatest: latest(atPeriodEnd.asOf),
    atHead: maxPosition >= facts.position,
    filter: query.filter ?? {},
    groupBy: query.groupBy,
    forecastKnownAt: forecastKnownAt ?? period.fromInstant,
    evaluatedAt: new Date(Math.min(Date.parse(current.asOf), now.getTime())).toISOString(),
  };
}

/** The last log position recorded at or before `knownAt` (0 when nothing was). */
async function positionKnownAt(connection: DuckDBConnection, knownAt: string): Promise<number> {
  const [row] = (
    await connection.runAndReadAll(
      `SELECT coalesce(max(position), 0) AS position FROM record_log WHERE recorded_at <= ${sqlString(knownAt)}`,
    )
  ).getRowObjectsJS();
  return Number(row?.position ?? 0);
}
