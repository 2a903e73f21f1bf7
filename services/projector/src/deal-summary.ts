import type { EventType, RecordedEvent, RecordedEventOf } from "@revgraph/events";

/**
 * One row of the `deal_summary` read model: a deal's current state as known now, for SQL consumers (BI tools,
 * reports) that want a table rather than the GraphQL graph. Rows follow the log; stage and status follow business
 * time, so a back-dated import of old history never rolls a deal's current stage back.
 */
export interface DealSummary {
  readonly dealId: string;
  readonly name: string;
  readonly accountId: string;
  readonly ownerRepId: string;
  readonly stage: string;
  readonly status: "open" | "won" | "lost";
  readonly amount: number;
  readonly currency: string;
  readonly expectedCloseDate: string;
  readonly product: string | null;
  readonly createdAt: string;
  readonly closedAt: string | null;
  readonly lossReason: string | null;
  /** Times the expected close date moved later while open (a date that came with the close is part of it, not a push). */
  readonly pushes: number;
  /** Distinct contacts in an interaction on the deal or holding a buying role on it. */
  readonly engagedContacts: readonly string[];
  readonly interactions: number;
  readonly lastInteractionAt: string | null;
  /** Business time of the stage/status now shown (a back-dated change older than this does not replace it). */
  readonly stageAt: string;
  /** Global position of the last event applied to this row. */
  readonly lastPosition: number;
}

type Handler<T extends EventType> = (
  row: DealSummary | undefined,
  event: RecordedEventOf<Extract<RecordedEvent, { type: T }>>,
) => DealSummary | undefined;

/** Applies a stage/status change only when it is not older (in business time) than the one shown. */
function atBusinessTime(row: DealSummary | undefined, occurredAt: string, change: (row: DealSummary) => Partial<DealSummary>) {
  if (!row || occurredAt < row.stageAt) return row;
  return { ...row, ...change(row), stageAt: occurredAt };
}

function engage(row: DealSummary | undefined, contactIds: readonly string[]): DealSummary | undefined {
  if (!row) return row;
  const engaged = new Set([...row.engagedContacts, ...contactIds]);
  return { ...row, engagedContacts: [...engaged].sort() };
}

/** Which events touch a deal row, and how; null = the event does not concern deal rows. Compile-time exhaustive. */
const handlers: { [T in EventType]: Handler<T> | null } = {
  AccountRegistered: null,
  AccountOwnerAssigned: null,
  ContactAdded: null,
  TeamFormed: null,
  ManagerAssigned: null,
  RepHired: null,
  RepTransferred: null,
  RepDeparted: null,
  QuotaSet: null,
  LeadArrived: null,
  LeadTouched: null,
  ForecastSubmitted: null,
  ExchangeRateSet: null,
  LogCheckpointed: null,
  GateEvidenceRecorded: null,
  DealCreated: (row, { data, occurredAt }) =>
    row ?? {
      dealId: data.dealId,
      name: data.name,
      accountId: data.accountId,
      ownerRepId: data.ownerRepId,
      stage: data.stage,
      status: "open",
      amount: data.amount,
      currency: data.currency,
      expectedCloseDate: data.expectedCloseDate,
      product: data.product ?? null,
      createdAt: occurredAt,
      closedAt: null,
      lossReason: null,
      pushes: 0,
      engagedContacts: [],
      interactions: 0,
      lastInteractionAt: null,
      stageAt: occurredAt,
      lastPosition: 0,
    },
  DealAmountChanged: (row, { data }) => row && { ...row, amount: data.amount, currency: data.currency },
  DealCloseDateChanged: (row, { data }) =>
    row && {
      ...row,
      expectedCloseDate: data.expectedCloseDate,
      pushes: row.pushes + (data.expectedCloseDate > row.expectedCloseDate ? 1 : 0),
    },
  DealStageChanged: (row, { data, occurredAt }) => atBusinessTime(row, occurredAt, () => ({ stage: data.to })),
  DealProbabilityChanged: (row) => row,
  DealForecastCategoryChanged: (row) => row,
  DealOwnerChanged: (row, { data }) => row && { ...row, ownerRepId: data.ownerRepId },
  DealWon: (row, { data, occurredAt }) =>
    atBusinessTime(row, occurredAt, () => ({
      status: "won",
      stage: "closed_won",
      amount: data.amount,
      currency: data.currency,
      ...(data.expectedCloseDate ? { expectedCloseDate: data.expectedCloseDate } : {}),
      closedAt: occurredAt,
      lossReason: null,
    })),
  DealLost: (row, { data, occurredAt }) =>
    atBusinessTime(row, occurredAt, (current) => ({
      status: "lost",
      stage: "closed_lost",
      ...(data.amount !== undefined ? { amount: data.amount, currency: data.currency ?? current.currency } : {}),
      ...(data.expectedCloseDate ? { expectedCloseDate: data.expectedCloseDate } : {}),
      closedAt: occurredAt,
      lossReason: data.reason,
    })),
  DealReopened: (row, { data, occurredAt }) =>
    atBusinessTime(row, occurredAt, () => ({ status: "open", stage: data.stage, closedAt: null, lossReason: null })),
  ContactRoleAssigned: (row, { data }) => engage(row, [data.contactId]),
  ContactRoleRemoved: (row) => row,
  InteractionLogged: (row, { data, occurredAt }) => {
    const engaged = engage(row, data.held ? data.contactIds : []);
    return (
      engaged && {
        ...engaged,
        interactions: engaged.interactions + 1,
        lastInteractionAt:
          engaged.lastInteractionAt && engaged.lastInteractionAt > occurredAt ? engaged.lastInteractionAt : occurredAt,
      }
    );
  },
};

/** The deal an event concerns, if any (deal events carry `dealId`; interactions may). */
export function dealIdOf(event: RecordedEvent): string | undefined {
  const data = event.data as { dealId?: unknown };
  return handlers[event.type] !== null && typeof data.dealId === "string" ? data.dealId : undefined;
}

/** Pure: the row after one event (undefined while the deal does not exist yet). */
export function evolveDealSummary(row: DealSummary | undefined, event: RecordedEvent): DealSummary | undefined {
  const handler = handlers[event.type] as Handler<EventType> | null;
  if (!handler) return row;
  const next = handler(row, event as never);
  return next && { ...next, lastPosition: event.globalPosition };
}
