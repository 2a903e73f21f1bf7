import { defaultConfig, streamIds } from "@revgraph/domain";
import type { NewEvent } from "@revgraph/events";
import { type Archetype, archetypes } from "./archetypes.ts";
import { SeededRandom } from "./random.ts";

/** Options for {@link generateHistory}. */
export interface HistoryOptions {
  readonly deals: number;
  readonly seed: number;
  /** The generated history ends here: later steps of still-running deals are left out. */
  readonly now: Date;
  /** How far back deals start, in days (default 540). */
  readonly historyDays?: number;
}

/** Events for one stream, with the time each would have been recorded in the CRM. */
export interface GeneratedBatch {
  readonly streamId: string;
  readonly events: NewEvent[];
  /**
   * Record time of each event (same order as `events`), never after `now`: most minutes to hours after its business
   * time, a few corrections and late entries (amounts, close dates, interactions, closes) days or weeks later.
   */
  readonly recordedAt: string[];
}

const DAY = 86_400_000;
const regions = ["NA", "EMEA", "APAC", "LATAM"] as const;
const industries = ["Software", "Finance", "Healthcare", "Retail", "Manufacturing", "Public Sector"] as const;
const products = ["Core", "Analytics", "Platform", "Security"] as const;
const leadSources = ["inbound", "outbound", "partner", "event", "referral"] as const;
const competitors = ["Acme CRM", "Globex", "Initech", "Umbrella"] as const;
const lossReasons = [
  ["pricing", 0.25],
  ["competition", 0.3],
  ["timing", 0.15],
  ["no_decision", 0.25],
  ["other", 0.05],
] as const;
const interactionKinds = ["meeting", "call", "email", "demo"] as const;
const firstNames = [
  "Ana",
  "Ben",
  "Chloé",
  "Dev",
  "Elif",
  "Farid",
  "Grace",
  "Hiro",
  "Ines",
  "Jonas",
  "Kofi",
  "Lena",
  "Mateo",
  "Noor",
  "Olu",
  "Priya",
  "Rafael",
  "Sofia",
  "Tomás",
  "Uma",
  "Viktor",
  "Wen",
  "Yara",
  "Zainab",
];
const lastNames = [
  "Schmidt",
  "Okafor",
  "Tanaka",
  "Silva",
  "Novak",
  "Haddad",
  "Kowalski",
  "Larsen",
  "Moreau",
  "Patel",
  "Quinn",
  "Rossi",
  "Andersen",
  "Bakker",
  "Chen",
  "Dubois",
  "Eriksen",
  "Fischer",
  "García",
  "Ivanova",
];

interface RepPlan {
  readonly repId: string;
  readonly teamId: string;
  readonly archetype: Archetype;
  readonly startDate: string;
  readonly name: string;
}

/** The reps hired by a time, in plan order: all of them and per archetype (see {@link hiredPools}). */
interface HiredReps {
  readonly hired: readonly RepPlan[];
  readonly byArchetype: ReadonlyMap<string, readonly RepPlan[]>;
}

/**
 * The reps hired by each of a rising sequence of times (deals are planned in creation order), in the order of `reps`:
 * each rep joins its lists once, at its start. Filtering every rep for every deal made a million deals (8,334 reps)
 * quadratic: 200k deals took five times as long as 100k.
 */
function hiredPools(reps: readonly RepPlan[], starts: ReadonlyMap<string, number>): (time: number) => HiredReps {
  const startOf = (rep: RepPlan) => starts.get(rep.repId) as number;
  const joining = reps
    .map((rep, order) => ({ rep, order, start: startOf(rep) }))
    .sort((a, b) => a.start - b.start || a.order - b.order);
  const hired: RepPlan[] = [];
  const byArchetype = new Map<string, RepPlan[]>();
  const orderOf = new Map(reps.map((rep, order) => [rep, order]));
  /** Inserts a rep where plan order puts it (reps join by start, which plan order does not follow). */
  const insert = (list: RepPlan[], rep: RepPlan) => {
    const order = orderOf.get(rep) as number;
    let at = list.length;
    while (at > 0 && (orderOf.get(list[at - 1] as RepPlan) as number) > order) at--;
    list.splice(at, 0, rep);
  };
  let next = 0;
  return (time) => {
    for (let joiner = joining[next]; joiner && joiner.start <= time; joiner = joining[++next]) {
      insert(hired, joiner.rep);
      const archetypeId = joiner.rep.archetype.id;
      const list = byArchetype.get(archetypeId) ?? [];
      byArchetype.set(archetypeId, list);
      insert(list, joiner.rep);
    }
    return { hired, byArchetype };
  };
}

