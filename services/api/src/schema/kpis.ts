import type { RecordedEvent } from "@revgraph/events";
import {
  type DealRisk,
  type DimensionFilter,
  dimensions,
  type funnel,
  type KpiQuery,
  KpiQueryError,
  type KpiResult,
  kpiDefinitions,
  toOpenLineage,
  toProvJson,
} from "@revgraph/kpis";
import type { ContributingEvents, ServedKpiResult, ServedRestatement } from "@revgraph/read-model";
import DataLoader from "dataloader";
import { GraphQLError } from "graphql";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { KpiService } from "../kpi-service.ts";
import { type PageWindow, pageOf, pageSizes, pageWindow } from "./connection.ts";
import { eventsOf } from "./events.ts";
import { finiteOrNull, nonFiniteReason } from "./finite.ts";
import { EventRef, KpiValueRef } from "./refs.ts";

const Dimension = builder.enumType("Dimension", {
  values: Object.fromEntries(
    dimensions.map((dimension) => [dimension.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase(), { value: dimension }]),
  ) as Record<string, { value: (typeof dimensions)[number] }>,
});

const KpiFilter = builder.inputType("KpiFilter", {
  description: "Accepted values per dimension; a dimension left out is not filtered.",
  fields: (t) =>
    Object.fromEntries(dimensions.map((dimension) => [dimension, t.stringList({ required: false })])) as Record<
      (typeof dimensions)[number],
      ReturnType<typeof t.stringList>
    >,
});

const ExportFormat = builder.enumType("DerivationFormat", { values: ["PROV_JSON", "OPENLINEAGE"] as const });

interface KpiArgs {
  period: string;
  timeZone?: string | null | undefined;
  filter?: Partial<Record<(typeof dimensions)[number], readonly string[] | null | undefined>> | null | undefined;
  groupBy?: (typeof dimensions)[number] | null | undefined;
  asOf?: string | null | undefined;
  knownAt?: string | null | undefined;
}

function cleanFilter(filter: KpiArgs["filter"]): DimensionFilter {
  const clean: DimensionFilter = {};
  for (const [dimension, values] of Object.entries(filter ?? {})) if (values) clean[dimension as keyof DimensionFilter] = values;
  return clean;
}

/** Builds the engine query for the caller: their filter intersected with what they may see. */
function toQuery(context: Context, kpis: readonly string[], args: KpiArgs, versions?: Record<string, number>): KpiQuery {
  return {
    kpis,
    period: args.period,
    timeZone: args.timeZone ?? "UTC",
    filter: context.viewer?.restrictFilter(cleanFilter(args.filter)) ?? {},
    ...(args.groupBy ? { groupBy: args.groupBy } : {}),
    ...(args.asOf ? { asOf: args.asOf } : {}),
    ...(args.knownAt ? { knownAt: args.knownAt } : {}),
    ...(versions ? { versions } : {}),
  };
}

/** Runs KPI work, turning query errors into GraphQL errors that name the argument (never masked). */
async function answerLater<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asUserError(error);
  }
}

/** A bad KPI argument becomes a GraphQL error naming it; anything else stays as it is. */
function asUserError(error: unknown): unknown {
  if (error instanceof KpiQueryError)
    return new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT", argument: error.argument } });
  return error;
}

/** What deal risks are evaluated over: the last 90 days, UTC (the period does not change a finding). */
const riskPeriod = { period: "trailing-90d", timeZone: "UTC" } as const;

/**
 * Deal risks the caller may see: those of the deals passing `filter` (intersected with what the caller may see) of
 * the kinds asked (default: all), from the read model's fact tables, on deals the viewer may see. An unknown kind is a
 * BAD_USER_INPUT error naming `kinds`.
 */
export async function dealRisksFor(context: Context, filter: DimensionFilter, kinds?: readonly string[]): Promise<DealRisk[]> {
  const query = { ...riskPeriod, filter: context.viewer?.restrictFilter(filter) ?? {} };
  const risks = await answerLater(() => context.readModel.dealRisks(query, KpiService.evaluationTime(context.now), kinds));
  return risks.filter((risk) => context.viewer?.canSeeDealId(risk.dealId));
}

/** Per request: the risks of deals asked in the same tick, found with one query over their accounts. */
const riskLoaders = new WeakMap<Context, DataLoader<{ dealId: string; accountId: string }, DealRisk[], string>>();

