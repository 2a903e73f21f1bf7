import type { DomainEvent, EventData } from "@revgraph/events";
import { match, P } from "ts-pattern";
import { type RevenueConfig, stageIndex } from "./config.ts";

/** Commands a deal accepts. */
export type DealCommand =
  | {
      type: "OpenDeal";
      dealId: string;
      accountId: string;
      ownerRepId: string;
      name: string;
      amount: number;
      currency?: string;
      stage?: string;
      expectedCloseDate: string;
      product?: string;
      leadSource?: string;
    }
  | { type: "ChangeAmount"; dealId: string; amount: number; currency?: string }
  | { type: "MoveCloseDate"; dealId: string; expectedCloseDate: string }
  | { type: "ChangeStage"; dealId: string; to: string; override?: { reason: string } }
  | { type: "RecordGateEvidence"; dealId: string; gate: string; evidence: string; contactId?: string }
  | { type: "AssignContactRole"; dealId: string; contactId: string; role: EventData<"ContactRoleAssigned">["role"] }
  | { type: "RemoveContactRole"; dealId: string; contactId: string; role: EventData<"ContactRoleRemoved">["role"] }
  | {
      type: "LogInteraction";
      dealId: string;
      interactionId: string;
      repId: string;
      kind: EventData<"InteractionLogged">["kind"];
      direction: EventData<"InteractionLogged">["direction"];
      contactIds: string[];
      summary?: string;
    }
  | { type: "SetProbability"; dealId: string; probability: number }
  | { type: "SetForecastCategory"; dealId: string; category: EventData<"DealForecastCategoryChanged">["category"] }
  | { type: "ChangeOwner"; dealId: string; ownerRepId: string }
  | {
      type: "WinDeal";
      dealId: string;
      /** The amount won, when it changes with the win (default: the deal's amount). */
      amount?: number;
      /** The close date, when it changes with the win: part of the close, not a push. */
      expectedCloseDate?: string;
      override?: { reason: string };
    }
  | {
      type: "LoseDeal";
      dealId: string;
      reason: EventData<"DealLost">["reason"];
      competitor?: string;
      note?: string;
      /** The amount, when it changes with the loss (in the deal's currency unless `currency` says otherwise). */
      amount?: number;
      currency?: string;
      /** The close date, when it changes with the loss: part of the close, not a push. */
      expectedCloseDate?: string;
    }
  | { type: "ReopenDeal"; dealId: string; stage?: string; reason?: string };

/** What the deal decider needs to know, rebuilt from the deal's own events by {@link evolveDeal}. */
export interface DealDecisionState {
  readonly exists: boolean;
  readonly accountId: string;
  readonly stage: string;
  readonly status: "open" | "won" | "lost";
  readonly amount: number;
  readonly currency: string;
  readonly expectedCloseDate: string;
  readonly ownerRepId: string;
  readonly gates: readonly string[];
  readonly roles: Readonly<Record<string, readonly string[]>>;
  readonly lastOpenStage: string;
}

/** The state of a deal that does not exist yet. */
export const initialDealState: DealDecisionState = {
  exists: false,
  accountId: "",
  stage: "",
  status: "open",
  amount: 0,
  currency: "USD",
  expectedCloseDate: "",
  ownerRepId: "",
  gates: [],
  roles: {},
  lastOpenStage: "",
};

/** Why a command was refused. Each carries what a caller needs to fix it. */
export type DomainError =
  | { code: "not_found"; message: string }
  | { code: "already_exists"; message: string }
  | { code: "deal_closed"; message: string; status: "won" | "lost" }
  | { code: "not_closed"; message: string }
  | { code: "gate_not_met"; message: string; stage: string; missingEvidence: string[] }
  | { code: "unknown_stage"; message: string; stage: string; knownStages: string[] }
  | { code: "no_change"; message: string };

/** A decision: the events to record, or why not. */
export type Decision = { ok: true; events: DomainEvent[] } | { ok: false; error: DomainError };

const accept = (...events: DomainEvent[]): Decision => ({ ok: true, events });
const refuse = (error: DomainError): Decision => ({ ok: false, error });

