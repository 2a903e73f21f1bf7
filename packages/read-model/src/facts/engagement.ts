import type { DuckDBConnection } from "@duckdb/node-api";
import type { RevenueConfig } from "@revgraph/domain";
import type { Column } from "./columns.ts";
import type { EventFactTable } from "./simple-facts.ts";

/**
 * Interactions as logged. The graph keeps the latest logging of an interaction id (by log position), whatever its
 * business time: queries take the row with the greatest `known_from` per `interaction_id`, then check it is visible.
 * `at_ms` is the business time in epoch milliseconds (windows and durations).
 */
export const interactions: EventFactTable = {
  table: "interactions",
  columns: [
    { name: "interaction_id", type: "VARCHAR" },
    { name: "deal_id", type: "VARCHAR" },
    { name: "account_id", type: "VARCHAR" },
    { name: "rep_id", type: "VARCHAR" },
    { name: "kind", type: "VARCHAR" },
    { name: "direction", type: "VARCHAR" },
    { name: "held", type: "INTEGER" },
    { name: "at_ms", type: "DOUBLE" },
  ],
  rows: {
    InteractionLogged: (data, state) => {
      const logged = state.interactions[data.interactionId];
      return [
        [
          data.interactionId,
          data.dealId ?? null,
          data.accountId,
          data.repId,
          data.kind,
          data.direction,
          data.held ? 1 : 0,
          Date.parse(logged?.at ?? ""),
        ],
      ];
    },
  },
};

/**
 * The contacts of each logged interaction: one row per contact, joined to `interactions` by `event_id`, with the deal
 * the logging names (the source of `interaction_engagements`).
 */
export const interactionContacts: EventFactTable = {
  table: "interaction_contacts",
  columns: [
    { name: "interaction_id", type: "VARCHAR" },
    { name: "contact_id", type: "VARCHAR" },
    { name: "deal_id", type: "VARCHAR" },
  ],
  rows: {
    InteractionLogged: (data) => data.contactIds.map((contactId) => [data.interactionId, contactId, data.dealId ?? null]),
  },
};

/** Buying roles assigned to (1) or removed from (0) a contact on a deal. */
export const contactRoles: EventFactTable = {
  table: "contact_roles",
  columns: [
    { name: "deal_id", type: "VARCHAR" },
    { name: "contact_id", type: "VARCHAR" },
    { name: "role", type: "VARCHAR" },
    { name: "assigned", type: "INTEGER" },
  ],
  rows: {
    ContactRoleAssigned: (data) => [[data.dealId, data.contactId, data.role, 1]],
    ContactRoleRemoved: (data) => [[data.dealId, data.contactId, data.role, 0]],
  },
};

/** Leads as they arrived (the latest arrival of a lead id, by log position, is the one that counts). */
export const leads: EventFactTable = {
  table: "leads",
  columns: [
    { name: "lead_id", type: "VARCHAR" },
    { name: "account_id", type: "VARCHAR" },
    { name: "source", type: "VARCHAR" },
    { name: "at_ms", type: "DOUBLE" },
  ],
  rows: {
    LeadArrived: (data, state) => [
      [data.leadId, data.accountId ?? null, data.source, Date.parse(state.leads[data.leadId]?.at ?? "")],
    ],
  },
};

/** Touches of a lead by a rep. Touches of a lead the log does not know yet are ignored, as in the graph. */
export const leadTouches: EventFactTable = {
  table: "lead_touches",
  columns: [
    { name: "lead_id", type: "VARCHAR" },
    { name: "rep_id", type: "VARCHAR" },
    { name: "at_ms", type: "DOUBLE" },
  ],
  rows: {
    LeadTouched: (data, state) => {
      const touch = state.leads[data.leadId]?.touches.find((entry) => entry.pos === state.position);
      return touch ? [[data.leadId, data.repId, Date.parse(touch.at)]] : [];
    },
  },
};

/** Account owners over time. Assignments to an account the log does not know are ignored, as in the graph. */
export const accountOwners: EventFactTable = {
  table: "account_owners",
  columns: [
    { name: "account_id", type: "VARCHAR" },
    { name: "owner_rep_id", type: "VARCHAR" },
  ],
  rows: { AccountOwnerAssigned: (data, state) => (state.accounts[data.accountId] ? [[data.accountId, data.ownerRepId]] : []) },
};