/** The risks on one deal the caller may see; the deals of one tick (a page of deals) are batched into one query. */
export function risksOfDeal(context: Context, deal: { id: string; accountId: string }): Promise<DealRisk[]> {
  let loader = riskLoaders.get(context);
  if (!loader) {
    loader = new DataLoader(
      async (deals) => {
        const risks = await dealRisksFor(context, { account: [...new Set(deals.map((each) => each.accountId))] });
        return deals.map(({ dealId }) => risks.filter((risk) => risk.dealId === dealId));
      },
      { cacheKeyFn: (each) => each.dealId },
    );
    riskLoaders.set(context, loader);
  }
  return loader.load({ dealId: deal.id, accountId: deal.accountId });
}

const kpiArgs = builder.args((t) => ({
  period: t.string({
    required: true,
    description: "2026-Q1, 2026-H1, 2026-03, 2026, trailing-90d, or 2026-01-01..2026-04-01 (end exclusive).",
  }),
  timeZone: t.string({ required: false, defaultValue: "UTC", description: "IANA time zone the period's days are in." }),
  filter: t.field({ type: KpiFilter, required: false }),
  groupBy: t.field({ type: Dimension, required: false }),
  asOf: t.field({ type: "DateTime", required: false, description: "Business time: only events that occurred by then." }),
  knownAt: t.field({ type: "DateTime", required: false, description: "Record time: only events recorded by then." }),
}));

const BandRef = builder.objectRef<{ id: string; label: string; min?: number; max?: number }>("KpiBand").implement({
  fields: (t) => ({
    id: t.exposeString("id"),
    label: t.exposeString("label"),
    min: t.float({ nullable: true, resolve: (band) => band.min ?? null }),
    max: t.float({ nullable: true, resolve: (band) => band.max ?? null }),
  }),
});

const DefinitionRef = builder.objectRef<KpiResult["definition"]>("KpiDefinition").implement({
  description: "A KPI definition: data, versioned.",
  fields: (t) => ({
    id: t.exposeString("id"),
    version: t.exposeInt("version"),
    status: t.exposeString("status"),
    title: t.exposeString("title"),
    description: t.exposeString("description"),
    unit: t.exposeString("unit"),
    direction: t.exposeString("direction"),
    formula: t.field({ type: "JSON", resolve: (definition) => definition.formula }),
    bands: t.field({ type: [BandRef], resolve: (definition) => [...(definition.bands ?? [])] }),
  }),
});

/** One input of a derivation, with the result's contributing events (its count is fetched when asked). */
interface InputOf {
  readonly input: KpiResult["derivation"]["inputs"][number];
  readonly index: number;
  readonly contributing: ContributingEvents;
}

const InputRef = builder.objectRef<InputOf>("DerivationInput").implement({
  fields: (t) => ({
    name: t.string({ resolve: ({ input }) => input.name }),
    role: t.string({ resolve: ({ input }) => input.role }),
    value: t.float({ nullable: true, resolve: ({ input }) => finiteOrNull(input.value) }),
    nullReason: t.string({
      nullable: true,
      description: "Why a measured value is answered as null (it is not a finite number).",
      resolve: ({ input }) => nonFiniteReason({ value: input.value }),
    }),
    description: t.string({ resolve: ({ input }) => input.description }),
    eventCount: t.int({ resolve: ({ index, contributing }) => contributing.inputCount(index) }),
    detail: t.field({ type: "JSON", nullable: true, resolve: ({ input }) => input.detail ?? null }),
  }),
});

/** An event with its index in the derivation's list. */
type IndexedEvent = { event: RecordedEvent; index: number };

/** The contributing events at indexes `start`…`end - 1` read from the store, and how many ids the list had there. */
async function eventsAt(
  context: Context,
  contributing: ContributingEvents,
  start: number,
  end: number,
): Promise<{ events: IndexedEvent[]; listed: number }> {
  const ids = await contributing.slice(start, end);
  const byId = new Map((await context.store.readEventsById(ids)).map((event) => [event.id, event]));
  const events = ids.flatMap((id, offset) => {
    const event = byId.get(id);
    return event ? [{ event, index: start + offset }] : [];
  });
  return { events, listed: ids.length };
}

/**
 * The contributing events a page window needs, in derivation order, fetched a chunk at a time (a forward page stops
 * one past the page). A backward page reads chunks from the end of the window back until it holds one more visible
 * event than the page, so the last page of a long list never reads the whole list.
 */
