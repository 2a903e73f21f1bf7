import type { EventFactTable } from "./simple-facts.ts";

/** The separator of contact ids in `deal_touches.contact_ids` (a control character no id contains). */
export const CONTACT_SEPARATOR = "\u001f";

/**
 * Every logged interaction (the deal it touched, if any, and the contacts in it), for the risk rules: when a deal
 * was last touched (before a slice's asOf, when its latest touch is later), and when each contact was. An interaction
 * logged again under its id counts with its latest contacts everywhere, as in the graph.
 */
export const dealTouches: EventFactTable = {
  table: "deal_touches",
  columns: [
    { name: "interaction_id", type: "VARCHAR" },
    { name: "deal_id", type: "VARCHAR" },
    { name: "contact_ids", type: "VARCHAR" },
  ],
  rows: {
    InteractionLogged: (data) => [[data.interactionId, data.dealId ?? null, data.contactIds.join(CONTACT_SEPARATOR)]],
  },
};

/**
 * The event-fact tables of the stage measures: deal touches (roles: `contact_roles` of the engagement facts; stays,
 * close-date histories and latest touches are derived tables of their own: `deal-stays.ts`, `deal-close-history.ts`,
 * `deal-last-touches.ts`).
 */
export const stageFactTables: readonly EventFactTable[] = [dealTouches];
