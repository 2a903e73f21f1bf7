import type { EventFactTable } from "./simple-facts.ts";

/**
 * A deal's stage timeline, one row per event that starts or moves it: the creation (`created`, with the stage and
 * expected close date it was created with), stage changes (`stage`, to the new stage) and outcomes (`won`, `lost`,
 * `reopened` with the stage it reopened in). Closes and reopens in any slice (for close-date histories) are derived
 * from the rows visible in it, in (business time, position) order, as the graph derives them from the deal's facts;
 * stays are stored of their own (`deal_stays`, see `deal-stays.ts`). A deal's creation is its latest `created` row, as
 * the graph keeps only the latest.
 */
export const dealSteps: EventFactTable = {
  table: "deal_steps",
  columns: [
    { name: "deal_id", type: "VARCHAR" },
    { name: "kind", type: "VARCHAR" },
    { name: "stage", type: "VARCHAR" },
    { name: "close_date", type: "VARCHAR" },
  ],
  rows: {
    DealCreated: (data) => [[data.dealId, "created", data.stage, data.expectedCloseDate]],
    DealStageChanged: (data) => [[data.dealId, "stage", data.to, null]],
    DealWon: (data) => [[data.dealId, "won", null, null]],
    DealLost: (data) => [[data.dealId, "lost", null, null]],
    DealReopened: (data) => [[data.dealId, "reopened", data.stage, null]],
  },
};

/**
 * Expected close dates set after creation: by a change, or carried by a close (`closing` 1: part of the close,
 * never held by the open deal). The creation's own date is on its `deal_steps` row.
 */
export const dealCloseDates: EventFactTable = {
  table: "deal_close_dates",
  columns: [
    { name: "deal_id", type: "VARCHAR" },
    { name: "date", type: "VARCHAR" },
    { name: "closing", type: "INTEGER" },
  ],
  rows: {
    DealCloseDateChanged: (data) => [[data.dealId, data.expectedCloseDate, 0]],
    DealWon: (data) => (data.expectedCloseDate === undefined ? [] : [[data.dealId, data.expectedCloseDate, 1]]),
    DealLost: (data) => (data.expectedCloseDate === undefined ? [] : [[data.dealId, data.expectedCloseDate, 1]]),
  },
};

/** The separator of contact ids in `deal_touches.contact_ids` (a control character no id contains). */
export const CONTACT_SEPARATOR = "\u001f";

/**
 * Every logged interaction (the deal it touched, if any, and the contacts in it), for the risk rules: when a deal
 * was last touched, and when each contact was. An interaction logged again under its id counts with its latest
 * contacts everywhere, as in the graph.
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

/** The tables of stages, close dates and deal touches (roles: `contact_roles` of the engagement facts). */
export const stageFactTables: readonly EventFactTable[] = [dealSteps, dealCloseDates, dealTouches];
