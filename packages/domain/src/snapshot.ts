import { type RevenueConfig, segmentOf, stageProbability } from "./config.ts";
import { type DealFacts, type GraphState, keepsRecordLog, type Stamp } from "./graph.ts";

/** Which facts a question may see: business time up to `asOf`, log positions up to `maxPosition` (from knownAt). */
export interface TimeSlice {
  readonly asOf: string;
  readonly maxPosition: number;
}

/** The end of time, for "as of whatever is recorded". */
export const END_OF_TIME = "9999-12-31T23:59:59.999Z";

/**
 * Builds a slice: `asOf` filters by occurredAt, `knownAt` by recordedAt (through the graph's record log; a graph
 * that keeps none, see `dropRecordLog`, throws when asked for `knownAt`).
 */
export function timeSlice(
  state: GraphState,
  options: { asOf?: string | undefined; knownAt?: string | undefined } = {},
): TimeSlice {
  let maxPosition = state.position;
  if (options.knownAt !== undefined) {
    if (!keepsRecordLog(state))
      throw new Error("this graph keeps no record log (org graph): take knownAt slices from the fact tables' record_log");
    const knownAt = new Date(options.knownAt).toISOString();
    const log = state.recordLog;
    let low = 0;
    let high = log.length - 1;
    maxPosition = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const entry = log[middle] as [string, number];
      if (entry[0] <= knownAt) {
        maxPosition = entry[1];
        low = middle + 1;
      } else high = middle - 1;
    }
  }
  return { asOf: options.asOf === undefined ? END_OF_TIME : new Date(options.asOf).toISOString(), maxPosition };
}

/** True when a fact is visible in the slice. */
export function visible(stamp: Stamp, slice: TimeSlice): boolean {
  return stamp.at <= slice.asOf && stamp.pos <= slice.maxPosition;
}

function lastVisible<T extends Stamp>(list: readonly T[], slice: TimeSlice): T | undefined {
  for (let index = list.length - 1; index >= 0; index--) {
    const entry = list[index] as T;
    if (visible(entry, slice)) return entry;
  }
  return undefined;
}

/** One stay of a deal in a stage. `leftAt` is null while the deal is still there. */
export interface StageStay {
  readonly stage: string;
  readonly enteredAt: string;
  readonly leftAt: string | null;
  readonly enteredEventId: string;
  readonly leftEventId: string | null;
}

/** One expected close date of a deal, with the event that set it. */
export interface CloseDateEntry extends Stamp {
  readonly date: string;
  /** Set by the close (won or lost) itself: part of the close, not a change of an open deal. */
  readonly closing: boolean;
  /** The deal was open at some time while this was its expected close date (it counts as "forecast to close" then). */
  readonly whileOpen: boolean;
}

/** A deal as it stood in a time slice, derived from its facts. */
export interface DealSnapshot {
  readonly id: string;
  readonly accountId: string;
  readonly ownerRepId: string;
  readonly name: string;
  readonly amount: number;
  readonly currency: string;
  /** The event that set the current amount (creation, amount change, or the win). */
  readonly amountEventId: string;
  readonly stage: string;
  readonly status: "open" | "won" | "lost";
  readonly createdAt: string;
  readonly createdEventId: string;
  /** The event that closed the deal (won or lost) and when, while it stays closed. */
  readonly closed:
    | (Stamp & { kind: "won" | "lost"; reason?: string; competitor?: string; amount?: number; currency?: string })
    | null;
  readonly expectedCloseDate: string;
  /** Every expected close date the deal had, oldest first, with the event that set it. */
  readonly closeDateHistory: readonly CloseDateEntry[];
  /** Moves of the expected close date to a later date made while the deal was open (a close's own date is not one). */
  readonly pushes: number;
  readonly probability: number;
  /** Event that set the explicit probability, or null when it comes from the stage default. */
  readonly probabilityEventId: string | null;
  readonly forecastCategory: string;
  readonly product: string | undefined;
  readonly leadSource: string | undefined;
  readonly segment: string;
  readonly stays: readonly StageStay[];
  /** Current roles by contact. */
  readonly roles: ReadonlyMap<string, readonly string[]>;
  /** Contacts who appeared in an interaction or hold a buying role. */
  readonly engagedContactIds: readonly string[];
  readonly interactionIds: readonly string[];
  readonly lastInteractionAt: string | null;
  readonly gates: ReadonlyMap<string, string>;
  readonly facts: DealFacts;
}

/** A visible stage change or outcome of a deal, with the stage it leads to. */
type TimelineStep = Stamp & {
  stage: string;
  kind: "stage" | "won" | "lost" | "reopened";
  outcome?: DealFacts["outcomes"][number];
};

