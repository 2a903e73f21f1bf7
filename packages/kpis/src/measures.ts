import {
  DAY_MS,
  type DealSnapshot,
  daysBetween,
  dealAt,
  type InteractionFacts,
  type StageStay,
  stageIndex,
  stageProbability,
  type TimeSlice,
  visible,
} from "@revgraph/domain";
import { type KpiScope, visibleAccountIds } from "./scope.ts";
import { mean, median, percentile, sum } from "./stats.ts";

/** A measured input: its value, the events it rests on, and optional detail (breakdowns, counts). */
export interface MeasureResult {
  readonly value: number | null;
  readonly nullReason?: string;
  readonly eventIds: readonly string[];
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly warnings?: readonly string[];
}

/** A named measure: what it is, and how to compute it over a scope. */
export interface Measure {
  readonly description: string;
  compute(scope: KpiScope): MeasureResult;
}

const HOUR_MS = 3_600_000;

function inPeriod(scope: KpiScope, iso: string): boolean {
  return iso >= scope.period.fromInstant && iso < scope.period.toInstant;
}

function dateInPeriod(scope: KpiScope, date: string): boolean {
  return date >= scope.period.from && date < scope.period.to;
}

/** Appends to the list under `key`, starting it when missing (in place: spreading a copy per item is quadratic). */
function append<V>(lists: Map<string, V[]>, key: string, value: V): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

function memo<T>(scope: KpiScope, key: string, compute: () => T): T {
  if (scope.memo.has(key)) return scope.memo.get(key) as T;
  const value = compute();
  scope.memo.set(key, value);
  return value;
}

/** Converts an amount to the base currency with the newest visible rate effective on `date`. */
function toBase(scope: KpiScope, amount: number, currency: string, date: string): { value: number | null; eventId?: string } {
  if (currency === scope.config.baseCurrency) return { value: amount };
  let best: { rate: number; eventId: string; effectiveDate: string } | undefined;
  for (const rate of scope.state.rates) {
    if (rate.currency !== currency || rate.baseCurrency !== scope.config.baseCurrency || rate.effectiveDate > date) continue;
    if (!visible(rate, scope.current)) continue;
    if (!best || rate.effectiveDate >= best.effectiveDate)
      best = { rate: rate.rate, eventId: rate.eventId, effectiveDate: rate.effectiveDate };
  }
  return best ? { value: amount * best.rate, eventId: best.eventId } : { value: null };
}

interface ClosedDeal {
  readonly deal: DealSnapshot;
  /** Amount in the base currency; null when no exchange rate was known for its currency. */
  readonly amount: number | null;
  readonly eventIds: string[];
}

/** Deals closed (won or lost) in the period, with base-currency amounts where a rate is known. */
function closedInPeriod(scope: KpiScope, kind: "won" | "lost"): { deals: ClosedDeal[]; warnings: string[] } {
  return memo(scope, `closed:${kind}`, () => {
    const deals: ClosedDeal[] = [];
    const missing: string[] = [];
    for (const deal of scope.deals) {
      if (!deal.closed || deal.closed.kind !== kind || !inPeriod(scope, deal.closed.at)) continue;
      const converted = toBase(scope, deal.amount, deal.currency, deal.closed.at.slice(0, 10));
      if (converted.value === null) missing.push(deal.id);
      const eventIds = [deal.closed.eventId, ...(deal.amountEventId !== deal.closed.eventId ? [deal.amountEventId] : [])];
      if (converted.eventId) eventIds.push(converted.eventId);
      deals.push({ deal, amount: converted.value, eventIds });
    }
    const warnings = missing.length
      ? [
          `${missing.length} ${kind} deal(s) left out of amounts: no exchange rate to ${scope.config.baseCurrency} (first: ${missing[0]})`,
        ]
      : [];
    return { deals, warnings };
  });
}

/** The closed deals whose amount is known in the base currency. */
function withAmounts(deals: readonly ClosedDeal[]): (ClosedDeal & { amount: number })[] {
  return deals.filter((entry): entry is ClosedDeal & { amount: number } => entry.amount !== null);
}

function countOf(scope: KpiScope, kind: "won" | "lost"): MeasureResult {
  const { deals } = closedInPeriod(scope, kind);
  return { value: deals.length, eventIds: deals.map((entry) => entry.deal.closed?.eventId as string) };
}

function amountOf(scope: KpiScope, kind: "won" | "lost"): MeasureResult {
  const { deals, warnings } = closedInPeriod(scope, kind);
  const known = withAmounts(deals);
  return { value: sum(known.map((entry) => entry.amount)), eventIds: known.flatMap((entry) => entry.eventIds), warnings };
}