async function* eventsInOrder(
  context: Context,
  contributing: ContributingEvents,
  window: PageWindow,
  visible: (event: RecordedEvent) => boolean,
): AsyncGenerator<IndexedEvent> {
  const first = Math.max(0, window.after + 1);
  if (window.from === "start") {
    for (let start = first; start < window.before; start += pageSizes.max) {
      const end = Math.min(window.before, start + pageSizes.max);
      const { events, listed } = await eventsAt(context, contributing, start, end);
      yield* events;
      if (listed < end - start) return;
    }
    return;
  }
  const tail: IndexedEvent[][] = [];
  let shown = 0;
  for (let end = Math.min(window.before, await contributing.count()); end > first && shown <= window.size; ) {
    const start = Math.max(first, end - pageSizes.max);
    const { events } = await eventsAt(context, contributing, start, end);
    tail.unshift(events);
    shown += events.filter((entry) => visible(entry.event)).length;
    end = start;
  }
  for (const chunk of tail) yield* chunk;
}

/** What a derivation is resolved from: the result's derivation and its contributing events. */
type DerivationOf = Pick<ServedKpiResult, "derivation" | "contributing">;

const DerivationRef = builder.objectRef<DerivationOf>("Derivation").implement({
  description: "How a value was computed: formula, inputs with values and roles, and every contributing event.",
  fields: (t) => ({
    formula: t.string({ resolve: ({ derivation }) => derivation.formula }),
    inputs: t.field({
      type: [InputRef],
      resolve: ({ derivation, contributing }) => derivation.inputs.map((input, index) => ({ input, index, contributing })),
    }),
    warnings: t.stringList({ resolve: ({ derivation }) => [...derivation.warnings] }),
    eventCount: t.int({ resolve: ({ contributing }) => contributing.count() }),
    events: t.connection({
      type: EventRef,
      authScopes: { traces: true },
      description: "The contributing events, all of them, paged in derivation order (those the caller may see).",
      resolve: ({ contributing }, args, context) => {
        const window = pageWindow(args);
        const visible = (event: RecordedEvent) => context.viewer?.canSeeEvent(event) ?? false;
        return pageOf(
          eventsInOrder(context, contributing, window, visible),
          (entry) => entry.index,
          window,
          (entry) => visible(entry.event),
        ).then((page) => ({ ...page, edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: edge.node.event })) }));
      },
    }),
  }),
});

KpiValueRef.implement({
  description: "One KPI value for one period (and group), with its band and derivation.",
  fields: (t) => ({
    kpiId: t.string({ resolve: (result) => result.definition.id }),
    version: t.int({ resolve: (result) => result.definition.version }),
    title: t.string({ resolve: (result) => result.definition.title }),
    unit: t.string({ resolve: (result) => result.definition.unit }),
    value: t.float({ nullable: true, resolve: (result) => finiteOrNull(result.value) }),
    nullReason: t.string({
      nullable: true,
      description: "Why the value is null (e.g. a zero denominator).",
      resolve: (result) => result.nullReason ?? nonFiniteReason({ value: result.value }),
    }),
    band: t.field({ type: BandRef, nullable: true, resolve: (result) => result.band }),
    groupDimension: t.string({ nullable: true, resolve: (result) => result.group?.dimension ?? null }),
    groupKey: t.string({ nullable: true, resolve: (result) => result.group?.key ?? null }),
    period: t.string({ resolve: (result) => result.period.label }),
    periodFrom: t.field({ type: "DateTime", resolve: (result) => result.period.fromInstant }),
    periodTo: t.field({ type: "DateTime", description: "Exclusive.", resolve: (result) => result.period.toInstant }),
    timeZone: t.string({ resolve: (result) => result.period.timeZone }),
    asOf: t.field({ type: "DateTime", nullable: true, resolve: (result) => result.asOf }),
    knownAt: t.field({ type: "DateTime", nullable: true, resolve: (result) => result.knownAt }),
    definition: t.field({ type: DefinitionRef, resolve: (result) => result.definition }),
    derivation: t.field({ type: DerivationRef, resolve: (result) => result }),
  }),
});

const FunnelStepRef = builder
  .objectRef<{ from: string; to: string; entered: number; converted: number; rate: number | null }>("FunnelStep")
  .implement({
    fields: (t) => ({
      from: t.exposeString("from"),
      to: t.exposeString("to"),
      entered: t.exposeInt("entered"),
      converted: t.exposeInt("converted"),
      rate: t.float({ nullable: true, resolve: (step) => finiteOrNull(step.rate) }),
    }),
  });