/** A deal's outcome, decided before its events so quotas and forecasts can be set against what is won. */
interface DealPlan {
  readonly rep: RepPlan;
  readonly account: { readonly accountId: string; readonly contacts: readonly string[] };
  readonly createdMs: number;
  /** Creation to close; a lost deal ends at the stage it reached, before its planned cycle is over. */
  readonly cycle: number;
  /** The cycle the rep expects (sets the expected close date). */
  readonly plannedCycle: number;
  /** How many stage steps the deal takes: all of them when won. */
  readonly reachedIndex: number;
  readonly won: boolean;
  /** The buyer stops answering part-way; the deal ends without a decision. */
  readonly wentDark: boolean;
  readonly amount: number;
  readonly currency: "USD" | "EUR" | "GBP";
}

/** Rough USD value of a deal currency, for setting quotas and forecasts (the history's rates vary ±4% around it). */
const baseRates = { USD: 1, EUR: 1.08, GBP: 1.27 } as const;
/** Event types that are sometimes entered days or weeks after they happened (corrections and late updates). */
const lateTypes = new Set(["DealAmountChanged", "DealCloseDateChanged", "InteractionLogged", "DealWon", "DealLost"]);
/** Share of ramped rep-quarters the quota is set for to reach (over the quarters the history has settled into). */
const quotaReachedShare = 0.5;
/**
 * The band a rep's quarterly quota is moved into against their own open pipeline three weeks into the quarter: at
 * least that pipeline ÷ `maxCoverage`, at most ÷ `minCoverage`. A team's coverage then follows its reps' segment mix
 * instead of swinging with a few lumpy Enterprise or Strategic deals. The band sits below the 2–5× the demo shows
 * because the planned pipeline leaves out pushed close dates and what is already won (which the KPI's remaining quota
 * subtracts); the calibration spec holds the measured coverage to 2–5×.
 */
const minCoverage = 1.6;
const maxCoverage = 2.6;
/** Share of those events entered late. */
const lateShare = 0.04;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function quarterStart(ms: number): Date {
  const date = new Date(ms);
  return new Date(Date.UTC(date.getUTCFullYear(), Math.floor(date.getUTCMonth() / 3) * 3, 1));
}

function addMonths(date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}

function quarterLabel(date: Date): string {
  return `${date.getUTCFullYear()}-Q${Math.floor(date.getUTCMonth() / 3) + 1}`;
}

/**
 * The archetype of each of `count` reps: one of each first, then in proportion to the archetypes' deal shares (the
 * highest-averages method), so every rep carries a similar number of deals.
 */
function staffing(count: number): Archetype[] {
  const staffed = archetypes.slice(0, count);
  const counts = new Map(archetypes.map((archetype) => [archetype.id, staffed.filter((entry) => entry === archetype).length]));
  while (staffed.length < count) {
    const next = archetypes.reduce((best, archetype) =>
      archetype.share / ((counts.get(archetype.id) ?? 0) + 1) > best.share / ((counts.get(best.id) ?? 0) + 1) ? archetype : best,
    );
    staffed.push(next);
    counts.set(next.id, (counts.get(next.id) ?? 0) + 1);
  }
  return staffed;
}

/** `count` distinct "First Last" names in a seeded order; beyond the combinations, a numeral keeps them distinct. */
function uniqueNames(random: SeededRandom, count: number): string[] {
  const combinations = firstNames.flatMap((first) => lastNames.map((last) => `${first} ${last}`));
  for (let index = combinations.length - 1; index > 0; index--) {
    const other = random.int(0, index);
    [combinations[index], combinations[other]] = [combinations[other] as string, combinations[index] as string];
  }
  return Array.from({ length: count }, (_, index) => {
    const name = combinations[index % combinations.length] as string;
    const round = Math.floor(index / combinations.length);
    return round === 0 ? name : `${name} ${round + 1}`;
  });
}