/**
 * Every amount a deal was given, whatever the slice (an interaction's value reads the amount at its time from all of
 * them): the creation's (`created` 1, with its stage; the latest creation counts), changes, and the amounts closes
 * carried (a win always, a loss when it names one).
 */
export const dealAmountFacts: EventFactTable = {
  table: "deal_amount_facts",
  columns: [
    { name: "deal_id", type: "VARCHAR" },
    { name: "amount", type: "DOUBLE" },
    { name: "created", type: "INTEGER" },
    { name: "stage", type: "VARCHAR" },
  ],
  rows: {
    DealCreated: (data) => [[data.dealId, data.amount, 1, data.stage]],
    DealAmountChanged: (data) => [[data.dealId, data.amount, 0, null]],
    DealWon: (data) => [[data.dealId, data.amount, 0, null]],
    DealLost: (data) => (data.amount === undefined ? [] : [[data.dealId, data.amount, 0, null]]),
  },
};

/** Explicit win probabilities set on deals. */
export const dealProbabilityFacts: EventFactTable = {
  table: "deal_probability_facts",
  columns: [
    { name: "deal_id", type: "VARCHAR" },
    { name: "probability", type: "DOUBLE" },
  ],
  rows: { DealProbabilityChanged: (data) => [[data.dealId, data.probability]] },
};

/** Every engagement table: interactions and their contacts, contact roles, leads and touches, account owners, deal amounts and probabilities. */
export const engagementFactTables: readonly EventFactTable[] = [
  interactions,
  interactionContacts,
  contactRoles,
  leads,
  leadTouches,
  accountOwners,
  dealAmountFacts,
  dealProbabilityFacts,
];

/** A table derived from the event-fact tables at each flush (in its transaction), rather than written per event. */
export interface DerivedFactTable {
  readonly table: string;
  readonly columns: readonly Column[];
}

/**
 * `relogged_interactions`: the interaction ids logged more than once (corrections: few), with the positions of their
 * first and latest loggings. The graph keeps an id's latest logging, listed at the position of its first.
 */
export const reloggedInteractions: DerivedFactTable = {
  table: "relogged_interactions",
  columns: [
    { name: "interaction_id", type: "VARCHAR" },
    { name: "first_known_from", type: "BIGINT" },
    { name: "latest_known_from", type: "BIGINT" },
  ],
};

/**
 * `interaction_engagements`: the points of business time (`valid_from`) and log position (`known_from`) at which a
 * contact became engaged on a deal through interactions, kept only where no earlier point dominates them. A contact
 * is engaged on a deal through an interaction in a slice (asOf A, position K) when a logging of an interaction on the
 * deal is visible there (at ≤ A, position ≤ K) and the contact is among the contacts of that interaction's latest
 * logging (the graph keeps an id's latest logging, whatever deal it names, and reads its contacts at the head). That
 * holds exactly when some stored point has `valid_from` ≤ A and `known_from` ≤ K: of a deal and contact's loggings in
 * log order, those whose business time is earlier than every earlier one's (a logging at an earlier or equal time and
 * position covers any other). About one row per (deal, contact) instead of one per interaction and contact.
 */
export const interactionEngagements: DerivedFactTable = {
  table: "interaction_engagements",
  columns: [
    { name: "deal_id", type: "VARCHAR" },
    { name: "contact_id", type: "VARCHAR" },
    { name: "valid_from", type: "VARCHAR" },
    { name: "known_from", type: "BIGINT" },
  ],
};

/**
 * `interaction_values`: each logging of an interaction on a deal (`event_id`, its business time `valid_from`) with its
 * value as things stand at the head of the log and at any asOf after every fact: the deal's amount at the
 * interaction's time (the latest of its amounts up to then, else its creation's) × (its win probability just before
 * the deal's next logged interaction − its probability at the interaction's time), the probability at t being the
 * one of the deal's version valid at t, else its creation stage's (`value`). On the deal's last interaction the value
 * depends on the evaluation time: `value` is NULL and `amount` and `probability_before` are kept for the query to
 * finish it. Deals with no creation have no rows (nothing can be in scope on them). Every field reads only the head
 * of the interaction, amount and version tables, so a deal's rows are derived again whenever a batch adds a row
 * about it to any of them.
 */