const StageTimeRef = builder
  .objectRef<{
    stage: string;
    completed: number;
    mean: number | null;
    median: number | null;
    p90: number | null;
    openStays: number;
    openMedianAge: number | null;
  }>("StageTime")
  .implement({
    fields: (t) => ({
      stage: t.exposeString("stage"),
      completed: t.exposeInt("completed"),
      meanDays: t.float({ nullable: true, resolve: (time) => finiteOrNull(time.mean) }),
      medianDays: t.float({ nullable: true, resolve: (time) => finiteOrNull(time.median) }),
      p90Days: t.float({ nullable: true, resolve: (time) => finiteOrNull(time.p90) }),
      openStays: t.exposeInt("openStays"),
      openMedianAgeDays: t.float({ nullable: true, resolve: (time) => finiteOrNull(time.openMedianAge) }),
    }),
  });
type FunnelResult = ReturnType<typeof funnel>[number];
const FunnelRef = builder.objectRef<FunnelResult>("Funnel").implement({
  fields: (t) => ({
    groupKey: t.string({ nullable: true, resolve: (result) => result.group?.key ?? null }),
    steps: t.field({ type: [FunnelStepRef], resolve: (result) => result.steps }),
    timeInStage: t.field({ type: [StageTimeRef], resolve: (result) => result.timeInStage as never }),
  }),
});

type RepAttainment = { repId: string; won: number; quota: number; attainment: number; payoutMultiplier: number };
const RepAttainmentRef = builder.objectRef<RepAttainment>("RepAttainment").implement({
  fields: (t) => ({
    repId: t.exposeString("repId"),
    won: t.float({ nullable: true, resolve: (rep) => finiteOrNull(rep.won) }),
    rampAdjustedQuota: t.float({ nullable: true, resolve: (rep) => finiteOrNull(rep.quota) }),
    attainment: t.float({ nullable: true, resolve: (rep) => finiteOrNull(rep.attainment) }),
    payoutMultiplier: t.float({ nullable: true, resolve: (rep) => finiteOrNull(rep.payoutMultiplier) }),
    nullReason: t.string({
      nullable: true,
      description: "Why figures are answered as null (they are not finite numbers).",
      resolve: (rep) =>
        nonFiniteReason({
          won: rep.won,
          rampAdjustedQuota: rep.quota,
          attainment: rep.attainment,
          payoutMultiplier: rep.payoutMultiplier,
        }),
    }),
  }),
});
type Distribution = {
  reps: RepAttainment[];
  p10: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  shareAtOrAbove100: number | null;
};
const DistributionRef = builder.objectRef<Distribution>("AttainmentDistribution").implement({
  fields: (t) => ({
    reps: t.field({ type: [RepAttainmentRef], resolve: (result) => result.reps }),
    p10: t.float({ nullable: true, resolve: (result) => finiteOrNull(result.p10) }),
    p25: t.float({ nullable: true, resolve: (result) => finiteOrNull(result.p25) }),
    p50: t.float({ nullable: true, resolve: (result) => finiteOrNull(result.p50) }),
    p75: t.float({ nullable: true, resolve: (result) => finiteOrNull(result.p75) }),
    p90: t.float({ nullable: true, resolve: (result) => finiteOrNull(result.p90) }),
    shareAtOrAbove100: t.float({ nullable: true, resolve: (result) => finiteOrNull(result.shareAtOrAbove100) }),
    nullReason: t.string({
      nullable: true,
      description: "Why figures are answered as null (they are not finite numbers).",
      resolve: ({ p10, p25, p50, p75, p90, shareAtOrAbove100 }) =>
        nonFiniteReason({ p10, p25, p50, p75, p90, shareAtOrAbove100 }),
    }),
  }),
});

const RestatementRef = builder.objectRef<ServedRestatement>("Restatement").implement({
  description: "The same KPI as known at two record times, and the events that changed it.",
  fields: (t) => ({
    kpiId: t.exposeString("kpi"),
    groupKey: t.string({ nullable: true, resolve: (result) => result.group?.key ?? null }),
    before: t.field({ type: KpiValueRef, resolve: (result) => result.before }),
    after: t.field({ type: KpiValueRef, resolve: (result) => result.after }),
    changed: t.exposeBoolean("changed"),
    addedEventIds: t.exposeStringList("addedEventIds"),
    removedEventIds: t.exposeStringList("removedEventIds"),
  }),
});

/**
 * KPI values from the fact tables leave contributing event ids out: a derivation's `eventCount`, its inputs' counts and
 * its `events` are fetched by the same predicates when a selection asks for them, a page at a time.
 */
const valuesOnly = { eventIds: false } as const;

const activeKpiIds = [
  ...new Set(kpiDefinitions.filter((definition) => definition.status === "active").map((definition) => definition.id)),
];

