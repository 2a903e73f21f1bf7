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

/** Events for one stream, to append in one call. */
export interface GeneratedBatch {
  readonly streamId: string;
  readonly events: NewEvent[];
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
];

interface RepPlan {
  readonly repId: string;
  readonly teamId: string;
  readonly archetype: Archetype;
  readonly startDate: string;
}

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
 * Generates a realistic, deterministic revenue history: teams and ramping reps with quarterly quotas,
 * accounts with buying groups, leads, and deals of the four archetypes moving through the configured
 * stages (with gate evidence, skips, regressions, pushed close dates, interactions with several
 * contacts, forecast categories, wins, losses with reasons and competitors, reopenings) and forecasts.
 * Batches come out organisation first, then deals in creation order.
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

  const repCount = Math.max(4, Math.ceil(options.deals / 120));
  const teamCount = Math.max(2, Math.ceil(repCount / 6));
  const reps: RepPlan[] = [];
  for (let team = 0; team < teamCount; team++) {
    const teamId = `team-${team + 1}`;
    const region = regions[team % regions.length] as string;
    yield {
      streamId: streamIds.team(teamId),
      events: [
        event(
          "TeamFormed",
          { teamId, name: `${region} ${Math.floor(team / regions.length) + 1}`, region },
          historyStart - 400 * DAY,
        ),
        event("ManagerAssigned", { teamId, managerRepId: `mgr-${team + 1}` }, historyStart - 400 * DAY),
      ],
    };
  }
  for (let index = 0; index < repCount; index++) {
    const repId = `rep-${index + 1}`;
    const teamId = `team-${(index % teamCount) + 1}`;
    const archetype = archetypes[index % 7 === 6 ? 3 : index % 5 === 4 ? 2 : index % 3 === 2 ? 1 : 0] as Archetype;
    const veteran = random.chance(0.7);
    const startMs = veteran
      ? historyStart - random.int(60, 900) * DAY
      : historyStart + random.int(0, (nowMs - historyStart) / DAY - 30) * DAY;
    const startDate = isoDay(startMs);
    reps.push({ repId, teamId, archetype, startDate });
    const events = [
      event(
        "RepHired",
        { repId, name: name(), teamId, startDate, region: regions[(index % teamCount) % regions.length] },
        Date.parse(`${startDate}T09:00:00Z`),
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
            repId,
            period: quarterLabel(quarter),
            from: isoDay(quarter.getTime()),
            to: isoDay(end.getTime()),
            amount: archetype.quarterlyQuota,
            currency: "USD",
          },
          Math.max(quarter.getTime(), Date.parse(`${startDate}T09:00:00Z`)),
          "revops",
        ),
      );
    }
    yield { streamId: streamIds.rep(repId), events };
  }

  for (const [currency, base] of [
    ["EUR", 1.08],
    ["GBP", 1.27],
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
    yield { streamId: streamIds.rates(currency), events };
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
    accountsByArchetype.set(archetype.id, [...(accountsByArchetype.get(archetype.id) ?? []), { accountId, contacts }]);
    yield { streamId: streamIds.account(accountId), events };
  }

  const stages = defaultConfig.stages;
  const createdTimes = Array.from({ length: options.deals }, () => random.between(historyStart, nowMs - DAY)).sort(
    (a, b) => a - b,
  );
  for (let index = 0; index < options.deals; index++) {
    const rep = reps[index % reps.length] as RepPlan;
    const archetype = rep.archetype;
    const accounts = accountsByArchetype.get(archetype.id) ?? [...accountsByArchetype.values()].flat();
    const account = random.pick(accounts);
    const dealId = `deal-${index + 1}`;
    const createdMs = Math.max(createdTimes[index] as number, Date.parse(`${rep.startDate}T09:00:00Z`));
    const cycle = random.between(archetype.cycleDays[0], archetype.cycleDays[1]) * DAY;
    const closeMs = createdMs + cycle;
    const won = random.chance(random.between(archetype.winRate[0], archetype.winRate[1]));
    const amount = Math.round(random.logBetween(archetype.acv[0], archetype.acv[1]) / 100) * 100;
    const currency = random.chance(0.85) ? "USD" : random.chance(0.66) ? "EUR" : "GBP";
    const events: NewEvent[] = [];
    const emit = (type: string, data: Record<string, unknown>, ms: number) => {
      if (ms <= nowMs) events.push(event(type, { dealId, ...data }, ms, rep.repId));
    };
    if (random.chance(0.4)) {
      const leadId = `lead-${index + 1}`;
      const arrived = createdMs - random.between(1, 10) * DAY;
      const touched = arrived + random.logBetween(0.05, 96) * 3_600_000;
      yield {
        streamId: streamIds.lead(leadId),
        events: [
          event("LeadArrived", { leadId, accountId: account.accountId, source: random.pick(leadSources) }, arrived, "marketing"),
          ...(touched <= nowMs
            ? [event("LeadTouched", { leadId, repId: rep.repId, channel: random.pick(["call", "email"]) }, touched, rep.repId)]
            : []),
        ],
      };
    }
    let expectedClose = createdMs + cycle * random.between(0.7, 1.0);
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
    const reachedIndex = won ? stages.length : random.int(0, stages.length - 1);
    const stageTimes = Array.from(
      { length: reachedIndex },
      (_, step) => createdMs + ((cycle * (step + 1)) / (reachedIndex + 1)) * random.between(0.85, 1.1),
    ).sort((a, b) => a - b);
    const groupSize = Math.min(account.contacts.length, random.int(archetype.buyingGroup[0], archetype.buyingGroup[1]));
    const group = account.contacts.slice(0, groupSize);
    const interactionCount = Math.min(30, Math.round(groupSize * 1.5 + cycle / DAY / 12 + random.int(1, 3)));
    // Some buyers go dark part-way: no interactions after that point, and such deals end without a decision.
    const wentDark = !won && random.chance(0.25);
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
    if (events.length) yield { streamId: streamIds.deal(dealId), events };
  }

  for (let quarter = quarterStart(historyStart); quarter.getTime() <= nowMs; quarter = addMonths(quarter, 3)) {
    const submitted = quarter.getTime() + 7 * DAY;
    if (submitted > nowMs) break;
    const end = addMonths(quarter, 3);
    const base = { period: quarterLabel(quarter), from: isoDay(quarter.getTime()), to: isoDay(end.getTime()), currency: "USD" };
    let company = 0;
    for (let team = 0; team < teamCount; team++) {
      const teamId = `team-${team + 1}`;
      const quota = reps.filter((rep) => rep.teamId === teamId).reduce((total, rep) => total + rep.archetype.quarterlyQuota, 0);
      const amount = Math.round(quota * random.between(0.5, 0.9));
      company += amount;
      yield {
        streamId: streamIds.forecast("team", teamId),
        events: [
          event(
            "ForecastSubmitted",
            { ...base, forecastId: `${teamId}-${base.period}`, scope: { kind: "team", id: teamId }, amount },
            submitted,
            `mgr-${team + 1}`,
          ),
        ],
      };
    }
    yield {
      streamId: streamIds.forecast("company", "company"),
      events: [
        event(
          "ForecastSubmitted",
          { ...base, forecastId: `company-${base.period}`, scope: { kind: "company", id: "company" }, amount: company },
          submitted,
          "cro",
        ),
      ],
    };
  }
}