export const interactionValues: DerivedFactTable = {
  table: "interaction_values",
  columns: [
    { name: "deal_id", type: "VARCHAR" },
    { name: "event_id", type: "VARCHAR" },
    { name: "valid_from", type: "VARCHAR" },
    { name: "value", type: "DOUBLE" },
    { name: "amount", type: "DOUBLE" },
    { name: "probability_before", type: "DOUBLE" },
  ],
};

/** The tables derived from the interaction tables (and, for interaction values, the deal amounts and versions). */
export const interactionDerivedTables: readonly DerivedFactTable[] = [
  reloggedInteractions,
  interactionEngagements,
  interactionValues,
];

/** The win probability of stage `stage` (an SQL expression) under `config`: won 1, lost 0, unknown stages 0. */
export function stageProbabilitySql(config: RevenueConfig, stage: string): string {
  const sqlText = (value: string) => `'${value.replaceAll("'", "''")}'`;
  const cases = [
    `WHEN ${sqlText(config.wonStage)} THEN 1`,
    `WHEN ${sqlText(config.lostStage)} THEN 0`,
    ...config.stages.map((entry) => `WHEN ${sqlText(entry.id)} THEN ${entry.probability}`),
  ];
  return `CASE ${stage} ${cases.join(" ")} ELSE 0 END`;
}

/**
 * A fact's place in a deal's history as one number: its business time in epoch milliseconds, then its log position
 * (the graph's order). A probe at time t with position 2³²−1 finds the latest fact at or before t (ASOF joins on one
 * number instead of text).
 */
export const factKey = (ms: string, position: string) => `CAST(${ms} AS HUGEINT) * 4294967296 + ${position}`;

/**
 * Brings {@link interactionValues} up to date once the facts written after position `after` are in their tables (deal
 * versions ended included), in the writer's open transaction: the rows of every deal with an interaction logging, an
 * amount or a version written after `after` are derived again from the head of the tables, with the stage
 * probabilities of `config`.
 */
export async function updateInteractionValues(connection: DuckDBConnection, after: number, config: RevenueConfig) {
  const table = interactionValues.table;
  const touched = `SELECT deal_id FROM interactions WHERE known_from > ${after} AND deal_id IS NOT NULL
    UNION SELECT deal_id FROM deal_amount_facts WHERE known_from > ${after}
    UNION SELECT deal_id FROM deal_versions WHERE known_from > ${after}`;
  await connection.run(`CREATE OR REPLACE TEMP TABLE interaction_value_deals AS ${touched}`);
  const inTouched = "deal_id IN (SELECT deal_id FROM interaction_value_deals)";
  await connection.run(`DELETE FROM ${table} WHERE ${inTouched}`);
  await connection.run(`INSERT INTO ${table}
WITH entries AS (
  SELECT deal_id, event_id, valid_from, CAST(at_ms AS BIGINT) AS at_ms,
         lead(at_ms) OVER (PARTITION BY deal_id ORDER BY at_ms, known_from) AS next_ms
  FROM interactions WHERE ${inTouched}),
created AS (
  SELECT deal_id, arg_max(amount, known_from) AS amount, arg_max(stage, known_from) AS stage
  FROM deal_amount_facts WHERE created = 1 AND ${inTouched} GROUP BY deal_id),
versions AS (SELECT deal_id, valid_from_ms, probability FROM deal_versions WHERE known_to IS NULL AND ${inTouched}),
amounts AS (
  SELECT deal_id, amount, ${factKey("epoch_ms(CAST(valid_from AS TIMESTAMP))", "known_from")} AS key
  FROM deal_amount_facts WHERE created = 0 AND ${inTouched}),
probes AS (
  SELECT e.deal_id, e.event_id, e.valid_from, e.at_ms, CAST(e.next_ms - 1 AS BIGINT) AS after_ms, c.amount AS created_amount,
         coalesce(v.probability, ${stageProbabilitySql(config, "c.stage")}) AS probability_before,
         ${stageProbabilitySql(config, "c.stage")} AS created_probability
  FROM entries e JOIN created c ON c.deal_id = e.deal_id
  ASOF LEFT JOIN versions v ON v.deal_id = e.deal_id AND e.at_ms >= v.valid_from_ms),
valued AS (
  SELECT p.*, coalesce(a.amount, p.created_amount) AS amount FROM probes p
  ASOF LEFT JOIN amounts a ON a.deal_id = p.deal_id AND ${factKey("p.at_ms", "4294967295")} >= a.key)
SELECT b.deal_id, b.event_id, b.valid_from,
       CASE WHEN b.after_ms IS NOT NULL THEN b.amount * (coalesce(v.probability, b.created_probability) - b.probability_before) END,
       b.amount, b.probability_before
FROM valued b ASOF LEFT JOIN versions v ON v.deal_id = b.deal_id AND b.after_ms >= v.valid_from_ms`);
  await connection.run("DROP TABLE interaction_value_deals");
}