function cycleDays(scope: KpiScope, kind: "won" | "lost", statistic: (values: number[]) => number | null): MeasureResult {
  const { deals } = closedInPeriod(scope, kind);
  const days = deals.map((entry) => daysBetween(entry.deal.createdAt, entry.deal.closed?.at as string));
  return {
    value: statistic(days),
    ...(days.length ? {} : { nullReason: `no deals ${kind} in period` }),
    eventIds: deals.flatMap((entry) => [entry.deal.createdEventId, entry.deal.closed?.eventId as string]),
    detail: { deals: days.length },
  };
}

function openAtPeriodEnd(scope: KpiScope, closingInPeriodOnly: boolean): DealSnapshot[] {
  return memo(scope, `open:${closingInPeriodOnly}`, () =>
    scope.dealsAtPeriodEnd.filter(
      (deal) => deal.status === "open" && (!closingInPeriodOnly || dateInPeriod(scope, deal.expectedCloseDate)),
    ),
  );
}

function pipelineAmount(scope: KpiScope, closingInPeriodOnly: boolean, weighted: boolean): MeasureResult {
  const deals = openAtPeriodEnd(scope, closingInPeriodOnly);
  let total = 0;
  const eventIds: string[] = [];
  let excluded = 0;
  for (const deal of deals) {
    const converted = toBase(scope, deal.amount, deal.currency, scope.atPeriodEnd.asOf.slice(0, 10));
    if (converted.value === null) {
      excluded++;
      continue;
    }
    total += converted.value * (weighted ? deal.probability : 1);
    eventIds.push(deal.createdEventId);
    if (deal.amountEventId !== deal.createdEventId) eventIds.push(deal.amountEventId);
    if (closingInPeriodOnly) eventIds.push((deal.closeDateHistory.at(-1) as { eventId: string }).eventId);
    if (weighted) eventIds.push(deal.probabilityEventId ?? (deal.stays.at(-1) as StageStay).enteredEventId);
  }
  return {
    value: total,
    eventIds: [...new Set(eventIds)],
    detail: { deals: deals.length - excluded },
    ...(excluded ? { warnings: [`${excluded} open deal(s) excluded: no exchange rate to ${scope.config.baseCurrency}`] } : {}),
  };
}

/** The first day (`YYYY-MM-01`) of every month from the month of `from` up to `to` (exclusive): a quota's months. */
export function monthsOfPeriod(from: string, to: string): string[] {
  const months: string[] = [];
  let cursor = `${from.slice(0, 7)}-01`;
  while (cursor < to) {
    months.push(cursor);
    const date = new Date(`${cursor}T00:00:00Z`);
    date.setUTCMonth(date.getUTCMonth() + 1);
    cursor = date.toISOString().slice(0, 10);
  }
  return months;
}

function tenureMonth(startDate: string, monthStart: string): number {
  const [startYear, startMonth] = startDate.split("-").map(Number) as [number, number];
  const [year, month] = monthStart.split("-").map(Number) as [number, number];
  return (year - startYear) * 12 + (month - startMonth) + 1;
}

/** Each rep's ramp-adjusted quota for the period: the quota spread over its months, each scaled by tenure. */
function repQuotas(scope: KpiScope): Map<string, { quota: number; rawQuota: number; eventIds: string[] }> {
  return memo(scope, "quotas", () => {
    const latest = new Map<string, (typeof scope.state.quotas)[number]>();
    for (const quota of scope.state.quotas) {
      if (!visible(quota, scope.current)) continue;
      if (quota.from !== scope.period.from || quota.to !== scope.period.to) continue;
      latest.set(quota.repId, quota);
    }
    const result = new Map<string, { quota: number; rawQuota: number; eventIds: string[] }>();
    for (const repId of scope.repIds) {
      const quota = latest.get(repId);
      const rep = scope.state.reps[repId];
      if (!quota || !rep) continue;
      const ramp = rep.ramp ?? scope.config.ramp;
      const months = monthsOfPeriod(quota.from, quota.to);
      let adjusted = 0;
      for (const month of months) {
        const tenure = tenureMonth(rep.startDate, month);
        const factor = tenure < 1 ? 0 : (ramp[Math.min(tenure, ramp.length) - 1] ?? 1);
        adjusted += (quota.amount / months.length) * factor;
      }
      result.set(repId, { quota: adjusted, rawQuota: quota.amount, eventIds: [quota.eventId, rep.eventId] });
    }
    return result;
  });
}

function wonByRep(scope: KpiScope): Map<string, number> {
  return memo(scope, "wonByRep", () => {
    const byRep = new Map<string, number>();
    for (const entry of withAmounts(closedInPeriod(scope, "won").deals)) {
      byRep.set(entry.deal.ownerRepId, (byRep.get(entry.deal.ownerRepId) ?? 0) + entry.amount);
    }
    return byRep;
  });
}