/**
 * Generates a realistic, deterministic revenue history: teams and ramping reps with quarterly quotas,
 * accounts with buying groups, leads, and deals of the four archetypes moving through the configured
 * stages (with gate evidence, skips, regressions, pushed close dates, interactions with several
 * contacts, forecast categories, wins, losses with reasons and competitors, reopenings) and forecasts.
 * Deal outcomes are decided first, so each archetype's quota is what its median ramped rep wins in a quarter (moved
 * into a coverage band of the rep's own pipeline that quarter) and each quarter's forecast calls are near what was
 * then won. Every event carries the time it would have been
 * recorded (see {@link GeneratedBatch.recordedAt}). Batches come out organisation first, then deals in creation
 * order, then forecasts.
 */
export function* generateHistory(options: HistoryOptions): Generator<GeneratedBatch> {
  const random = new SeededRandom(options.seed);
  const nowMs = options.now.getTime();
  const historyStart = nowMs - (options.historyDays ?? 540) * DAY;
  const at = (ms: number) => new Date(Math.round(ms / 1000) * 1000).toISOString();
  const event = (type: string, data: Record<string, unknown>, ms: number, actor = "generator"): NewEvent => ({
    id: random.uuid(),
    type,
    data,
    occurredAt: at(ms),
    actor,
    source: { system: "revgraph-generator", reference: `seed-${options.seed}` },
  });
  const name = () => `${random.pick(firstNames)} ${random.pick(lastNames)}`;
  /** A stream's events with record times: its first event is recorded before any other of the stream. */
  const batch = (streamId: string, events: NewEvent[]): GeneratedBatch => {
    let firstMs: number | undefined;
    const recordedAt = events.map((entry) => {
      const occurred = Date.parse(entry.occurredAt);
      const late = firstMs !== undefined && lateTypes.has(entry.type) && random.chance(lateShare);
      const delay = late ? random.between(3, 30) * DAY : random.logBetween(60_000, 4 * 3_600_000);
      let ms = Math.floor(Math.min(nowMs, occurred + delay) / 1000) * 1000;
      if (firstMs === undefined) firstMs = ms;
      else ms = Math.max(ms, Math.min(firstMs + 1000, Math.floor(nowMs / 1000) * 1000));
      return new Date(ms).toISOString();
    });
    return { streamId, events, recordedAt };
  };

  const repCount = Math.max(4, Math.ceil(options.deals / 120));
  const teamCount = Math.max(2, Math.ceil(repCount / 6));
  for (let team = 0; team < teamCount; team++) {
    const teamId = `team-${team + 1}`;
    const region = regions[team % regions.length] as string;
    yield batch(streamIds.team(teamId), [
      event(
        "TeamFormed",
        { teamId, name: `${region} ${Math.floor(team / regions.length) + 1}`, region },
        historyStart - 400 * DAY,
      ),
      event("ManagerAssigned", { teamId, managerRepId: `mgr-${team + 1}` }, historyStart - 400 * DAY),
    ]);
  }
  const repNames = uniqueNames(random, repCount);
  const repArchetypes = staffing(repCount);
  const reps: RepPlan[] = repNames.map((repName, index) => {
    const archetype = repArchetypes[index] as Archetype;
    const veteran = random.chance(0.7);
    const startMs = veteran
      ? historyStart - random.int(60, 900) * DAY
      : historyStart + random.int(0, (nowMs - historyStart) / DAY - 30) * DAY;
    return {
      repId: `rep-${index + 1}`,
      teamId: `team-${(index % teamCount) + 1}`,
      archetype,
      startDate: isoDay(startMs),
      name: repName,
    };
  });

  for (const [currency, base] of [
    ["EUR", baseRates.EUR],
    ["GBP", baseRates.GBP],
  ] as const) {
    const events: NewEvent[] = [];
    for (let month = addMonths(new Date(historyStart), -1); month.getTime() <= nowMs; month = addMonths(month, 1)) {
      events.push(
        event(
          "ExchangeRateSet",
          {
            currency,
            baseCurrency: "USD",
            rate: Math.round(base * random.between(0.96, 1.04) * 10_000) / 10_000,
            effectiveDate: isoDay(month.getTime()),
          },
          month.getTime(),
          "treasury",
        ),
      );
    }
    yield batch(streamIds.rates(currency), events);
  }

  const accountsByArchetype = new Map<string, { accountId: string; contacts: string[] }[]>();
  const accountCount = Math.max(10, Math.ceil(options.deals / 2.5));
  for (let index = 0; index < accountCount; index++) {
    const archetype = archetypes[index % 20 === 19 ? 3 : index % 8 === 7 ? 2 : index % 3 === 2 ? 1 : 0] as Archetype;
    const accountId = `acct-${index + 1}`;
    const contacts: string[] = [];
    const events = [
      event(
        "AccountRegistered",
        {
          accountId,
          name: `${random.pick(lastNames)} ${random.pick(industries)} ${index + 1}`,
          segment: archetype.id,
          region: random.pick(regions),
          industry: random.pick(industries),
          addressable: random.chance(0.9),
        },
        historyStart - 30 * DAY,
      ),
    ];
    const contactCount = random.int(archetype.buyingGroup[0], archetype.buyingGroup[1]) + 1;
    for (let contact = 0; contact < contactCount; contact++) {
      const contactId = `${accountId}-c${contact + 1}`;
      contacts.push(contactId);
      events.push(
        event(
          "ContactAdded",
          {
            contactId,
            accountId,
            name: name(),
            title: random.pick(["VP Sales", "CTO", "Engineer", "CFO", "Procurement", "Ops Lead"]),
          },
          historyStart - 30 * DAY,
        ),
      );
    }
    const ofArchetype = accountsByArchetype.get(archetype.id) ?? [];
    accountsByArchetype.set(archetype.id, ofArchetype);
    ofArchetype.push({ accountId, contacts });
    yield batch(streamIds.account(accountId), events);
  }

  const stages = defaultConfig.stages;
  const createdTimes = Array.from({ length: options.deals }, () => random.between(historyStart, nowMs - DAY)).sort(
    (a, b) => a - b,
  );
  // Each deal's archetype follows the archetypes' shares; it goes to the next rep of that archetype already hired.
  const repStarts = new Map(reps.map((rep) => [rep.repId, Date.parse(`${rep.startDate}T09:00:00Z`)]));
  const hiredBy = hiredPools(reps, repStarts);
  const turns = new Map<string, number>();
  const plans: DealPlan[] = createdTimes.map((createdTime) => {
    const archetype = random.weighted(archetypes.map((entry) => [entry, entry.share] as const));
    const { hired, byArchetype } = hiredBy(createdTime);
    const candidates = byArchetype.get(archetype.id) ?? [];
    const pool = candidates.length ? candidates : hired.length ? hired : reps;
    const turn = turns.get(archetype.id) ?? 0;
    turns.set(archetype.id, turn + 1);
    const rep = pool[turn % pool.length] as RepPlan;
    const accounts = accountsByArchetype.get(archetype.id) ?? [...accountsByArchetype.values()].flat();
    const plannedCycle = random.between(archetype.cycleDays[0], archetype.cycleDays[1]) * DAY;
    const won = random.chance(random.between(archetype.winRate[0], archetype.winRate[1]));
    const reachedIndex = won ? stages.length : random.int(0, stages.length - 1);
    // Some buyers go dark part-way: such deals linger open, silent, until the rep gives up at the planned close.
    const wentDark = !won && random.chance(0.25);
    const cycle =
      won || wentDark ? plannedCycle : (plannedCycle * (reachedIndex + 1) * random.between(0.9, 1.2)) / (stages.length + 1);
    const amount = Math.round(random.logBetween(archetype.acv[0], archetype.acv[1]) / 100) * 100;
    return {
      rep,
      account: random.pick(accounts),
      createdMs: Math.max(createdTime, Date.parse(`${rep.startDate}T09:00:00Z`)),
      cycle,
      plannedCycle,
      reachedIndex,
      won,
      wentDark,
      amount,
      currency: random.chance(0.85) ? "USD" : random.chance(0.66) ? "EUR" : "GBP",
    };
  });
  // Won amount per rep and team and quarter (by planned close, also past `now`), in USD at the base rates.
  const wonByRepQuarter = new Map<string, number>();
  const wonByTeamQuarter = new Map<string, number>();
  for (const plan of plans) {
    const closeMs = plan.createdMs + plan.cycle;
    if (!plan.won) continue;
    const quarter = quarterLabel(quarterStart(closeMs));
    const usd = plan.amount * baseRates[plan.currency];
    const repKey = `${plan.rep.repId}|${quarter}`;
    const teamKey = `${plan.rep.teamId}|${quarter}`;
    wonByRepQuarter.set(repKey, (wonByRepQuarter.get(repKey) ?? 0) + usd);
    wonByTeamQuarter.set(teamKey, (wonByTeamQuarter.get(teamKey) ?? 0) + usd);
  }
  // Open pipeline per rep and quarter three weeks into it, expected to close in the quarter, in USD: a deal's first
  // expected close falls at 0.7–1.0 of its planned cycle, so 0.85 stands for it here.
  const pipelineByRepQuarter = new Map<string, number>();
  for (let quarter = quarterStart(historyStart); quarter.getTime() <= nowMs; quarter = addMonths(quarter, 3)) {
    const snapshot = quarter.getTime() + 21 * DAY;
    const end = addMonths(quarter, 3).getTime();
    for (const plan of plans) {
      const expectedMs = plan.createdMs + plan.plannedCycle * 0.85;
      const open = plan.createdMs <= snapshot && plan.createdMs + plan.cycle > snapshot;
      if (!open || expectedMs < quarter.getTime() || expectedMs >= end) continue;
      const key = `${plan.rep.repId}|${quarterLabel(quarter)}`;
      pipelineByRepQuarter.set(key, (pipelineByRepQuarter.get(key) ?? 0) + plan.amount * baseRates[plan.currency]);
    }
  }
  // Each archetype's quota, from what its ramped reps won per quarter in the whole quarters after the first pipeline
  // has had time to close (half a year into the history).
  const quotaByArchetype = new Map<string, number>();
  for (const archetype of archetypes) {
    const samples: number[] = [];
    for (const rep of reps.filter((entry) => entry.archetype.id === archetype.id)) {
      const rampedFrom = (repStarts.get(rep.repId) as number) + 90 * DAY;
      for (let quarter = quarterStart(historyStart); addMonths(quarter, 3).getTime() <= nowMs; quarter = addMonths(quarter, 3)) {
        if (quarter.getTime() < historyStart + 180 * DAY || quarter.getTime() < rampedFrom) continue;
        samples.push(wonByRepQuarter.get(`${rep.repId}|${quarterLabel(quarter)}`) ?? 0);
      }
    }
    // Set where a little over half of the ramped rep-quarters reach it; lumpy archetypes whose typical quarter wins
    // nothing get a share of their mean instead.
    const sorted = [...samples].sort((a, b) => a - b);
    const quantile = sorted[Math.floor(sorted.length * (1 - quotaReachedShare))] ?? 0;
    const mean = samples.length ? samples.reduce((total, value) => total + value, 0) / samples.length : 0;
    const typical = quantile > 0 ? quantile : mean * 0.85;
    quotaByArchetype.set(
      archetype.id,
      typical > 0 ? Math.max(10_000, Math.round(typical / 10_000) * 10_000) : archetype.quarterlyQuota,
    );
  }

  /** The archetype's quota, moved into the coverage band of what the rep's own pipeline three weeks in holds. */
  const quotaFor = (rep: RepPlan, quarter: Date): number => {
    const quota = quotaByArchetype.get(rep.archetype.id) ?? rep.archetype.quarterlyQuota;
    const pipeline = pipelineByRepQuarter.get(`${rep.repId}|${quarterLabel(quarter)}`) ?? 0;
    if (pipeline <= 0) return quota;
    return Math.max(
      10_000,
      Math.round(Math.min(Math.max(quota, pipeline / maxCoverage), pipeline / minCoverage) / 10_000) * 10_000,
    );
  };
  for (const rep of reps) {
    const startMs = Date.parse(`${rep.startDate}T09:00:00Z`);
    const events = [
      event(
        "RepHired",
        {
          repId: rep.repId,
          name: rep.name,
          teamId: rep.teamId,
          startDate: rep.startDate,
          region: regions[(Number(rep.teamId.slice(5)) - 1) % regions.length],
        },
        startMs,
      ),
    ];
    for (
      let quarter = quarterStart(Math.max(startMs, historyStart));
      quarter.getTime() <= nowMs;
      quarter = addMonths(quarter, 3)
    ) {
      const end = addMonths(quarter, 3);
      events.push(
        event(
          "QuotaSet",
          {
            repId: rep.repId,
            period: quarterLabel(quarter),
            from: isoDay(quarter.getTime()),
            to: isoDay(end.getTime()),
            amount: quotaFor(rep, quarter),
            currency: "USD",
          },
          Math.max(quarter.getTime(), startMs),
          "revops",
        ),
      );
    }
    yield batch(streamIds.rep(rep.repId), events);
  }

  for (const [index, plan] of plans.entries()) {
    const { rep, account, createdMs, cycle, plannedCycle, reachedIndex, won, wentDark, amount, currency } = plan;
    const archetype = rep.archetype;
    const dealId = `deal-${index + 1}`;
    const closeMs = createdMs + cycle;
    const events: NewEvent[] = [];
    const emit = (type: string, data: Record<string, unknown>, ms: number) => {
      if (ms <= nowMs) events.push(event(type, { dealId, ...data }, ms, rep.repId));
    };
    if (random.chance(0.4)) {
      const leadId = `lead-${index + 1}`;
      const arrived = createdMs - random.between(1, 10) * DAY;
      const touched = arrived + random.logBetween(0.05, 96) * 3_600_000;
      yield batch(streamIds.lead(leadId), [
        event("LeadArrived", { leadId, accountId: account.accountId, source: random.pick(leadSources) }, arrived, "marketing"),
        ...(touched <= nowMs
          ? [event("LeadTouched", { leadId, repId: rep.repId, channel: random.pick(["call", "email"]) }, touched, rep.repId)]
          : []),
      ]);
    }
    let expectedClose = createdMs + plannedCycle * random.between(0.7, 1.0);
    emit(
      "DealCreated",
      {
        accountId: account.accountId,
        ownerRepId: rep.repId,
        name: `${random.pick(products)} for ${account.accountId}`,
        amount,
        currency,
        stage: stages[0]?.id,
        expectedCloseDate: isoDay(expectedClose),
        product: random.pick(products),
        leadSource: random.pick(leadSources),
      },
      createdMs,
    );
    const stageTimes = Array.from(
      { length: reachedIndex },
      (_, step) => createdMs + ((cycle * (step + 1)) / (reachedIndex + 1)) * random.between(0.85, 1.1),
    ).sort((a, b) => a - b);
    const groupSize = Math.min(account.contacts.length, random.int(archetype.buyingGroup[0], archetype.buyingGroup[1]));
    const group = account.contacts.slice(0, groupSize);
    const interactionCount = Math.min(30, Math.round(groupSize * 1.5 + cycle / DAY / 12 + random.int(1, 3)));
    // Some buyers go dark part-way: no interactions after that point, and such deals end without a decision.
    const darkAfter = wentDark ? createdMs + cycle * random.between(0.2, 0.6) : Number.POSITIVE_INFINITY;
    for (let step = 0; step < interactionCount; step++) {
      const ms = createdMs + (cycle * (step + random.next())) / interactionCount;
      if (ms > darkAfter) break;
      const contacts = group.filter(() => random.chance(0.5));
      emit(
        "InteractionLogged",
        {
          interactionId: `${dealId}-i${step + 1}`,
          accountId: account.accountId,
          repId: rep.repId,
          kind: random.pick(interactionKinds),
          direction: random.chance(0.8) ? "outbound" : "inbound",
          contactIds: contacts.length ? contacts : group.slice(0, 1),
        },
        ms,
      );
    }
    const roles = ["champion", "technical_evaluator", "economic_buyer"] as const;
    roles.forEach((role, roleIndex) => {
      const contactId = group[roleIndex % Math.max(group.length, 1)];
      if (contactId && roleIndex <= reachedIndex)
        emit("ContactRoleAssigned", { contactId, role }, createdMs + (cycle * (roleIndex + 0.5)) / (stages.length + 1));
    });
    let current = stages[0]?.id as string;
    for (let step = 0; step < reachedIndex && step < stages.length - 1; step++) {
      const ms = stageTimes[step] as number;
      const gate = stages[step]?.exitGate;
      const skip = step < stages.length - 2 && random.chance(0.05);
      if (gate && !skip) emit("GateEvidenceRecorded", { gate, evidence: `${gate.replaceAll("_", " ")} confirmed` }, ms - DAY / 2);
      let target = stages[step + 1]?.id as string;
      if (skip) {
        target = stages[step + 2]?.id as string;
        emit("DealStageChanged", { from: current, to: target, override: { reason: "fast-tracked by sales leadership" } }, ms);
        current = target;
        step++;
        continue;
      }
      emit("DealStageChanged", { from: current, to: target }, ms);
      if (step > 0 && random.chance(0.05)) {
        emit("DealStageChanged", { from: target, to: current }, ms + DAY);
        emit("DealStageChanged", { from: current, to: target }, ms + 3 * DAY);
      }
      current = target;
      if (random.chance(0.2))
        emit("DealProbabilityChanged", { probability: Math.round(random.between(0.1, 0.9) * 100) / 100 }, ms + DAY);
    }
    if (current === stages.at(-1)?.id)
      emit(
        "DealForecastCategoryChanged",
        { category: random.chance(0.7) ? "commit" : "best_case" },
        (stageTimes.at(-1) ?? createdMs) + DAY,
      );
    const pushes = random.chance(0.3) ? random.int(1, 3) : 0;
    for (let push = 0; push < pushes; push++) {
      const ms = createdMs + cycle * random.between(0.5, 0.95);
      expectedClose += random.int(14, 45) * DAY;
      emit("DealCloseDateChanged", { expectedCloseDate: isoDay(expectedClose) }, ms);
    }
    if (random.chance(0.08))
      emit("DealAmountChanged", { amount: Math.round(amount * random.between(0.8, 1.2)), currency }, createdMs + cycle / 3);
    const finalMs = Math.max(closeMs, ...events.map((entry) => Date.parse(entry.occurredAt) + 1000));
    if (won) emit("DealWon", { amount, currency }, finalMs);
    else {
      const reason = wentDark ? "no_decision" : random.weighted(lossReasons);
      emit(
        "DealLost",
        { reason, ...(reason === "competition" || random.chance(0.2) ? { competitor: random.pick(competitors) } : {}) },
        finalMs,
      );
      if (random.chance(0.03)) {
        emit("DealReopened", { stage: stages[0]?.id, reason: "buyer came back" }, finalMs + 20 * DAY);
        emit("DealLost", { reason: "no_decision" }, finalMs + 50 * DAY);
      }
    }
    events.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
    if (events.length) yield batch(streamIds.deal(dealId), events);
  }

  // Each quarter's forecast calls: the opening call a few days before the quarter starts (what forecast accuracy
  // reads by default) and a mid-quarter update, each within about ±20% of what the team then won.
  for (let quarter = quarterStart(historyStart); quarter.getTime() <= nowMs; quarter = addMonths(quarter, 3)) {
    const end = addMonths(quarter, 3);
    const base = { period: quarterLabel(quarter), from: isoDay(quarter.getTime()), to: isoDay(end.getTime()), currency: "USD" };
    const calls = [
      { suffix: "", submitted: quarter.getTime() - 3 * DAY, error: [0.8, 1.2] },
      { suffix: "-mid", submitted: quarter.getTime() + 45 * DAY, error: [0.9, 1.1] },
    ] as const;
    for (const call of calls) {
      if (call.submitted > nowMs) break;
      let company = 0;
      for (let team = 0; team < teamCount; team++) {
        const teamId = `team-${team + 1}`;
        const amount =
          Math.round(
            ((wonByTeamQuarter.get(`${teamId}|${base.period}`) ?? 0) * random.between(call.error[0], call.error[1])) / 1_000,
          ) * 1_000;
        company += amount;
        const data = {
          ...base,
          forecastId: `${teamId}-${base.period}${call.suffix}`,
          scope: { kind: "team", id: teamId },
          amount,
        };
        yield batch(streamIds.forecast("team", teamId), [event("ForecastSubmitted", data, call.submitted, `mgr-${team + 1}`)]);
      }
      const data = {
        ...base,
        forecastId: `company-${base.period}${call.suffix}`,
        scope: { kind: "company", id: "company" },
        amount: company,
      };
      yield batch(streamIds.forecast("company", "company"), [event("ForecastSubmitted", data, call.submitted, "cro")]);
    }
  }
}