/** A deal's visible stage changes and outcomes in (business time, position) order, each with the stage it leads to. */
function stageTimeline(
  facts: DealFacts,
  created: NonNullable<DealFacts["created"]>,
  slice: TimeSlice,
  config: RevenueConfig,
): TimelineStep[] {
  const timeline: TimelineStep[] = [];
  for (const change of facts.stages) if (visible(change, slice)) timeline.push({ ...change, stage: change.to, kind: "stage" });
  for (const outcome of facts.outcomes) {
    if (!visible(outcome, slice)) continue;
    const stage =
      outcome.kind === "won" ? config.wonStage : outcome.kind === "lost" ? config.lostStage : (outcome.stage ?? created.stage);
    timeline.push({ ...outcome, stage, kind: outcome.kind, outcome });
  }
  timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.pos - b.pos));
  return timeline;
}

/**
 * The stays a timeline makes: the creation's stage first (even when a back-dated step comes before the creation),
 * then a stay per stage change to another stage and per outcome; a stay ends when the next begins.
 */
function staysOf(created: NonNullable<DealFacts["created"]>, timeline: readonly TimelineStep[]): StageStay[] {
  const stays: StageStay[] = [];
  let current = { stage: created.stage, enteredAt: created.at, enteredEventId: created.eventId };
  for (const step of timeline) {
    if (step.stage === current.stage && step.kind === "stage") continue;
    stays.push({ ...current, leftAt: step.at, leftEventId: step.eventId });
    current = { stage: step.stage, enteredAt: step.at, enteredEventId: step.eventId };
  }
  stays.push({ ...current, leftAt: null, leftEventId: null });
  return stays;
}

/**
 * A deal's stage stays in a slice, as {@link dealAt} derives them (its `stays`), without the rest of the snapshot;
 * empty when the deal's creation is not visible in the slice.
 */
export function dealStays(facts: DealFacts, slice: TimeSlice, config: RevenueConfig): StageStay[] {
  const created = facts.created;
  if (!created || !visible(created, slice)) return [];
  return staysOf(created, stageTimeline(facts, created, slice, config));
}

/**
 * The parts of a deal's snapshot its own stage, amount, close-date, probability, category and owner facts make:
 * everything but its contacts, interactions, gates and facts.
 */
export type DealCore = Omit<
  DealSnapshot,
  "roles" | "engagedContactIds" | "interactionIds" | "lastInteractionAt" | "gates" | "facts"
>;

/**
 * A deal's {@link DealCore} in a slice, as {@link dealAt} derives it; null when the deal did not exist in it. For
 * readers of those fields alone (the fact tables' deal versions and close-date histories, derived at every breakpoint
 * of a deal), which then skip the deal's roles and interactions.
 */
export function dealCoreAt(facts: DealFacts, slice: TimeSlice, config: RevenueConfig): DealCore | null {
  const created = facts.created;
  if (!created || !visible(created, slice)) return null;
  const amountFact = lastVisible(facts.amounts, slice);
  const timeline = stageTimeline(facts, created, slice, config);
  let closed: DealSnapshot["closed"] = null;
  for (const step of timeline) {
    if (step.kind === "won" || step.kind === "lost") {
      closed = {
        at: step.at,
        pos: step.pos,
        eventId: step.eventId,
        kind: step.kind,
        ...(step.outcome?.reason ? { reason: step.outcome.reason } : {}),
        ...(step.outcome?.competitor ? { competitor: step.outcome.competitor } : {}),
        ...(step.outcome?.amount !== undefined ? { amount: step.outcome.amount } : {}),
        ...(step.outcome?.currency !== undefined ? { currency: step.outcome.currency } : {}),
      };
    } else if (step.kind === "reopened") closed = null;
  }
  const stays = staysOf(created, timeline);
  const current = stays.at(-1) as StageStay;
  const { closeDates, pushes } = closeDateHistory(created, facts.closeDates, timeline, slice);
  const probabilityFact = lastVisible(facts.probabilities, slice);
  const explicitProbability = probabilityFact && probabilityFact.at >= current.enteredAt ? probabilityFact : undefined;
  // A closed deal keeps the amount of its close (a win's amount is the amount at the moment of winning).
  const closedAmount = closed?.amount !== undefined ? closed : undefined;
  const amount = closedAmount?.amount ?? amountFact?.amount ?? created.amount;
  return {
    id: facts.id,
    accountId: created.accountId,
    ownerRepId: lastVisible(facts.owners, slice)?.repId ?? created.ownerRepId,
    name: created.name,
    amount,
    currency: closedAmount?.currency ?? amountFact?.currency ?? created.currency,
    amountEventId: closedAmount?.eventId ?? amountFact?.eventId ?? created.eventId,
    stage: current.stage,
    status: closed ? closed.kind : "open",
    createdAt: created.at,
    createdEventId: created.eventId,
    closed,
    expectedCloseDate: (closeDates.at(-1) as { date: string }).date,
    closeDateHistory: closeDates,
    pushes,
    probability: explicitProbability?.probability ?? stageProbability(config, current.stage),
    probabilityEventId: explicitProbability?.eventId ?? null,
    forecastCategory: lastVisible(facts.categories, slice)?.category ?? "pipeline",
    product: created.product,
    leadSource: created.leadSource,
    segment: segmentOf(config, amount),
    stays,
  };
}