builder.queryFields((t) => ({
  kpiDefinitions: t.field({ type: [DefinitionRef], resolve: () => [...kpiDefinitions] }),
  kpi: t.field({
    type: [KpiValueRef],
    description: "One KPI (one value per group when grouped).",
    args: { id: t.arg.string({ required: true }), version: t.arg.int({ required: false }), ...kpiArgs },
    resolve: (_root, args, context) =>
      answerLater(() =>
        context.kpis.compute(
          toQuery(context, [args.id], args, args.version ? { [args.id]: args.version } : undefined),
          context.now,
          valuesOnly,
        ),
      ),
  }),
  scorecard: t.field({
    type: [KpiValueRef],
    description: "Many KPIs at once (default: every active KPI).",
    args: { kpis: t.arg.stringList({ required: false }), ...kpiArgs },
    resolve: (_root, args, context) =>
      answerLater(() => context.kpis.compute(toQuery(context, args.kpis ?? activeKpiIds, args), context.now, valuesOnly)),
  }),
  funnel: t.field({
    type: [FunnelRef],
    description: "Stage-to-stage conversion with counts (skipped stages count as passed) and time in stage.",
    args: kpiArgs,
    resolve: (_root, args, context) => {
      const { kpis: _kpis, ...query } = toQuery(context, [], args);
      return answerLater(() => context.readModel.funnel(query, KpiService.evaluationTime(context.now)));
    },
  }),
  attainmentDistribution: t.field({
    type: DistributionRef,
    description: "Per-rep attainment against ramp-adjusted quota, its percentiles and the share at or above 100%.",
    args: kpiArgs,
    resolve: async (_root, args, context) => {
      const [result] = await answerLater(() =>
        context.kpis.compute(toQuery(context, ["quota_attainment"], { ...args, groupBy: null }), context.now),
      );
      const detail = result?.derivation.inputs.find((input) => input.name === "attainment_distribution");
      const found = (detail?.detail ?? {}) as Omit<Distribution, "shareAtOrAbove100">;
      return {
        reps: found.reps ?? [],
        p10: found.p10 ?? null,
        p25: found.p25 ?? null,
        p50: found.p50 ?? null,
        p75: found.p75 ?? null,
        p90: found.p90 ?? null,
        shareAtOrAbove100: detail?.value ?? null,
      };
    },
  }),
  restatements: t.field({
    type: [RestatementRef],
    description: "A KPI as known at knownAtA versus knownAtB: what changed and which events did it.",
    args: {
      kpi: t.arg.string({ required: true }),
      knownAtA: t.arg({ type: "DateTime", required: true }),
      knownAtB: t.arg({ type: "DateTime", required: true }),
      ...kpiArgs,
    },
    resolve: (_root, args, context) => {
      const { knownAt: _ignored, ...query } = toQuery(context, [args.kpi], { ...args, knownAt: null });
      return answerLater(() => context.kpis.restatements(query, args.knownAtA, args.knownAtB, context.now));
    },
  }),
  exportDerivation: t.field({
    type: "JSON",
    description: "A KPI's derivation for auditors, as W3C PROV-JSON or an OpenLineage run event.",
    authScopes: { traces: true },
    args: { kpi: t.arg.string({ required: true }), format: t.arg({ type: ExportFormat, required: true }), ...kpiArgs },
    resolve: async (_root, args, context) => {
      const results = await answerLater(() => context.kpis.compute(toQuery(context, [args.kpi], args), context.now));
      const computedAt = KpiService.evaluationTime(context.now).toISOString();
      return results.map((result, index) =>
        args.format === "PROV_JSON"
          ? toProvJson(result, computedAt)
          : toOpenLineage(result, computedAt, `${context.readModel.position}-${index}`),
      );
    },
  }),
}));

builder.subscriptionField("scorecardChanged", (t) =>
  t.field({
    type: [KpiValueRef],
    description: "The scorecard now, then again whenever a new event changes any of its values (server-sent events).",
    args: { kpis: t.arg.stringList({ required: false }), ...kpiArgs },
    subscribe: async function* (_root, args, context) {
      const query = toQuery(context, args.kpis ?? activeKpiIds, args);
      const options = valuesOnly;
      const fingerprint = (results: KpiResult[]) =>
        results.map((result) => `${result.group?.key}:${result.definition.id}:${result.value}`).join("|");
      let results = await answerLater(() => context.kpis.compute(query, new Date(), options));
      let last = fingerprint(results);
      yield results;
      const events = eventsOf(context, () => true);
      try {
        for await (const _event of events) {
          results = await context.kpis.compute(query, new Date(), options);
          const next = fingerprint(results);
          if (next !== last) {
            last = next;
            yield results;
          }
        }
      } finally {
        await events.return?.();
      }
    },
    resolve: (results) => results,
  }),
);
