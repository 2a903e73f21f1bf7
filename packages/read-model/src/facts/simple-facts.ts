import type { GraphState } from "@revgraph/domain";
import type { EventData, EventType, RecordedEvent } from "@revgraph/events";
import type { Column, Row } from "./columns.ts";
import { engagementFactTables } from "./engagement.ts";
import { quotaFactTables } from "./quotas.ts";
import { stageFactTables } from "./stages.ts";

/**
 * A fact table with one row per event that states a fact: business time `valid_from` (occurredAt), record time
 * `known_from` (log position) and `known_from_at` (recordedAt), and the event id. A later fact about the same key
 * ends the earlier one's validity: queries take the latest row visible in their slice (greatest
 * `(valid_from, known_from)` with `valid_from <= asOf` and `known_from <= maxPosition`), so a back-dated or late
 * event opens its interval without touching the rows already written.
 */
export interface EventFactTable {
  readonly table: string;
  /** The table's own columns, written after the common ones. */
  readonly columns: readonly Column[];
  /** The table's values for an event (null: the event states no fact here), given the graph after the event. */
  readonly rows: Partial<{ [T in EventType]: (data: EventData<T>, state: GraphState) => readonly Row[] }>;
}

/** Columns every event-fact table starts with. */
export const stampColumns: readonly Column[] = [
  { name: "valid_from", type: "VARCHAR" },
  { name: "known_from", type: "BIGINT" },
  { name: "known_from_at", type: "VARCHAR" },
  { name: "event_id", type: "VARCHAR" },
];

/** The rows an event adds to a table, each with the event's stamp in front. */
export function eventFactRows(table: EventFactTable, event: RecordedEvent, state: GraphState): readonly Row[] {
  const rows = table.rows[event.type] as ((data: unknown, state: GraphState) => readonly Row[]) | undefined;
  if (!rows) return [];
  const stamp = [event.occurredAt, event.globalPosition, event.recordedAt, event.id];
  return rows(event.data, state).map((row) => [...stamp, ...row]);
}

/** Rep → team memberships (hire and transfers). Transfers of a rep the log does not know are ignored, as in the graph. */
export const repTeams: EventFactTable = {
  table: "rep_teams",
  columns: [
    { name: "rep_id", type: "VARCHAR" },
    { name: "team_id", type: "VARCHAR" },
  ],
  rows: {
    RepHired: (data) => [[data.repId, data.teamId]],
    RepTransferred: (data, state) => (state.reps[data.repId] ? [[data.repId, data.teamId]] : []),
  },
};

/** Team → manager assignments. Assignments to a team the log does not know are ignored, as in the graph. */
export const teamManagers: EventFactTable = {
  table: "team_managers",
  columns: [
    { name: "team_id", type: "VARCHAR" },
    { name: "manager_rep_id", type: "VARCHAR" },
  ],
  rows: { ManagerAssigned: (data, state) => (state.teams[data.teamId] ? [[data.teamId, data.managerRepId]] : []) },
};

/** Reps as registered (the latest registration of a rep is the one that counts). */
export const reps: EventFactTable = {
  table: "reps",
  columns: [
    { name: "rep_id", type: "VARCHAR" },
    { name: "region", type: "VARCHAR" },
    { name: "start_date", type: "VARCHAR" },
  ],
  rows: { RepHired: (data) => [[data.repId, data.region ?? null, data.startDate]] },
};

/** Accounts as registered (the latest registration of an account is the one that counts). */
export const accounts: EventFactTable = {
  table: "accounts",
  columns: [
    { name: "account_id", type: "VARCHAR" },
    { name: "region", type: "VARCHAR" },
    { name: "segment", type: "VARCHAR" },
    { name: "addressable", type: "INTEGER" },
  ],
  rows: {
    AccountRegistered: (data) => [[data.accountId, data.region ?? null, data.segment ?? null, data.addressable ? 1 : 0]],
  },
};

/** Exchange rates: the rate of a currency to a base currency from an effective date. */
export const exchangeRates: EventFactTable = {
  table: "exchange_rates",
  columns: [
    { name: "currency", type: "VARCHAR" },
    { name: "base_currency", type: "VARCHAR" },
    { name: "rate", type: "DOUBLE" },
    { name: "effective_date", type: "VARCHAR" },
  ],
  rows: { ExchangeRateSet: (data) => [[data.currency, data.baseCurrency, data.rate, data.effectiveDate]] },
};

/** Every event-fact table. */
export const eventFactTables: readonly EventFactTable[] = [
  repTeams,
  teamManagers,
  reps,
  accounts,
  exchangeRates,
  ...quotaFactTables,
  ...engagementFactTables,
  ...stageFactTables,
];