/** Total time per (deal, stage) of stays that ended in the period; re-entries add up. */
function completedStays(scope: KpiScope): { byStage: Map<string, number[]>; eventIds: string[] } {
  return memo(scope, "stays", () => {
    const byStage = new Map<string, number[]>();
    const eventIds: string[] = [];
    for (const deal of scope.deals) {
      const perStage = new Map<string, number>();
      for (const stay of deal.stays) {
        if (stay.leftAt === null || !inPeriod(scope, stay.leftAt)) continue;
        if (
          stageIndex(scope.config, stay.stage) === undefined ||
          stay.stage === scope.config.wonStage ||
          stay.stage === scope.config.lostStage
        )
          continue;
        perStage.set(stay.stage, (perStage.get(stay.stage) ?? 0) + daysBetween(stay.enteredAt, stay.leftAt));
        eventIds.push(stay.enteredEventId, stay.leftEventId as string);
      }
      for (const [stage, days] of perStage) append(byStage, stage, days);
    }
    return { byStage, eventIds: [...new Set(eventIds)] };
  });
}

/**
 * Deals whose expected close date fell in the period at any time while they were open. A date that came with the
 * close (same command or source row) was never held by the open deal, so it does not count (KPIS.md).
 */
function forecastToClose(scope: KpiScope): { deal: DealSnapshot; evidence: string }[] {
  return memo(scope, "forecastToClose", () => {
    const result: { deal: DealSnapshot; evidence: string }[] = [];
    for (const deal of scope.dealsAtPeriodEnd) {
      const hit = deal.closeDateHistory.find((entry) => entry.whileOpen && dateInPeriod(scope, entry.date));
      if (hit) result.push({ deal, evidence: hit.eventId });
    }
    return result;
  });
}

function probabilityAt(scope: KpiScope, deal: DealSnapshot, at: string): number {
  let stage = deal.stays[0]?.stage ?? "";
  let enteredAt = deal.createdAt;
  for (const stay of deal.stays) {
    if (stay.enteredAt > at) break;
    stage = stay.stage;
    enteredAt = stay.enteredAt;
  }
  let explicit: number | undefined;
  for (const entry of deal.facts.probabilities) {
    if (entry.at > at) break;
    if (visible(entry, scope.current) && entry.at >= enteredAt) explicit = entry.probability;
  }
  return explicit ?? stageProbability(scope.config, stage);
}

/** A deal's amount at business time `at`, as known in `slice` (a change recorded after it is not known yet). */
function amountAt(deal: DealSnapshot, at: string, slice: TimeSlice): number {
  let amount = deal.facts.created?.amount ?? deal.amount;
  for (const entry of deal.facts.amounts) {
    if (entry.at > at) break;
    if (visible(entry, slice)) amount = entry.amount;
  }
  return amount;
}

function isRepFiltered(scope: KpiScope): boolean {
  return scope.filter.rep !== undefined || scope.filter.team !== undefined || scope.filter.manager !== undefined;
}

/** Interactions in the period within the scope: by its reps when reps are filtered, else by its accounts. */
function interactionsInPeriod(scope: KpiScope): InteractionFacts[] {
  return memo(scope, "interactions", () => {
    const result: InteractionFacts[] = [];
    if (isRepFiltered(scope)) {
      const byRep = scope.index.interactionsByRep();
      const accountFiltered =
        scope.filter.account !== undefined || scope.filter.region !== undefined || scope.filter.segment !== undefined;
      const accounts = accountFiltered ? new Set(scope.accountIds) : undefined;
      for (const repId of scope.repIds) {
        for (const interaction of byRep.get(repId) ?? [])
          if (!accounts || accounts.has(interaction.accountId)) result.push(interaction);
      }
    } else {
      const byAccount = scope.index.interactionsByAccount();
      for (const accountId of scope.accountIds) result.push(...(byAccount.get(accountId) ?? []));
    }
    return result;
  });
}

/** Contacts engaged on a deal as of `at`: the deal's own snapshot then, with the same knowledge cut-off. */
function engagedContactsBefore(scope: KpiScope, deal: DealSnapshot, at: string): number {
  return (
    dealAt(scope.state, deal.facts, { asOf: at, maxPosition: scope.current.maxPosition }, scope.config)?.engagedContactIds
      .length ?? 0
  );
}

/** Risk findings on open deals: stale, single-threaded when leaving the configured stage, slipped. */
export interface DealRisk {
  readonly dealId: string;
  readonly kind: "stale" | "evaluator_silent" | "single_threaded" | "slipped";
  readonly detail: string;
  readonly evidenceEventId: string;
}

