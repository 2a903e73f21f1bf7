import type { DomainEvent, EventData } from "@revgraph/events";
import { match } from "ts-pattern";
import type { Decision } from "./deal-decider.ts";

/** Commands for accounts, contacts, teams, reps, quotas and forecasts. */
export type RosterCommand =
  | ({ type: "RegisterAccount" } & EventData<"AccountRegistered">)
  | ({ type: "AddContact" } & EventData<"ContactAdded">)
  | ({ type: "FormTeam" } & EventData<"TeamFormed">)
  | ({ type: "AssignManager" } & EventData<"ManagerAssigned">)
  | ({ type: "HireRep" } & EventData<"RepHired">)
  | ({ type: "TransferRep" } & EventData<"RepTransferred">)
  | ({ type: "SetQuota" } & EventData<"QuotaSet">)
  | ({ type: "SubmitForecast" } & EventData<"ForecastSubmitted">);

/** What the roster decider knows about the command's target stream. */
export interface RosterState {
  readonly exists: boolean;
  /** Quota periods already set on a rep stream, and forecast ids already submitted. */
  readonly keys: readonly string[];
}

/** The state of a stream with no events. */
export const initialRosterState: RosterState = { exists: false, keys: [] };

/** Folds a stream's own events into the roster decision state. */
export function evolveRoster(state: RosterState, event: DomainEvent): RosterState {
  if (event.type === "QuotaSet") return { exists: true, keys: [...state.keys, event.data.period] };
  if (event.type === "ForecastSubmitted") return { exists: true, keys: [...state.keys, event.data.forecastId] };
  return { ...state, exists: true };
}

function without<T extends { type: string }>(command: T): Omit<T, "type"> {
  const { type: _type, ...data } = command;
  return data;
}

/** Decides a roster command: creation commands refuse an existing stream; updates need one. */
export function decideRoster(command: RosterCommand, state: RosterState): Decision {
  const creating =
    command.type === "RegisterAccount" ||
    command.type === "AddContact" ||
    command.type === "FormTeam" ||
    command.type === "HireRep";
  if (creating && state.exists)
    return { ok: false, error: { code: "already_exists", message: `${command.type}: it already exists` } };
  const needsTarget = command.type === "AssignManager" || command.type === "TransferRep" || command.type === "SetQuota";
  if (needsTarget && !state.exists)
    return { ok: false, error: { code: "not_found", message: `${command.type}: the target does not exist` } };
  const event: DomainEvent = match(command)
    .with({ type: "RegisterAccount" }, (c): DomainEvent => ({ type: "AccountRegistered", data: without(c) }))
    .with({ type: "AddContact" }, (c): DomainEvent => ({ type: "ContactAdded", data: without(c) }))
    .with({ type: "FormTeam" }, (c): DomainEvent => ({ type: "TeamFormed", data: without(c) }))
    .with({ type: "AssignManager" }, (c): DomainEvent => ({ type: "ManagerAssigned", data: without(c) }))
    .with({ type: "HireRep" }, (c): DomainEvent => ({ type: "RepHired", data: without(c) }))
    .with({ type: "TransferRep" }, (c): DomainEvent => ({ type: "RepTransferred", data: without(c) }))
    .with({ type: "SetQuota" }, (c): DomainEvent => ({ type: "QuotaSet", data: without(c) }))
    .with({ type: "SubmitForecast" }, (c): DomainEvent => ({ type: "ForecastSubmitted", data: without(c) }))
    .exhaustive();
  return { ok: true, events: [event] };
}
