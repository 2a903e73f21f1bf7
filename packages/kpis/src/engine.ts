import {
  type GraphState,
  type Period,
  PeriodError,
  parsePeriod,
  type RevenueConfig,
  stageIndex,
  timeSlice,
} from "@revgraph/domain";
import { z } from "zod";
import { formulaText, type KpiBand, type KpiDefinition, kpiDefinitions } from "./definitions.ts";
import { evaluateExpression, expressionInputs } from "./expression.ts";
import { type MeasureResult, measures } from "./measures.ts";
import {
  accountDimension,
  buildScope,
  type DealUniverse,
  type Dimension,
  type DimensionFilter,
  dealDimension,
  dealUniverse,
  derivedSlices,
  dimensions,
  type KpiScope,
  passes,
  repDimension,
  visibleAccountIds,
  visibleRepIds,
} from "./scope.ts";

/** A KPI query as callers send it (GraphQL, CLI). */
export interface KpiQuery {
  readonly kpis: readonly string[];
  /** `2026-Q1`, `2026-03`, `trailing-90d`, `2026-01-01..2026-04-01`, … */
  readonly period: string;
  readonly timeZone?: string;
  readonly filter?: DimensionFilter;
  readonly groupBy?: Dimension;
  /** Business time: only events that occurred at or before this instant. */
  readonly asOf?: string;
  /** Record time: only events recorded at or before this instant. */
  readonly knownAt?: string;
  /** Definition version per KPI id (default: the newest). */
  readonly versions?: Readonly<Record<string, number>>;
  /** When the forecast is read for forecast accuracy (default: period start). */
  readonly forecastKnownAt?: string;
}

/** A query the engine cannot answer, naming the argument and the reason. */
export class KpiQueryError extends Error {
  override readonly name = "KpiQueryError";
  readonly argument: string;
  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.argument = argument;
  }
}