/** Keeps the points of `points` (deal_id, contact_id, valid_from, known_from) that no earlier one of the same pair covers. */
const undominated = (points: string) => `SELECT deal_id, contact_id, valid_from, known_from FROM (${points}) p
  WINDOW earlier AS (PARTITION BY deal_id, contact_id ORDER BY known_from ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
  QUALIFY min(valid_from) OVER earlier IS NULL OR valid_from < min(valid_from) OVER earlier`;

/**
 * Brings the {@link interactionDerivedTables} up to date once the interactions logged after position `after` are in
 * their tables, in the writer's open transaction. Both are functions of the interaction tables at the head only, so a
 * catch-up in one transaction and one event at a time write the same rows: the ids logged in the batch are counted
 * again; new loggings add their engagement points unless a stored one dominates them (positions only grow), and a
 * logging of an id logged before changes the contacts of all its loggings, so the deals those name are derived again
 * (only when the batch logged an id again: a live event costs three statements, not five).
 */
export async function updateInteractionDerivedTables(connection: DuckDBConnection, after: number): Promise<void> {
  const relogged = reloggedInteractions.table;
  const engagements = interactionEngagements.table;
  const loggedNow = `SELECT interaction_id FROM interactions WHERE known_from > ${after}`;
  await connection.run(`DELETE FROM ${relogged} WHERE interaction_id IN (${loggedNow})`);
  await connection.run(`INSERT INTO ${relogged} SELECT interaction_id, min(known_from), max(known_from) FROM interactions
    WHERE interaction_id IN (${loggedNow}) GROUP BY interaction_id HAVING count(*) > 1`);
  const reloggedNow = `SELECT interaction_id FROM ${relogged} WHERE latest_known_from > ${after}`;
  const [found] = (await connection.runAndReadAll(`SELECT count(*) AS n FROM (${reloggedNow})`)).getRowObjectsJS();
  const rederived = `SELECT DISTINCT deal_id FROM interactions WHERE deal_id IS NOT NULL AND interaction_id IN (${reloggedNow})`;
  const rederiving = Number(found?.n ?? 0) > 0;
  if (rederiving) {
    await connection.run(`DELETE FROM ${engagements} WHERE deal_id IN (${rederived})`);
    await connection.run(
      `INSERT INTO ${engagements} ${undominated(`SELECT DISTINCT i.deal_id, c.contact_id, i.valid_from, i.known_from
      FROM interactions i LEFT JOIN ${relogged} r ON r.interaction_id = i.interaction_id
      JOIN interaction_contacts c ON c.interaction_id = i.interaction_id AND c.known_from = coalesce(r.latest_known_from, i.known_from)
      WHERE i.deal_id IN (${rederived})`)}`,
    );
  }
  const newPoints = `SELECT DISTINCT deal_id, contact_id, valid_from, known_from FROM interaction_contacts
    WHERE known_from > ${after} AND deal_id IS NOT NULL ${rederiving ? `AND deal_id NOT IN (${rederived})` : ""}`;
  await connection.run(`INSERT INTO ${engagements} SELECT n.* FROM (${undominated(newPoints)}) n
    LEFT JOIN (SELECT deal_id, contact_id, min(valid_from) AS earliest FROM ${engagements}
               WHERE deal_id IN (SELECT deal_id FROM interaction_contacts WHERE known_from > ${after})
               GROUP BY deal_id, contact_id) s
      ON s.deal_id = n.deal_id AND s.contact_id = n.contact_id
    WHERE s.earliest IS NULL OR n.valid_from < s.earliest`);
}
