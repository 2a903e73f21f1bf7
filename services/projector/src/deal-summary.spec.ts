import { eventLog } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import { describe, expect, it } from "vitest";
import { type DealSummary, dealIdOf, evolveDealSummary } from "./deal-summary.ts";

function fold(events: readonly RecordedEvent[]): Map<string, DealSummary> {
  const rows = new Map<string, DealSummary>();
  for (const event of events) {
    const dealId = dealIdOf(event);
    if (!dealId) continue;
    const next = evolveDealSummary(rows.get(dealId), event);
    if (next) rows.set(dealId, next);
  }
  return rows;
}

const created = {
  dealId: "d1",
  accountId: "a1",
  ownerRepId: "r1",
  name: "Platform for a1",
  amount: 50_000,
  currency: "USD",
  stage: "discovery",
  expectedCloseDate: "2026-03-31",
};

describe("deal_summary rows", () => {
  it("given a created deal, when it advances, is pushed and wins, then the row shows stage, pushes and the won amount", () => {
    const log = eventLog();
    log.add("deal-d1", "DealCreated", created, "2026-01-05T10:00:00Z");
    log.add(
      "deal-d1",
      "DealStageChanged",
      { dealId: "d1", from: "discovery", to: "technical_validation" },
      "2026-01-20T10:00:00Z",
    );
    log.add("deal-d1", "DealCloseDateChanged", { dealId: "d1", expectedCloseDate: "2026-04-30" }, "2026-02-01T10:00:00Z");
    log.add("deal-d1", "DealCloseDateChanged", { dealId: "d1", expectedCloseDate: "2026-04-15" }, "2026-02-02T10:00:00Z");
    log.add("deal-d1", "DealWon", { dealId: "d1", amount: 48_000, currency: "USD" }, "2026-04-10T10:00:00Z");
    const row = fold(log.events).get("d1");
    expect(row).toMatchObject({
      stage: "closed_won",
      status: "won",
      amount: 48_000,
      pushes: 1,
      closedAt: "2026-04-10T10:00:00.000Z",
    });
    expect(row?.lastPosition).toBe(5);
  });

  it("given closes that carry a later close date and an amount, then the row takes them without counting a push", () => {
    const log = eventLog();
    log.add("deal-d1", "DealCreated", created, "2026-01-05T10:00:00Z");
    log.add(
      "deal-d1",
      "DealWon",
      { dealId: "d1", amount: 52_000, currency: "USD", expectedCloseDate: "2026-04-10" },
      "2026-04-10T10:00:00Z",
    );
    log.add("deal-d2", "DealCreated", { ...created, dealId: "d2", currency: "EUR" }, "2026-01-05T10:00:00Z");
    log.add(
      "deal-d2",
      "DealLost",
      { dealId: "d2", reason: "pricing", amount: 40_000, expectedCloseDate: "2026-05-02" },
      "2026-05-02T10:00:00Z",
    );
    const rows = fold(log.events);
    expect(rows.get("d1")).toMatchObject({ amount: 52_000, expectedCloseDate: "2026-04-10", pushes: 0 });
    expect(rows.get("d2")).toMatchObject({
      status: "lost",
      amount: 40_000,
      currency: "EUR",
      expectedCloseDate: "2026-05-02",
      pushes: 0,
    });
  });

  it("given a deal in negotiation, when an older stage change is imported late, then the current stage stays", () => {
    const log = eventLog();
    log.add("deal-d1", "DealCreated", created, "2026-01-05T10:00:00Z");
    log.add("deal-d1", "DealStageChanged", { dealId: "d1", from: "business_case", to: "negotiation" }, "2026-03-01T10:00:00Z");
    log.add(
      "deal-d1",
      "DealStageChanged",
      { dealId: "d1", from: "discovery", to: "technical_validation" },
      "2026-01-20T10:00:00Z",
    );
    expect(fold(log.events).get("d1")?.stage).toBe("negotiation");
  });

  it("counts distinct engaged contacts from held interactions and buying roles, and ignores events of other deals", () => {
    const log = eventLog();
    log.add("deal-d1", "DealCreated", created, "2026-01-05T10:00:00Z");
    const interaction = { accountId: "a1", dealId: "d1", repId: "r1", kind: "meeting", direction: "outbound" } as const;
    log.add(
      "deal-d1",
      "InteractionLogged",
      { ...interaction, interactionId: "i1", contactIds: ["c1", "c2"] },
      "2026-01-06T10:00:00Z",
    );
    log.add(
      "deal-d1",
      "InteractionLogged",
      { ...interaction, interactionId: "i2", contactIds: ["c3"], held: false },
      "2026-01-07T10:00:00Z",
    );
    log.add("deal-d1", "ContactRoleAssigned", { dealId: "d1", contactId: "c2", role: "champion" }, "2026-01-08T10:00:00Z");
    log.add("deal-d1", "ContactRoleAssigned", { dealId: "d1", contactId: "c4", role: "economic_buyer" }, "2026-01-09T10:00:00Z");
    log.add("team-t1", "TeamFormed", { teamId: "t1", name: "NA" }, "2026-01-09T10:00:00Z");
    const row = fold(log.events).get("d1");
    expect(row?.engagedContacts).toEqual(["c1", "c2", "c4"]);
    expect(row?.interactions).toBe(2);
    expect(row?.lastPosition).toBe(5);
  });
});