/** One input of a derivation: its name, its role in the formula and its value. */
export interface DerivationInput {
  readonly name: string;
  readonly role: "numerator" | "denominator" | "value" | "operand" | "context";
  readonly value: number | null;
  readonly description: string;
  readonly eventCount: number;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** How a value was computed: the formula, its inputs, and every event that contributed. */
export interface Derivation {
  readonly formula: string;
  readonly inputs: readonly DerivationInput[];
  /** Every contributing event id, deduplicated, in a deterministic order (by deal id, then input). */
  readonly eventIds: readonly string[];
  readonly warnings: readonly string[];
}

/** One computed KPI value (for one group, when grouped). */
export interface KpiResult {
  readonly definition: KpiDefinition;
  readonly group: { readonly dimension: Dimension; readonly key: string } | null;
  readonly value: number | null;
  readonly nullReason: string | null;
  readonly band: KpiBand | null;
  readonly period: Period;
  readonly asOf: string | null;
  readonly knownAt: string | null;
  readonly derivation: Derivation;
}

const isoInstant = z.iso.datetime({ offset: true }).or(z.iso.date());
const querySchema = z.object({
  kpis: z.array(z.string().min(1)).min(1, "name at least one KPI"),
  period: z.string().min(1),
  timeZone: z.string().default("UTC"),
  filter: z.partialRecord(z.enum(dimensions), z.array(z.string())).optional(),
  groupBy: z.enum(dimensions).optional(),
  asOf: isoInstant.optional(),
  knownAt: isoInstant.optional(),
  versions: z.record(z.string(), z.number().int().positive()).optional(),
  forecastKnownAt: isoInstant.optional(),
});

/** An ISO date or date-time as a UTC instant (a date is its midnight UTC). */
export function toInstant(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return new Date(value.length === 10 ? `${value}T00:00:00Z` : value).toISOString();
}

/** Looks up a KPI definition by id and optional version (default: newest). */
export function findDefinition(id: string, version?: number): KpiDefinition {
  const candidates = kpiDefinitions.filter((definition) => definition.id === id);
  if (candidates.length === 0) {
    throw new KpiQueryError(
      "kpi",
      `unknown KPI ${JSON.stringify(id)}; known: ${[...new Set(kpiDefinitions.map((definition) => definition.id))].join(", ")}`,
    );
  }
  const active = candidates.filter((definition) => definition.status === "active");
  const found =
    version === undefined
      ? active.reduce((a, b) => (b.version > a.version ? b : a), active[0] ?? (candidates[0] as KpiDefinition))
      : candidates.find((definition) => definition.version === version);
  if (!found)
    throw new KpiQueryError(
      "version",
      `KPI ${id} has no version ${version}; versions: ${candidates.map((c) => c.version).join(", ")}`,
    );
  return found;
}

/** The band a value falls in under a definition (null without bands or value). */
export function bandOf(definition: KpiDefinition, value: number | null): KpiBand | null {
  if (value === null || !definition.bands) return null;
  return (
    definition.bands.find(
      (band) => (band.min === undefined || value >= band.min) && (band.max === undefined || value < band.max),
    ) ?? null
  );
}

function measure(scope: KpiScope, name: string): MeasureResult {
  const found = measures[name];
  if (!found) throw new Error(`KPI formula names unknown measure ${name}`);
  const key = `measure:${name}`;
  if (!scope.memo.has(key)) scope.memo.set(key, found.compute(scope));
  return scope.memo.get(key) as MeasureResult;
}

function input(
  measureOf: (name: string) => MeasureResult,
  name: string,
  role: DerivationInput["role"],
): { input: DerivationInput; result: MeasureResult } {
  const result = measureOf(name);
  return {
    result,
    input: {
      name,
      role,
      value: result.value,
      description: measures[name]?.description ?? name,
      eventCount: result.eventIds.length,
      ...(result.detail ? { detail: result.detail } : {}),
    },
  };
}

/** Stage conversion: deals entering `fromStage` in the period, and those that later reached `toStage` or beyond. */
export function conversion(
  scope: KpiScope,
  fromStage: string,
  toStage: string,
): { entered: number; converted: number; eventIds: string[] } {
  const target = stageIndex(scope.config, toStage);
  if (target === undefined) throw new KpiQueryError("toStage", `unknown stage ${JSON.stringify(toStage)}`);
  if (stageIndex(scope.config, fromStage) === undefined)
    throw new KpiQueryError("fromStage", `unknown stage ${JSON.stringify(fromStage)}`);
  let entered = 0;
  let converted = 0;
  const eventIds: string[] = [];
  for (const deal of scope.deals) {
    const entry = deal.stays.find((stay) => stay.stage === fromStage);
    if (!entry || entry.enteredAt < scope.period.fromInstant || entry.enteredAt >= scope.period.toInstant) continue;
    entered++;
    eventIds.push(entry.enteredEventId);
    const reached = deal.stays.find(
      (stay) => stay.enteredAt >= entry.enteredAt && (stageIndex(scope.config, stay.stage) ?? -1) >= target && stay !== entry,
    );
    if (reached) {
      converted++;
      eventIds.push(reached.enteredEventId);
    }
  }
  return { entered, converted, eventIds };
}

/** A derivation whose `eventIds` are merged from the inputs' lists on first read, then kept. */
function lazyDerivation(
  formula: string,
  inputs: readonly DerivationInput[],
  parts: readonly (readonly string[])[],
  warnings: readonly string[],
): Derivation {
  let merged: readonly string[] | undefined;
  return {
    formula,
    inputs,
    get eventIds() {
      if (!merged) {
        const ids = new Set<string>();
        for (const part of parts) for (const id of part) ids.add(id);
        merged = [...ids];
      }
      return merged;
    },
    warnings,
  };
}

/** Stage conversion counts for a conversion formula. */
export type ConversionOf = (fromStage: string, toStage: string) => { entered: number; converted: number; eventIds: string[] };

function compute(
  definition: KpiDefinition,
  scope: KpiScope,
): { value: number | null; nullReason: string | null; derivation: Derivation } {
  return evaluateDefinition(
    definition,
    (name) => measure(scope, name),
    (fromStage, toStage) => conversion(scope, fromStage, toStage),
  );
}

/**
 * Evaluates a definition's formula over its measured inputs: the value (null with a reason for a zero or unknown
 * denominator) and the derivation. Any way of measuring (the in-memory engine, SQL) gives its measures here, so
 * formulas are evaluated in one place.
 */
export function evaluateDefinition(
  definition: KpiDefinition,
  measureOf: (name: string) => MeasureResult,
  conversionOf: ConversionOf,
): { value: number | null; nullReason: string | null; derivation: Derivation } {
  const formula = definition.formula;
  const inputs: DerivationInput[] = [];
  // Each input's contributing ids, merged (deduplicated, in input order) only when someone asks for them: a scorecard
  // that shows values never pays for merging millions of ids.
  const eventIdParts: (readonly string[])[] = [];
  const warnings: string[] = [];
  const use = (name: string, role: DerivationInput["role"]) => {
    const { input: entry, result } = input(measureOf, name, role);
    inputs.push(entry);
    eventIdParts.push(result.eventIds);
    warnings.push(...(result.warnings ?? []));
    return result;
  };
  let value: number | null;
  let nullReason: string | null = null;
  if (formula.kind === "simple") {
    const result = use(formula.measure, "value");
    value = result.value;
    nullReason = result.nullReason ?? (value === null ? "no data" : null);
  } else if (formula.kind === "ratio") {
    const numerator = use(formula.numerator, "numerator");
    const denominator = use(formula.denominator, "denominator");
    if (denominator.value === null) {
      value = null;
      nullReason = denominator.nullReason ?? `${formula.denominator} is unknown`;
    } else if (denominator.value === 0) {
      value = null;
      nullReason = `${formula.denominator} is zero`;
    } else if (numerator.value === null) {
      value = null;
      nullReason = numerator.nullReason ?? `${formula.numerator} is unknown`;
    } else value = numerator.value / denominator.value;
  } else if (formula.kind === "derived") {
    const values: Record<string, number | null> = {};
    for (const name of expressionInputs(formula.expression)) values[name] = use(name, "operand").value;
    value = evaluateExpression(formula.expression, values);
    if (value === null) {
      const missing = inputs.find((entry) => entry.value === null);
      nullReason = missing ? `${missing.name} is unknown` : "a denominator is zero";
    }
  } else {
    const result = conversionOf(formula.fromStage, formula.toStage);
    inputs.push(
      {
        name: `reached_${formula.toStage}`,
        role: "numerator",
        value: result.converted,
        description: `deals that reached ${formula.toStage} or a later stage`,
        eventCount: result.converted,
      },
      {
        name: `entered_${formula.fromStage}`,
        role: "denominator",
        value: result.entered,
        description: `deals that entered ${formula.fromStage} in the period`,
        eventCount: result.entered,
      },
    );
    eventIdParts.push(result.eventIds);
    value = result.entered === 0 ? null : result.converted / result.entered;
    if (value === null) nullReason = `no deal entered ${formula.fromStage} in the period`;
  }
  for (const name of definition.context ?? []) use(name, "context");
  if (value !== null && !Number.isFinite(value)) {
    nullReason = "not a finite number";
    value = null;
  }
  return {
    value,
    nullReason,
    derivation: lazyDerivation(formulaText(formula), inputs, eventIdParts, [...new Set(warnings)]),
  };
}

/** The group's own ids plus those in every group, sorted; shares the "every group" list when the group has none of its own. */
function merged(own: readonly string[] | undefined, everywhere: readonly string[]): readonly string[] {
  if (!own || own.length === 0) return everywhere;
  if (everywhere.length === 0) return own;
  return [...own, ...everywhere].sort();
}

/** A prepared query: validated arguments, period, slice and deal universe, ready to compute KPIs. */
export interface PreparedQuery {
  readonly query: KpiQuery;
  readonly definitions: readonly KpiDefinition[];
  readonly period: Period;
  readonly scopes: readonly { group: KpiResult["group"]; scope: KpiScope }[];
}

/** A validated query: its period, definitions and instants. */
export interface ParsedKpiQuery {
  readonly query: z.infer<typeof querySchema>;
  readonly period: Period;
  readonly definitions: readonly KpiDefinition[];
  readonly asOf: string | undefined;
  readonly knownAt: string | undefined;
  readonly forecastKnownAt: string | undefined;
}

/** Validates a query's arguments, naming the bad one: KPIs, period and time zone, filters, instants. */
export function parseKpiQuery(rawQuery: KpiQuery, now: Date): ParsedKpiQuery {
  const parsed = querySchema.safeParse(rawQuery);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KpiQueryError(issue?.path.join(".") || "query", issue?.message ?? "invalid query");
  }
  const query = parsed.data;
  let period: Period;
  try {
    period = parsePeriod(query.period, query.timeZone, now);
  } catch (error) {
    if (error instanceof PeriodError)
      throw new KpiQueryError(error.message.startsWith("unknown time zone") ? "timeZone" : "period", error.message);
    throw error;
  }
  const definitions = query.kpis.map((id) => findDefinition(id, query.versions?.[id]));
  return {
    query,
    period,
    definitions,
    asOf: toInstant(query.asOf),
    knownAt: toInstant(query.knownAt),
    forecastKnownAt: toInstant(query.forecastKnownAt),
  };
}