/** Derives a deal's state in a slice; null when the deal did not exist in it. */
export function dealAt(state: GraphState, facts: DealFacts, slice: TimeSlice, config: RevenueConfig): DealSnapshot | null {
  const core = dealCoreAt(facts, slice, config);
  if (!core) return null;
  const roleState = new Map<string, Set<string>>();
  for (const change of facts.roles) {
    if (!visible(change, slice)) continue;
    const roles = roleState.get(change.contactId) ?? new Set<string>();
    if (change.assigned) roles.add(change.role);
    else roles.delete(change.role);
    roleState.set(change.contactId, roles);
  }
  const roles = new Map<string, string[]>();
  for (const [contactId, set] of roleState) if (set.size > 0) roles.set(contactId, [...set].sort());
  const engaged = new Set<string>(roles.keys());
  const interactionIds: string[] = [];
  let lastInteractionAt: string | null = null;
  for (const entry of facts.interactions) {
    if (!visible(entry, slice)) continue;
    interactionIds.push(entry.interactionId);
    lastInteractionAt = entry.at;
    for (const contactId of state.interactions[entry.interactionId]?.contactIds ?? []) engaged.add(contactId);
  }
  const gates = new Map<string, string>();
  for (const entry of facts.evidence) if (visible(entry, slice)) gates.set(entry.gate, entry.eventId);
  return { ...core, roles, engagedContactIds: [...engaged].sort(), interactionIds, lastInteractionAt, gates, facts };
}

/** True when stamp `a` comes before stamp `b` in (business time, log position) order. */
function before(a: Stamp, b: Stamp): boolean {
  return a.at < b.at || (a.at === b.at && a.pos < b.pos);
}

/**
 * The deal's expected close dates in the slice, each marked as set by a close or not and as held while the deal was
 * open or not, and the pushes: moves to a later date made while the deal was open, other than by a close.
 * `timeline` holds the deal's visible stage changes and outcomes in (business time, position) order.
 */
function closeDateHistory(
  created: NonNullable<DealFacts["created"]>,
  changes: DealFacts["closeDates"],
  timeline: readonly (Stamp & { kind: "stage" | "won" | "lost" | "reopened" })[],
  slice: TimeSlice,
): { closeDates: CloseDateEntry[]; pushes: number } {
  const entries: (Stamp & { date: string; closing: boolean })[] = [
    { at: created.at, pos: created.pos, eventId: created.eventId, date: created.expectedCloseDate, closing: false },
  ];
  for (const change of changes)
    if (visible(change, slice)) entries.push({ ...change, date: change.date, closing: change.closing === true });
  const outcomes = timeline.filter((step) => step.kind !== "stage");
  const closeDates: CloseDateEntry[] = [];
  let pushes = 0;
  let next = 0;
  let open = true;
  for (const [index, entry] of entries.entries()) {
    // Outcomes before this entry decide whether the deal is open when it is set (a close's own date comes with it).
    while (next < outcomes.length && before(outcomes[next] as Stamp, entry))
      open = (outcomes[next++] as Stamp & { kind: string }).kind === "reopened";
    const openWhenSet = open && !entry.closing;
    const previous = entries[index - 1];
    if (openWhenSet && previous && entry.date > previous.date) pushes++;
    const following = entries[index + 1];
    let reopened = false;
    for (let scan = next; scan < outcomes.length; scan++) {
      const outcome = outcomes[scan] as Stamp & { kind: string };
      if (following && !before(outcome, following)) break;
      if (outcome.kind === "reopened") {
        reopened = true;
        break;
      }
    }
    closeDates.push({ ...entry, whileOpen: openWhenSet || reopened });
  }
  return { closeDates, pushes };
}

/** The team a rep belonged to in a slice (at `at`, default the slice's asOf). */
export function repTeamAt(state: GraphState, repId: string, slice: TimeSlice, at: string = slice.asOf): string | undefined {
  const rep = state.reps[repId];
  if (!rep) return undefined;
  let teamId: string | undefined;
  for (const entry of rep.teams) if (entry.at <= at && visible(entry, slice)) teamId = entry.teamId;
  return teamId;
}

/** The manager of a team in a slice. */
export function teamManagerAt(state: GraphState, teamId: string, slice: TimeSlice): string | undefined {
  const team = state.teams[teamId];
  return team ? lastVisible(team.managers, slice)?.repId : undefined;
}
