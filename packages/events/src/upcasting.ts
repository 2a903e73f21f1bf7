import type { EventType } from "./catalog.ts";

/** The schema version each event type is written at today. */
export const currentSchemaVersions: Record<EventType, number> = {
  AccountRegistered: 1,
  AccountOwnerAssigned: 1,
  ContactAdded: 1,
  TeamFormed: 1,
  ManagerAssigned: 1,
  RepHired: 1,
  RepTransferred: 1,
  RepDeparted: 1,
  QuotaSet: 1,
  LeadArrived: 1,
  LeadTouched: 1,
  DealCreated: 1,
  DealAmountChanged: 1,
  DealCloseDateChanged: 1,
  DealStageChanged: 1,
  DealProbabilityChanged: 1,
  DealForecastCategoryChanged: 1,
  DealOwnerChanged: 1,
  DealWon: 1,
  DealLost: 2,
  DealReopened: 1,
  ContactRoleAssigned: 1,
  ContactRoleRemoved: 1,
  InteractionLogged: 1,
  GateEvidenceRecorded: 1,
  ForecastSubmitted: 1,
  ExchangeRateSet: 1,
  LogCheckpointed: 1,
};

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

const lossReasonKeywords: ReadonlyArray<readonly [RegExp, string]> = [
  [/pric|budget|cost|expens/i, "pricing"],
  [/compet|vendor|lost to/i, "competition"],
  [/timing|later|next (year|quarter)|postpon/i, "timing"],
  [/no decision|status quo|went dark|no.?go/i, "no_decision"],
];

/**
 * Upcasters by `Type@fromVersion`: each lifts data one version up.
 * DealLost v1 carried a free-text `reason`; v2 has a fixed reason list and keeps the text as `note`.
 */
const upcasters: Record<string, Upcaster> = {
  "DealLost@1": (data) => {
    const text = typeof data.reason === "string" ? data.reason : "";
    const reason = lossReasonKeywords.find(([pattern]) => pattern.test(text))?.[1] ?? "other";
    return { ...data, reason, note: text };
  },
};

/** Lifts `data` written at `version` of `type` to the current version. */
export function upcast(type: EventType, version: number, data: unknown): unknown {
  let lifted = data;
  for (let from = version; from < currentSchemaVersions[type]; from++) {
    const step = upcasters[`${type}@${from}`];
    if (!step) throw new Error(`no upcaster for ${type} from schema version ${from}`);
    lifted = step((lifted ?? {}) as Record<string, unknown>);
  }
  return lifted;
}