/** Validates a query and builds the scopes (one per group) it will be computed over. */
export function prepareQuery(
  state: GraphState,
  config: RevenueConfig,
  rawQuery: KpiQuery,
  now: Date,
  universeCache?: Map<string, DealUniverse>,
): PreparedQuery {
  const { query, period, definitions, asOf, knownAt } = parseKpiQuery(rawQuery, now);
  const slice = timeSlice(state, { asOf, knownAt });
  const { current, atPeriodEnd } = derivedSlices(slice, period, now, state.latestOccurredAt);
  const cacheKey = `${state.position}|${current.asOf}|${atPeriodEnd.asOf}|${current.maxPosition}|${period.fromInstant}|${period.toInstant}`;
  let universe = universeCache?.get(cacheKey);
  if (!universe) {
    universe = dealUniverse(state, config, period, current, atPeriodEnd);
    if (universeCache) {
      if (universeCache.size >= 8) universeCache.delete(universeCache.keys().next().value as string);
      universeCache.set(cacheKey, universe);
    }
  }
  const filter = (query.filter ?? {}) as DimensionFilter;
  const base = { state, config, period, now, slice, universe, forecastKnownAt: toInstant(query.forecastKnownAt) };
  const scopes: { group: KpiResult["group"]; scope: KpiScope }[] = [];
  if (query.groupBy) {
    const dimension = query.groupBy;
    // Partition deals, reps and accounts by the group's key once; an entity the dimension does not
    // apply to (an account under "product", say) belongs to every group.
    const partition = <T>(items: readonly T[], key: (item: T) => string | undefined, accepts: (item: T) => boolean) => {
      const byKey = new Map<string, T[]>();
      const everywhere: T[] = [];
      for (const item of items) {
        if (!accepts(item)) continue;
        const value = key(item);
        if (value === undefined) everywhere.push(item);
        else {
          const list = byKey.get(value);
          if (list) list.push(item);
          else byKey.set(value, [item]);
        }
      }
      return { byKey, everywhere };
    };
    const deals = partition(
      universe.current,
      (deal) => dealDimension(state, current, deal, dimension),
      (deal) => passes(filter, (other) => dealDimension(state, current, deal, other)),
    );
    const reps = partition(
      visibleRepIds(state, current),
      (repId) => repDimension(state, current, repId, dimension),
      (repId) => passes(filter, (other) => repDimension(state, current, repId, other)),
    );
    const accounts = partition(
      visibleAccountIds(state, current),
      (accountId) => accountDimension(state, current, accountId, dimension),
      (accountId) => passes(filter, (other) => accountDimension(state, current, accountId, other)),
    );
    const keys = new Set([...deals.byKey.keys(), ...reps.byKey.keys()]);
    for (const key of [...keys].sort()) {
      if (filter[dimension] && !filter[dimension]?.includes(key)) continue;
      scopes.push({
        group: { dimension, key },
        scope: buildScope({
          ...base,
          filter: { ...filter, [dimension]: [key] },
          prefiltered: {
            deals: deals.byKey.get(key) ?? [],
            repIds: merged(reps.byKey.get(key), reps.everywhere),
            accountIds: merged(accounts.byKey.get(key), accounts.everywhere),
          },
        }),
      });
    }
  } else scopes.push({ group: null, scope: buildScope({ ...base, filter }) });
  return { query: { ...rawQuery, timeZone: query.timeZone }, definitions, period, scopes };
}