/** Folds one of the deal's own events into the decision state. */
export function evolveDeal(state: DealDecisionState, event: DomainEvent, config: RevenueConfig): DealDecisionState {
  return match(event)
    .with({ type: "DealCreated" }, ({ data }) => ({
      ...state,
      exists: true,
      accountId: data.accountId,
      stage: data.stage,
      lastOpenStage: data.stage,
      amount: data.amount,
      currency: data.currency,
      expectedCloseDate: data.expectedCloseDate,
      ownerRepId: data.ownerRepId,
    }))
    .with({ type: "DealAmountChanged" }, ({ data }) => ({ ...state, amount: data.amount, currency: data.currency }))
    .with({ type: "DealCloseDateChanged" }, ({ data }) => ({ ...state, expectedCloseDate: data.expectedCloseDate }))
    .with({ type: "DealStageChanged" }, ({ data }) => ({ ...state, stage: data.to, lastOpenStage: data.to }))
    .with({ type: "DealOwnerChanged" }, ({ data }) => ({ ...state, ownerRepId: data.ownerRepId }))
    .with({ type: "DealWon" }, ({ data }) => ({
      ...state,
      status: "won" as const,
      stage: config.wonStage,
      amount: data.amount,
      currency: data.currency,
      expectedCloseDate: data.expectedCloseDate ?? state.expectedCloseDate,
    }))
    .with({ type: "DealLost" }, ({ data }) => ({
      ...state,
      status: "lost" as const,
      stage: config.lostStage,
      amount: data.amount ?? state.amount,
      currency: data.amount === undefined ? state.currency : (data.currency ?? state.currency),
      expectedCloseDate: data.expectedCloseDate ?? state.expectedCloseDate,
    }))
    .with({ type: "DealReopened" }, ({ data }) => ({
      ...state,
      status: "open" as const,
      stage: data.stage,
      lastOpenStage: data.stage,
    }))
    .with({ type: "GateEvidenceRecorded" }, ({ data }) => ({ ...state, gates: [...new Set([...state.gates, data.gate])] }))
    .with({ type: "ContactRoleAssigned" }, ({ data }) => ({
      ...state,
      roles: { ...state.roles, [data.contactId]: [...new Set([...(state.roles[data.contactId] ?? []), data.role])] },
    }))
    .with({ type: "ContactRoleRemoved" }, ({ data }) => ({
      ...state,
      roles: { ...state.roles, [data.contactId]: (state.roles[data.contactId] ?? []).filter((role) => role !== data.role) },
    }))
    .with(
      {
        type: P.union(
          "DealProbabilityChanged",
          "DealForecastCategoryChanged",
          "InteractionLogged",
          "AccountRegistered",
          "AccountOwnerAssigned",
          "ContactAdded",
          "TeamFormed",
          "ManagerAssigned",
          "RepHired",
          "RepTransferred",
          "RepDeparted",
          "QuotaSet",
          "LeadArrived",
          "LeadTouched",
          "ForecastSubmitted",
          "ExchangeRateSet",
          "LogCheckpointed",
        ),
      },
      () => state,
    )
    .exhaustive();
}

/** Evidence still missing to move a deal from `from` to `to` (every stage passed must have its exit gate). */
export function missingEvidence(config: RevenueConfig, from: string, to: string, gates: readonly string[]): string[] {
  const fromIndex = stageIndex(config, from) ?? 0;
  const toIndex = stageIndex(config, to) ?? 0;
  const missing: string[] = [];
  for (let index = Math.max(fromIndex, 0); index < Math.min(toIndex, config.stages.length); index++) {
    const gate = config.stages[index]?.exitGate;
    if (gate && !gates.includes(gate)) missing.push(gate);
  }
  return missing;
}

function gateCheck(
  config: RevenueConfig,
  state: DealDecisionState,
  to: string,
  override: { reason: string } | undefined,
): DomainError | null {
  const missing = missingEvidence(config, state.stage, to, state.gates);
  if (missing.length === 0 || override) return null;
  return {
    code: "gate_not_met",
    stage: state.stage,
    missingEvidence: missing,
    message: `deal cannot advance from ${state.stage} to ${to}: missing evidence ${missing.join(", ")} (record it, or pass override with a reason)`,
  };
}

/**
 * Decides a deal command against the deal's state: pure, no I/O; time comes in as `now`.
 * Closed deals refuse every change except reopening; advancing past a stage needs its exit gate's evidence.
 */