/** Every risk flag on the deals of a scope, evaluated at the scope's current time. */
export function dealRisks(scope: KpiScope): DealRisk[] {
  return memo(scope, "risks", () => {
    const risks: DealRisk[] = [];
    const nowIso = scope.evaluatedAt;
    const { config } = scope;
    for (const deal of scope.deals) {
      if (deal.status !== "open") continue;
      const lastTouch = deal.lastInteractionAt ?? deal.createdAt;
      const idleDays = daysBetween(lastTouch, nowIso);
      if (idleDays >= config.staleAfterDays) {
        const evidence =
          deal.facts.interactions.filter((entry) => visible(entry, scope.current)).at(-1)?.eventId ?? deal.createdEventId;
        risks.push({
          dealId: deal.id,
          kind: "stale",
          detail: `no interaction for ${Math.floor(idleDays)} days`,
          evidenceEventId: evidence,
        });
      }
      if (deal.stage === config.technicalValidationStage) {
        const evaluators = [...deal.roles]
          .filter(([, roles]) => roles.includes("technical_evaluator"))
          .map(([contactId]) => contactId);
        for (const evaluator of evaluators) {
          const last = deal.facts.interactions
            .filter(
              (entry) =>
                visible(entry, scope.current) && scope.state.interactions[entry.interactionId]?.contactIds.includes(evaluator),
            )
            .at(-1);
          const since = last?.at ?? (deal.stays.at(-1) as StageStay).enteredAt;
          const silent = daysBetween(since, nowIso);
          if (silent >= config.technicalEvaluatorSilentDays) {
            risks.push({
              dealId: deal.id,
              kind: "evaluator_silent",
              detail: `technical evaluator ${evaluator} silent for ${Math.floor(silent)} days`,
              evidenceEventId: last?.eventId ?? (deal.stays.at(-1) as StageStay).enteredEventId,
            });
          }
        }
      }
      const left = deal.stays.find((stay) => stay.stage === config.singleThread.stage && stay.leftAt !== null);
      if (left && deal.amount > config.singleThread.minAmount) {
        const stakeholders = engagedContactsBefore(scope, deal, left.leftAt as string);
        if (stakeholders < config.singleThread.minStakeholders) {
          risks.push({
            dealId: deal.id,
            kind: "single_threaded",
            detail: `${stakeholders} stakeholder(s) when leaving ${config.singleThread.stage} on a ${deal.amount} ${deal.currency} deal`,
            evidenceEventId: left.leftEventId as string,
          });
        }
      }
      if (deal.pushes > 0 && deal.expectedCloseDate < nowIso.slice(0, 10)) {
        risks.push({
          dealId: deal.id,
          kind: "slipped",
          detail: `expected close ${deal.expectedCloseDate} has passed (${deal.pushes} push(es))`,
          evidenceEventId: (deal.closeDateHistory.at(-1) as { eventId: string }).eventId,
        });
      }
    }
    return risks;
  });
}