/**
 * Computes KPIs: a pure function of the graph, the configuration, the query and `now`.
 * Each result carries its band and full derivation (formula, inputs, every contributing event id).
 */
export function computeKpis(
  state: GraphState,
  config: RevenueConfig,
  query: KpiQuery,
  now: Date,
  universeCache?: Map<string, DealUniverse>,
): KpiResult[] {
  const prepared = prepareQuery(state, config, query, now, universeCache);
  const results: KpiResult[] = [];
  for (const { group, scope } of prepared.scopes) {
    for (const definition of prepared.definitions) {
      const { value, nullReason, derivation } = compute(definition, scope);
      results.push({
        definition,
        group,
        value,
        nullReason,
        band: bandOf(definition, value),
        period: prepared.period,
        asOf: toInstant(query.asOf) ?? null,
        knownAt: toInstant(query.knownAt) ?? null,
        derivation,
      });
    }
  }
  return results;
}

/** A change between two record times: the values and the events that appeared or vanished from the derivation. */
export interface Restatement<R extends KpiResult = KpiResult> {
  readonly kpi: string;
  readonly group: KpiResult["group"];
  readonly before: R;
  readonly after: R;
  readonly changed: boolean;
  readonly addedEventIds: readonly string[];
  readonly removedEventIds: readonly string[];
}