export function decideDeal(command: DealCommand, state: DealDecisionState, config: RevenueConfig): Decision {
  if (command.type === "OpenDeal") {
    if (state.exists) return refuse({ code: "already_exists", message: `deal ${command.dealId} already exists` });
    const stage = command.stage ?? (config.stages[0]?.id as string);
    const index = stageIndex(config, stage);
    if (index === undefined || index < 0 || index >= config.stages.length) return refuse(unknownStage(config, stage));
    return accept({
      type: "DealCreated",
      data: {
        dealId: command.dealId,
        accountId: command.accountId,
        ownerRepId: command.ownerRepId,
        name: command.name,
        amount: command.amount,
        currency: command.currency ?? config.baseCurrency,
        stage,
        expectedCloseDate: command.expectedCloseDate,
        ...(command.product ? { product: command.product } : {}),
        ...(command.leadSource ? { leadSource: command.leadSource } : {}),
      },
    });
  }
  if (!state.exists) return refuse({ code: "not_found", message: `deal ${command.dealId} does not exist` });
  if (command.type === "ReopenDeal") {
    if (state.status === "open")
      return refuse({ code: "not_closed", message: `deal ${command.dealId} is open; only closed deals can be reopened` });
    const stage = command.stage ?? state.lastOpenStage;
    const index = stageIndex(config, stage);
    if (index === undefined || index < 0 || index >= config.stages.length) return refuse(unknownStage(config, stage));
    return accept({
      type: "DealReopened",
      data: { dealId: command.dealId, stage, ...(command.reason ? { reason: command.reason } : {}) },
    });
  }
  if (state.status !== "open") {
    return refuse({
      code: "deal_closed",
      status: state.status,
      message: `deal ${command.dealId} is ${state.status}: reopen it before changing it`,
    });
  }
  const dealId = command.dealId;
  return match(command)
    .with({ type: "ChangeAmount" }, (c): Decision => {
      const currency = c.currency ?? state.currency;
      if (c.amount === state.amount && currency === state.currency)
        return refuse(noChange(`amount is already ${c.amount} ${currency}`));
      return accept({ type: "DealAmountChanged", data: { dealId, amount: c.amount, currency } });
    })
    .with({ type: "MoveCloseDate" }, (c): Decision => {
      if (c.expectedCloseDate === state.expectedCloseDate)
        return refuse(noChange(`expected close date is already ${c.expectedCloseDate}`));
      return accept({ type: "DealCloseDateChanged", data: { dealId, expectedCloseDate: c.expectedCloseDate } });
    })
    .with({ type: "ChangeStage" }, (c): Decision => {
      const index = stageIndex(config, c.to);
      if (index === undefined || index < 0 || index >= config.stages.length) return refuse(unknownStage(config, c.to));
      if (c.to === state.stage) return refuse(noChange(`deal is already in ${c.to}`));
      const blocked = gateCheck(config, state, c.to, c.override);
      if (blocked) return refuse(blocked);
      return accept({
        type: "DealStageChanged",
        data: { dealId, from: state.stage, to: c.to, ...(c.override ? { override: c.override } : {}) },
      });
    })
    .with(
      { type: "RecordGateEvidence" },
      (c): Decision =>
        accept({
          type: "GateEvidenceRecorded",
          data: { dealId, gate: c.gate, evidence: c.evidence, ...(c.contactId ? { contactId: c.contactId } : {}) },
        }),
    )
    .with({ type: "AssignContactRole" }, (c): Decision => {
      if (state.roles[c.contactId]?.includes(c.role)) return refuse(noChange(`contact ${c.contactId} already holds ${c.role}`));
      return accept({ type: "ContactRoleAssigned", data: { dealId, contactId: c.contactId, role: c.role } });
    })
    .with({ type: "RemoveContactRole" }, (c): Decision => {
      if (!state.roles[c.contactId]?.includes(c.role)) return refuse(noChange(`contact ${c.contactId} does not hold ${c.role}`));
      return accept({ type: "ContactRoleRemoved", data: { dealId, contactId: c.contactId, role: c.role } });
    })
    .with(
      { type: "LogInteraction" },
      (c): Decision =>
        accept({
          type: "InteractionLogged",
          data: {
            interactionId: c.interactionId,
            accountId: state.accountId,
            dealId,
            repId: c.repId,
            kind: c.kind,
            direction: c.direction,
            contactIds: c.contactIds,
            held: true,
            ...(c.summary ? { summary: c.summary } : {}),
          },
        }),
    )
    .with(
      { type: "SetProbability" },
      (c): Decision => accept({ type: "DealProbabilityChanged", data: { dealId, probability: c.probability } }),
    )
    .with(
      { type: "SetForecastCategory" },
      (c): Decision => accept({ type: "DealForecastCategoryChanged", data: { dealId, category: c.category } }),
    )
    .with({ type: "ChangeOwner" }, (c): Decision => {
      if (c.ownerRepId === state.ownerRepId) return refuse(noChange(`deal is already owned by ${c.ownerRepId}`));
      return accept({ type: "DealOwnerChanged", data: { dealId, ownerRepId: c.ownerRepId } });
    })
    .with({ type: "WinDeal" }, (c): Decision => {
      const blocked = gateCheck(config, state, config.wonStage, c.override);
      if (blocked) return refuse(blocked);
      return accept({
        type: "DealWon",
        data: {
          dealId,
          amount: c.amount ?? state.amount,
          currency: state.currency,
          ...closingDate(c.expectedCloseDate, state),
        },
      });
    })
    .with({ type: "LoseDeal" }, (c): Decision => {
      const currency = c.currency ?? state.currency;
      const amountChanges = (c.amount !== undefined && c.amount !== state.amount) || currency !== state.currency;
      return accept({
        type: "DealLost",
        data: {
          dealId,
          reason: c.reason,
          ...(c.competitor ? { competitor: c.competitor } : {}),
          ...(c.note ? { note: c.note } : {}),
          ...(amountChanges ? { amount: c.amount ?? state.amount, currency } : {}),
          ...closingDate(c.expectedCloseDate, state),
        },
      });
    })
    .exhaustive();
}

/** The close date a close carries: only when it changes with the close. */
function closingDate(date: string | undefined, state: DealDecisionState): { expectedCloseDate?: string } {
  return date !== undefined && date !== state.expectedCloseDate ? { expectedCloseDate: date } : {};
}

function unknownStage(config: RevenueConfig, stage: string): DomainError {
  const knownStages = config.stages.map((candidate) => candidate.id);
  return {
    code: "unknown_stage",
    stage,
    knownStages,
    message: `unknown stage ${JSON.stringify(stage)}; configured: ${knownStages.join(", ")}`,
  };
}

function noChange(message: string): DomainError {
  return { code: "no_change", message };
}