/** Every measure a KPI formula can name. */
export const measures: Record<string, Measure> = {
  won_count: { description: "deals won in the period", compute: (scope) => countOf(scope, "won") },
  lost_count: { description: "deals lost in the period", compute: (scope) => countOf(scope, "lost") },
  closed_count: {
    description: "deals won or lost in the period",
    compute: (scope) => {
      const won = countOf(scope, "won");
      const lost = countOf(scope, "lost");
      return { value: (won.value ?? 0) + (lost.value ?? 0), eventIds: [...won.eventIds, ...lost.eventIds] };
    },
  },
  won_amount: { description: "amount won in the period (at the moment of winning)", compute: (scope) => amountOf(scope, "won") },
  lost_amount: { description: "amount of deals lost in the period", compute: (scope) => amountOf(scope, "lost") },
  closed_amount: {
    description: "amount won plus amount lost in the period",
    compute: (scope) => {
      const won = amountOf(scope, "won");
      const lost = amountOf(scope, "lost");
      return { value: (won.value ?? 0) + (lost.value ?? 0), eventIds: [...won.eventIds, ...lost.eventIds] };
    },
  },
  won_amount_mean: {
    description: "mean amount of deals won in the period",
    compute: (scope) => {
      const { deals, warnings } = closedInPeriod(scope, "won");
      const known = withAmounts(deals);
      const amounts = known.map((entry) => entry.amount);
      return {
        value: mean(amounts),
        ...(amounts.length ? {} : { nullReason: "no deals won in period" }),
        eventIds: known.flatMap((entry) => entry.eventIds),
        warnings,
        detail: { median: median(amounts), deals: amounts.length },
      };
    },
  },
  won_amount_median: {
    description: "median amount of deals won in the period",
    compute: (scope) => {
      const known = withAmounts(closedInPeriod(scope, "won").deals);
      return { value: median(known.map((entry) => entry.amount)), eventIds: known.flatMap((entry) => entry.eventIds) };
    },
  },
  cycle_days_won_mean: {
    description: "mean days from creation to win, deals won in period",
    compute: (scope) => cycleDays(scope, "won", mean),
  },
  cycle_days_won_median: { description: "median days from creation to win", compute: (scope) => cycleDays(scope, "won", median) },
  cycle_days_lost_mean: {
    description: "mean days from creation to loss, deals lost in period",
    compute: (scope) => cycleDays(scope, "lost", mean),
  },
  open_deal_count: {
    description: "deals open at the end of the period (or now, if earlier)",
    compute: (scope) => {
      const deals = openAtPeriodEnd(scope, false);
      return { value: deals.length, eventIds: deals.map((deal) => deal.createdEventId) };
    },
  },
  open_pipeline: { description: "sum of amounts of open deals", compute: (scope) => pipelineAmount(scope, false, false) },
  open_pipeline_in_period: {
    description: "sum of amounts of open deals expected to close in the period",
    compute: (scope) => pipelineAmount(scope, true, false),
  },
  weighted_pipeline: {
    description: "Σ amount × win probability over open deals",
    compute: (scope) => pipelineAmount(scope, false, true),
  },
  quota: {
    description: "ramp-adjusted quota of the reps in scope for the period",
    compute: (scope) => {
      const quotas = [...repQuotas(scope).values()];
      return {
        value: quotas.length ? sum(quotas.map((entry) => entry.quota)) : null,
        ...(quotas.length ? {} : { nullReason: "no quota set for this period" }),
        eventIds: quotas.flatMap((entry) => entry.eventIds),
        detail: { reps: quotas.length, unadjusted: sum(quotas.map((entry) => entry.rawQuota)) },
      };
    },
  },
  remaining_quota: {
    description: "quota minus amount won in the period",
    compute: (scope) => {
      const quota = measures.quota?.compute(scope) as MeasureResult;
      const won = amountOf(scope, "won");
      if (quota.value === null) return { value: null, nullReason: "no quota set for this period", eventIds: [] };
      const remaining = quota.value - (won.value ?? 0);
      return {
        value: remaining > 0 ? remaining : null,
        ...(remaining > 0 ? {} : { nullReason: "quota met" }),
        eventIds: [...quota.eventIds, ...won.eventIds],
      };
    },
  },
  stage_time_days_mean: {
    description: "mean days per (deal, stage) of stays completed in the period; re-entries add up",
    compute: (scope) => {
      const { byStage, eventIds } = completedStays(scope);
      const all = [...byStage.values()].flat();
      const openAges = new Map<string, number[]>();
      for (const deal of scope.deals) {
        const stay = deal.stays.at(-1) as StageStay;
        if (deal.status !== "open") continue;
        append(openAges, stay.stage, daysBetween(stay.enteredAt, scope.evaluatedAt));
      }
      const perStage = scope.config.stages.map((stage) => {
        const values = byStage.get(stage.id) ?? [];
        return {
          stage: stage.id,
          completed: values.length,
          mean: mean(values),
          median: median(values),
          p90: percentile(values, 0.9),
          openStays: openAges.get(stage.id)?.length ?? 0,
          openMedianAge: median(openAges.get(stage.id) ?? []),
        };
      });
      return {
        value: mean(all),
        ...(all.length ? {} : { nullReason: "no stage stays completed in period" }),
        eventIds,
        detail: { perStage },
      };
    },
  },
  forecast_to_close_count: {
    description: "deals whose expected close date was in the period at any time while open",
    compute: (scope) => {
      const deals = forecastToClose(scope);
      return { value: deals.length, eventIds: deals.map((entry) => entry.evidence) };
    },
  },
  slipped_count: {
    description: "deals forecast to close in the period that did not close in it (pushed out or still open at period end)",
    compute: (scope) => {
      const periodOver = scope.evaluatedAt >= scope.period.toInstant;
      const slipped = forecastToClose(scope).filter(
        ({ deal }) => deal.status === "open" && (periodOver || deal.expectedCloseDate >= scope.period.to),
      );
      const all = forecastToClose(scope);
      return {
        value: slipped.length,
        eventIds: slipped.map(({ deal }) => (deal.closeDateHistory.at(-1) as { eventId: string }).eventId),
        detail: { pushesPerDeal: mean(all.map(({ deal }) => deal.pushes)) },
      };
    },
  },
  forecast_amount: {
    description: "forecast submitted for the period, as known at the forecast time (default: period start)",
    compute: (scope) => {
      const knownAt = scope.forecastKnownAt;
      const scopeKey =
        scope.filter.team?.length === 1
          ? { kind: "team", id: scope.filter.team[0] }
          : scope.filter.rep?.length === 1
            ? { kind: "rep", id: scope.filter.rep[0] }
            : { kind: "company", id: "company" };
      const latest = new Map<string, (typeof scope.state.forecasts)[number]>();
      for (const forecast of scope.state.forecasts) {
        if (forecast.period !== scope.period.label && (forecast.from !== scope.period.from || forecast.to !== scope.period.to))
          continue;
        if (forecast.at > knownAt || !visible(forecast, scope.current)) continue;
        latest.set(`${forecast.scopeKind}:${forecast.scopeId}`, forecast);
      }
      const exact = latest.get(`${scopeKey.kind}:${scopeKey.id}`);
      if (exact) return { value: exact.amount, eventIds: [exact.eventId], detail: { scope: scopeKey, submittedAt: exact.at } };
      const reps = scope.repIds.map((repId) => latest.get(`rep:${repId}`)).filter((entry) => entry !== undefined);
      if (reps.length === 0)
        return { value: null, nullReason: `no forecast for ${scope.period.label} submitted by ${knownAt}`, eventIds: [] };
      return {
        value: sum(reps.map((entry) => entry.amount)),
        eventIds: reps.map((entry) => entry.eventId),
        detail: { scope: "sum of rep forecasts", reps: reps.length },
      };
    },
  },
  forecast_abs_error: {
    description: "|forecast − won amount|",
    compute: (scope) => {
      const forecast = measures.forecast_amount?.compute(scope) as MeasureResult;
      const won = amountOf(scope, "won");
      if (forecast.value === null) return { ...forecast, eventIds: [] };
      return { value: Math.abs(forecast.value - (won.value ?? 0)), eventIds: [...forecast.eventIds, ...won.eventIds] };
    },
  },
  commit_won_amount: {
    description: "won amount (in period) of deals in the Commit category at period start",
    compute: (scope) => commitDeals(scope, true),
  },
  commit_total_amount: {
    description: "amount of deals in the Commit category at period start",
    compute: (scope) => commitDeals(scope, false),
  },
  engaged_contacts_mean: {
    description: "mean distinct contacts engaged (interaction or buying role) per open deal",
    compute: (scope) => {
      const deals = openAtPeriodEnd(scope, false);
      const counts = deals.map((deal) => deal.engagedContactIds.length);
      const byAccount = new Map<string, Set<string>>();
      for (const deal of scope.deals) {
        const set = byAccount.get(deal.accountId) ?? new Set<string>();
        for (const contactId of deal.engagedContactIds) set.add(contactId);
        byAccount.set(deal.accountId, set);
      }
      return {
        value: mean(counts),
        ...(counts.length ? {} : { nullReason: "no open deals" }),
        eventIds: deals.flatMap((deal) => deal.facts.roles.map((entry) => entry.eventId)),
        detail: {
          deals: counts.length,
          median: median(counts),
          perAccountMean: mean([...byAccount.values()].map((set) => set.size)),
          singleThreaded: dealRisks(scope).filter((risk) => risk.kind === "single_threaded").length,
        },
      };
    },
  },
  interaction_value_mean: {
    description: "mean over interactions in the period of amount × (probability after − probability before)",
    compute: (scope) => {
      const dealsById = new Map(scope.deals.map((deal) => [deal.id, deal]));
      const values: number[] = [];
      const eventIds: string[] = [];
      for (const deal of dealsById.values()) {
        const entries = deal.facts.interactions.filter((entry) => visible(entry, scope.current));
        entries.forEach((entry, index) => {
          if (!inPeriod(scope, entry.at)) return;
          const next = entries[index + 1];
          const before = probabilityAt(scope, deal, entry.at);
          const afterAt = next ? new Date(Date.parse(next.at) - 1).toISOString() : scope.evaluatedAt;
          const after = probabilityAt(scope, deal, afterAt);
          values.push(amountAt(deal, entry.at, scope.current) * (after - before));
          eventIds.push(entry.eventId);
        });
      }
      return {
        value: mean(values),
        ...(values.length ? {} : { nullReason: "no interactions on deals in period" }),
        eventIds,
        detail: { interactions: values.length },
      };
    },
  },
  reached_accounts: {
    description: "accounts with at least one interaction in the period",
    compute: (scope) => {
      const byAccount = accountTouches(scope);
      return { value: byAccount.size, eventIds: [...byAccount.values()].flatMap((ids) => ids.slice(0, 1)) };
    },
  },
  addressable_accounts: {
    description: "accounts in the addressable set",
    compute: (scope) => {
      const count = () => {
        const accounts = scope.accountIds.map((id) => scope.state.accounts[id]).filter((account) => account?.addressable);
        return { value: accounts.length, eventIds: accounts.map((account) => account?.eventId as string) };
      };
      // Groups the accounts are not split by (team, product, …) all address every account: count those once.
      const everyAccount =
        scope.accountIds.length ===
        scope.index.shared("visibleAccounts", () => visibleAccountIds(scope.state, scope.current).length);
      return everyAccount ? scope.index.shared(`addressable:${scope.accountIds.length}`, count) : count();
    },
  },
  engaged_accounts: {
    description: "reached accounts whose interaction cadence meets the threshold over the period",
    compute: (scope) => {
      const periodDays = (Date.parse(scope.period.toInstant) - Date.parse(scope.period.fromInstant)) / DAY_MS;
      const needed = Math.max(1, Math.ceil(periodDays / scope.config.engagementCadenceDays));
      const engaged = [...accountTouches(scope).entries()].filter(([, ids]) => ids.length >= needed);
      return { value: engaged.length, eventIds: engaged.flatMap(([, ids]) => ids), detail: { interactionsNeeded: needed } };
    },
  },
  lead_response_hours_median: {
    description: "median hours from lead arrival to first touch, leads arriving in the period",
    compute: (scope) => {
      const hours: number[] = [];
      const eventIds: string[] = [];
      let untouched = 0;
      const repFiltered = isRepFiltered(scope);
      const accountFiltered =
        scope.filter.account !== undefined || scope.filter.region !== undefined || scope.filter.segment !== undefined;
      const accounts = accountFiltered ? new Set(scope.accountIds) : undefined;
      const byRep = scope.index.leadsByFirstToucher();
      const leads = repFiltered ? scope.repIds.flatMap((repId) => byRep.get(repId) ?? []) : scope.index.leadsInPeriod();
      for (const lead of leads) {
        if (accounts && lead.accountId !== undefined && !accounts.has(lead.accountId)) continue;
        const first = lead.touches.find((touch) => visible(touch, scope.current));
        if (!first) {
          untouched++;
          continue;
        }
        hours.push((Date.parse(first.at) - Date.parse(lead.at)) / HOUR_MS);
        eventIds.push(lead.eventId, first.eventId);
      }
      return {
        value: median(hours),
        ...(hours.length ? {} : { nullReason: "no touched leads arrived in period" }),
        eventIds,
        detail: {
          p90: percentile(hours, 0.9),
          shareUnderOneHour: hours.length ? hours.filter((h) => h < 1).length / hours.length : null,
          untouched,
        },
      };
    },
  },
  meetings_held: {
    description: "meetings held in the period",
    compute: (scope) => {
      const meetings = interactionsInPeriod(scope).filter((interaction) => interaction.kind === "meeting" && interaction.held);
      return { value: meetings.length, eventIds: meetings.map((meeting) => meeting.eventId) };
    },
  },
  meetings_converted: {
    description: "meetings held in the period followed by a deal created for that account within the configured days",
    compute: (scope) => {
      const windowMs = scope.config.meetingToOpportunityDays * DAY_MS;
      const createdByAccount = new Map<string, { at: string; eventId: string }[]>();
      for (const deal of scope.deals) {
        createdByAccount.set(deal.accountId, [
          ...(createdByAccount.get(deal.accountId) ?? []),
          { at: deal.createdAt, eventId: deal.createdEventId },
        ]);
      }
      const eventIds: string[] = [];
      let converted = 0;
      for (const meeting of interactionsInPeriod(scope)) {
        if (meeting.kind !== "meeting" || !meeting.held) continue;
        const start = Date.parse(meeting.at);
        const deal = createdByAccount.get(meeting.accountId)?.find((entry) => {
          const created = Date.parse(entry.at);
          return created >= start && created - start <= windowMs;
        });
        if (deal) {
          converted++;
          eventIds.push(meeting.eventId, deal.eventId);
        }
      }
      return { value: converted, eventIds };
    },
  },
  outreach_count: {
    description: "outbound interactions in the period",
    compute: (scope) => {
      const outreach = interactionsInPeriod(scope).filter((interaction) => interaction.direction === "outbound");
      return { value: outreach.length, eventIds: outreach.map((interaction) => interaction.eventId) };
    },
  },
  new_deal_count: {
    description: "deals created in the period",
    compute: (scope) => {
      const created = scope.deals.filter((deal) => inPeriod(scope, deal.createdAt));
      return { value: created.length, eventIds: created.map((deal) => deal.createdEventId) };
    },
  },
  active_rep_count: {
    description: "reps employed at some time in the period",
    compute: (scope) => {
      const active = scope.repIds.filter((repId) => {
        const rep = scope.state.reps[repId];
        if (!rep || rep.startDate >= scope.period.to) return false;
        return !(rep.departed && visible(rep.departed, scope.current) && rep.departed.endDate < scope.period.from);
      });
      return { value: active.length, eventIds: active.map((repId) => scope.state.reps[repId]?.eventId as string) };
    },
  },
  stale_deal_count: {
    description: "open deals with no interaction for the configured days, or a silent technical evaluator",
    compute: (scope) => {
      const risks = dealRisks(scope).filter((risk) => risk.kind === "stale" || risk.kind === "evaluator_silent");
      const deals = [...new Set(risks.map((risk) => risk.dealId))];
      return { value: deals.length, eventIds: risks.map((risk) => risk.evidenceEventId), detail: { risks } };
    },
  },
  attainment_distribution: {
    description: "per-rep attainment: won amount ÷ ramp-adjusted quota",
    compute: (scope) => {
      const quotas = repQuotas(scope);
      const won = wonByRep(scope);
      const reps = [...quotas.entries()]
        .filter(([, quota]) => quota.quota > 0)
        .map(([repId, quota]) => ({ repId, won: won.get(repId) ?? 0, quota: quota.quota }));
      return attainmentResult(
        reps,
        [...quotas.values()].flatMap((quota) => quota.eventIds),
      );
    },
  },
  loss_reason_breakdown: {
    description: "lost deals by reason and competitor",
    compute: (scope) => {
      const { deals } = closedInPeriod(scope, "lost");
      const reasons: Record<string, number> = {};
      const competitors: Record<string, number> = {};
      for (const { deal } of deals) {
        const reason = deal.closed?.reason ?? "other";
        reasons[reason] = (reasons[reason] ?? 0) + 1;
        if (deal.closed?.competitor) competitors[deal.closed.competitor] = (competitors[deal.closed.competitor] ?? 0) + 1;
      }
      return {
        value: deals.length,
        eventIds: deals.map(({ deal }) => deal.closed?.eventId as string),
        detail: { reasons, competitors },
      };
    },
  },
};

