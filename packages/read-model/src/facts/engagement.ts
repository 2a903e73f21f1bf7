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
 * the logging names (engaged contacts of deals are read from here alone).
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