/** A result's group key ("" ungrouped). */
const groupKeyOf = (result: KpiResult) => result.group?.key ?? "";

/**
 * The group keys one answer of a grouped query has and the other lacks (a group can appear or vanish between two
 * record times: a deal or rep recorded in between, an owner changed), per answer that lacks them.
 */
export function groupsLacking(before: readonly KpiResult[], after: readonly KpiResult[]): { before: string[]; after: string[] } {
  const keysOf = (results: readonly KpiResult[]) => new Set(results.map(groupKeyOf));
  const beforeKeys = keysOf(before);
  const afterKeys = keysOf(after);
  return {
    before: [...afterKeys].filter((key) => !beforeKeys.has(key)),
    after: [...beforeKeys].filter((key) => !afterKeys.has(key)),
  };
}

/**
 * The query for one group of a grouped query alone: ungrouped, its dimension filtered to the key — what the group's
 * results are computed over (a group's scope is the query's filter with its dimension set to its key). Its results,
 * given the group, stand for a group that one answer of a restatement lacks: the KPI over what that group held then.
 */
export function groupAlone<Q extends Omit<KpiQuery, "knownAt">>(query: Q, key: string): Q {
  const { groupBy, ...rest } = query;
  if (!groupBy) return query;
  return { ...rest, filter: { ...query.filter, [groupBy]: [key] } } as Q;
}