/**
 * The attainment distribution of reps with a positive quota (won ÷ ramp-adjusted quota, each with its payout
 * multiplier): the share at or above 100%, with percentiles. Shared by the engine and the SQL path.
 */
export function attainmentResult(
  quotas: readonly { repId: string; won: number; quota: number }[],
  eventIds: readonly string[],
): MeasureResult {
  const reps = quotas.map(({ repId, won, quota }) => {
    const attainment = won / quota;
    return { repId, won, quota, attainment, payoutMultiplier: payoutMultiplier(attainment) };
  });
  const values = reps.map((rep) => rep.attainment);
  return {
    value: values.length ? values.filter((value) => value >= 1).length / values.length : null,
    ...(values.length ? {} : { nullReason: "no rep has a quota for this period" }),
    eventIds,
    detail: {
      reps,
      p10: percentile(values, 0.1),
      p25: percentile(values, 0.25),
      p50: percentile(values, 0.5),
      p75: percentile(values, 0.75),
      p90: percentile(values, 0.9),
    },
  };
}

/** Payout multiplier by attainment: 1.0 up to 100%, 1.5 for 100–125%, 2.0 above. */
export function payoutMultiplier(attainment: number): number {
  if (attainment > 1.25) return 2;
  if (attainment >= 1) return 1.5;
  return 1;
}

function commitDeals(scope: KpiScope, wonOnly: boolean): MeasureResult {
  const startSlice = { asOf: scope.period.fromInstant, maxPosition: scope.current.maxPosition };
  const eventIds: string[] = [];
  let total = 0;
  for (const deal of scope.deals) {
    const category = deal.facts.categories.filter((entry) => visible(entry, startSlice)).at(-1);
    if (category?.category !== "commit") continue;
    const created = deal.facts.created;
    if (!created || !visible(created, startSlice)) continue;
    const won = deal.closed?.kind === "won" && inPeriod(scope, deal.closed.at);
    if (wonOnly && !won) continue;
    total += wonOnly ? deal.amount : amountAt(deal, scope.period.fromInstant, startSlice);
    eventIds.push(category.eventId, ...(wonOnly && deal.closed ? [deal.closed.eventId] : []));
  }
  return { value: total, eventIds };
}

function accountTouches(scope: KpiScope): Map<string, string[]> {
  return memo(scope, "accountTouches", () => {
    const byAccount = new Map<string, string[]>();
    for (const interaction of interactionsInPeriod(scope)) append(byAccount, interaction.accountId, interaction.eventId);
    return byAccount;
  });
}