/** Results of {@link groupAlone} given their group again. */
export function asGroup<R extends KpiResult>(results: readonly R[], dimension: Dimension, key: string): R[] {
  return results.map((result) => ({ ...result, group: { dimension, key } }));
}

/**
 * Pairs two answers of a query, as known at two record times, by KPI (and version) and group: one restatement per KPI
 * and group, groups sorted by key and KPIs in the query's order within each (as results are). Both answers must hold
 * the same KPIs and groups (complete a lacking group with {@link groupAlone}). Changed when the values differ; the
 * events only the later answer rests on are added, those only the earlier one did removed (in each answer's order).
 */
export function pairRestatements<R extends KpiResult>(before: readonly R[], after: readonly R[]): Restatement<R>[] {
  const keyOf = (result: KpiResult) => `${result.definition.id}@${result.definition.version}|${groupKeyOf(result)}`;
  const earlier = new Map(before.map((result) => [keyOf(result), result]));
  const kpiOrder = new Map<string, number>();
  for (const result of after) if (!kpiOrder.has(result.definition.id)) kpiOrder.set(result.definition.id, kpiOrder.size);
  const ordered = [...after].sort((a, b) => {
    const [keyA, keyB] = [groupKeyOf(a), groupKeyOf(b)];
    if (keyA !== keyB) return keyA < keyB ? -1 : 1;
    return (kpiOrder.get(a.definition.id) ?? 0) - (kpiOrder.get(b.definition.id) ?? 0);
  });
  return ordered.map((result) => {
    const then = earlier.get(keyOf(result));
    if (!then) throw new Error(`restatement: no earlier answer for ${keyOf(result)}`);
    const a = new Set(then.derivation.eventIds);
    const b = new Set(result.derivation.eventIds);
    return {
      kpi: result.definition.id,
      group: result.group,
      before: then,
      after: result,
      changed: then.value !== result.value,
      addedEventIds: [...b].filter((id) => !a.has(id)),
      removedEventIds: [...a].filter((id) => !b.has(id)),
    };
  });
}

/**
 * Compares a query as known at `knownAtA` with the same query as known at `knownAtB`: every KPI and group of either
 * answer, a group one of them lacks computed alone there ({@link groupAlone}).
 */
export function restatements(
  state: GraphState,
  config: RevenueConfig,
  query: Omit<KpiQuery, "knownAt">,
  knownAtA: string,
  knownAtB: string,
  now: Date,
): Restatement[] {
  const at = (knownAt: string, asked: Omit<KpiQuery, "knownAt">) => computeKpis(state, config, { ...asked, knownAt }, now);
  const before = at(knownAtA, query);
  const after = at(knownAtB, query);
  const lacking = groupsLacking(before, after);
  const alone = (knownAt: string, key: string) => asGroup(at(knownAt, groupAlone(query, key)), query.groupBy as Dimension, key);
  return pairRestatements(
    [...before, ...lacking.before.flatMap((key) => alone(knownAtA, key))],
    [...after, ...lacking.after.flatMap((key) => alone(knownAtB, key))],
  );
}

/** Stage-to-stage conversion across the whole configured process, with counts. */
export function funnel(state: GraphState, config: RevenueConfig, query: Omit<KpiQuery, "kpis">, now: Date) {
  const prepared = prepareQuery(state, config, { ...query, kpis: ["stage_conversion"] }, now);
  const stages = [...config.stages.map((stage) => stage.id), config.wonStage];
  return prepared.scopes.map(({ group, scope }) => {
    const timeInStage = measure(scope, "stage_time_days_mean").detail?.perStage as unknown[];
    return {
      group,
      steps: stages.slice(0, -1).map((from, index) => {
        const to = stages[index + 1] as string;
        const result = conversion(scope, from, to);
        return {
          from,
          to,
          entered: result.entered,
          converted: result.converted,
          rate: result.entered ? result.converted / result.entered : null,
          eventIds: result.eventIds,
        };
      }),
      timeInStage,
    };
  });
}
