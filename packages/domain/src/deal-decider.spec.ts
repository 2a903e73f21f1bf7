import type { DomainEvent } from "@revgraph/events";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "./config.ts";
import { type DealCommand, type Decision, decideDeal, evolveDeal, initialDealState } from "./deal-decider.ts";

/** given(events).when(command) → the decision, Emmett-style. */
function given(...events: DomainEvent[]) {
  const state = events.reduce((current, event) => evolveDeal(current, event, defaultConfig), initialDealState);
  return { when: (command: DealCommand): Decision => decideDeal(command, state, defaultConfig) };
}

const created: DomainEvent = {
  type: "DealCreated",
  data: {
    dealId: "d",
    accountId: "a",
    ownerRepId: "r",
    name: "D",
    amount: 50_000,
    currency: "USD",
    stage: "discovery",
    expectedCloseDate: "2026-03-31",
  },
};
const evidence = (gate: string): DomainEvent => ({
  type: "GateEvidenceRecorded",
  data: { dealId: "d", gate, evidence: "notes" },
});

describe("deal decider", () => {
  it("opens a deal in the first configured stage", () => {
    const decision = given().when({
      type: "OpenDeal",
      dealId: "d",
      accountId: "a",
      ownerRepId: "r",
      name: "D",
      amount: 10,
      expectedCloseDate: "2026-03-31",
    });
    expect(decision).toEqual({
      ok: true,
      events: [
        expect.objectContaining({ type: "DealCreated", data: expect.objectContaining({ stage: "discovery", currency: "USD" }) }),
      ],
    });
  });

  it("refuses to open a deal twice", () => {
    expect(
      given(created).when({
        type: "OpenDeal",
        dealId: "d",
        accountId: "a",
        ownerRepId: "r",
        name: "D",
        amount: 10,
        expectedCloseDate: "2026-03-31",
      }),
    ).toMatchObject({
      ok: false,
      error: { code: "already_exists" },
    });
  });

  it("refuses to advance past a stage without its exit evidence, naming what is missing", () => {
    const decision = given(created).when({ type: "ChangeStage", dealId: "d", to: "business_case" });
    expect(decision).toMatchObject({
      ok: false,
      error: { code: "gate_not_met", stage: "discovery", missingEvidence: ["pain_statement", "technical_champion"] },
    });
  });

  it("advances with the evidence, or with an override whose reason is recorded", () => {
    expect(
      given(created, evidence("pain_statement")).when({ type: "ChangeStage", dealId: "d", to: "technical_validation" }),
    ).toEqual({
      ok: true,
      events: [{ type: "DealStageChanged", data: { dealId: "d", from: "discovery", to: "technical_validation" } }],
    });
    expect(
      given(created).when({ type: "ChangeStage", dealId: "d", to: "negotiation", override: { reason: "exec sponsor signed" } }),
    ).toMatchObject({
      ok: true,
      events: [{ data: { override: { reason: "exec sponsor signed" } } }],
    });
  });

  it("lets a deal regress without evidence", () => {
    const advanced: DomainEvent = {
      type: "DealStageChanged",
      data: { dealId: "d", from: "discovery", to: "business_case", override: { reason: "x" } },
    };
    expect(given(created, advanced).when({ type: "ChangeStage", dealId: "d", to: "discovery" })).toMatchObject({ ok: true });
  });

  it("rejects unknown stages with the configured list", () => {
    expect(given(created).when({ type: "ChangeStage", dealId: "d", to: "magic" })).toMatchObject({
      ok: false,
      error: { code: "unknown_stage", knownStages: ["discovery", "technical_validation", "business_case", "negotiation"] },
    });
  });

  it("winning needs every gate from the current stage on", () => {
    expect(given(created).when({ type: "WinDeal", dealId: "d" })).toMatchObject({
      ok: false,
      error: { missingEvidence: ["pain_statement", "technical_champion", "economic_buyer"] },
    });
    expect(
      given(created, evidence("pain_statement"), evidence("technical_champion"), evidence("economic_buyer")).when({
        type: "WinDeal",
        dealId: "d",
      }),
    ).toEqual({
      ok: true,
      events: [{ type: "DealWon", data: { dealId: "d", amount: 50_000, currency: "USD" } }],
    });
  });

  it("a close date and amount given with the close are written on the close event, only when they change", () => {
    const ready = [created, evidence("pain_statement"), evidence("technical_champion"), evidence("economic_buyer")];
    expect(given(...ready).when({ type: "WinDeal", dealId: "d", amount: 52_000, expectedCloseDate: "2026-04-10" })).toEqual({
      ok: true,
      events: [{ type: "DealWon", data: { dealId: "d", amount: 52_000, currency: "USD", expectedCloseDate: "2026-04-10" } }],
    });
    expect(given(...ready).when({ type: "WinDeal", dealId: "d", expectedCloseDate: "2026-03-31" })).toEqual({
      ok: true,
      events: [{ type: "DealWon", data: { dealId: "d", amount: 50_000, currency: "USD" } }],
    });
    expect(
      given(created).when({
        type: "LoseDeal",
        dealId: "d",
        reason: "pricing",
        amount: 40_000,
        expectedCloseDate: "2026-02-27",
      }),
    ).toEqual({
      ok: true,
      events: [
        {
          type: "DealLost",
          data: { dealId: "d", reason: "pricing", amount: 40_000, currency: "USD", expectedCloseDate: "2026-02-27" },
        },
      ],
    });
    expect(given(created).when({ type: "LoseDeal", dealId: "d", reason: "timing", amount: 50_000 })).toEqual({
      ok: true,
      events: [{ type: "DealLost", data: { dealId: "d", reason: "timing" } }],
    });
  });

  it("after a close that carried a close date and amount, a reopened deal has them", () => {
    const lost: DomainEvent = {
      type: "DealLost",
      data: { dealId: "d", reason: "timing", amount: 40_000, currency: "EUR", expectedCloseDate: "2026-02-27" },
    };
    const reopened: DomainEvent = { type: "DealReopened", data: { dealId: "d", stage: "discovery" } };
    expect(
      given(created, lost, reopened).when({ type: "MoveCloseDate", dealId: "d", expectedCloseDate: "2026-02-27" }),
    ).toMatchObject({
      ok: false,
      error: { code: "no_change" },
    });
    expect(
      given(created, lost, reopened).when({ type: "ChangeAmount", dealId: "d", amount: 40_000, currency: "EUR" }),
    ).toMatchObject({
      ok: false,
      error: { code: "no_change" },
    });
  });

  it("closed deals refuse every change except reopening", () => {
    const lost: DomainEvent = { type: "DealLost", data: { dealId: "d", reason: "timing" } };
    expect(given(created, lost).when({ type: "ChangeAmount", dealId: "d", amount: 1 })).toMatchObject({
      ok: false,
      error: { code: "deal_closed", status: "lost" },
    });
    expect(given(created, lost).when({ type: "ReopenDeal", dealId: "d" })).toEqual({
      ok: true,
      events: [{ type: "DealReopened", data: { dealId: "d", stage: "discovery" } }],
    });
    expect(given(created).when({ type: "ReopenDeal", dealId: "d" })).toMatchObject({ ok: false, error: { code: "not_closed" } });
  });

  it("commands on a missing deal are refused", () => {
    expect(given().when({ type: "MoveCloseDate", dealId: "d", expectedCloseDate: "2026-05-01" })).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
  });

  it("records contact roles once and removes only held ones", () => {
    const role: DomainEvent = { type: "ContactRoleAssigned", data: { dealId: "d", contactId: "c", role: "champion" } };
    expect(given(created, role).when({ type: "AssignContactRole", dealId: "d", contactId: "c", role: "champion" })).toMatchObject(
      { ok: false, error: { code: "no_change" } },
    );
    expect(given(created).when({ type: "RemoveContactRole", dealId: "d", contactId: "c", role: "champion" })).toMatchObject({
      ok: false,
      error: { code: "no_change" },
    });
    expect(given(created, role).when({ type: "RemoveContactRole", dealId: "d", contactId: "c", role: "champion" })).toMatchObject(
      { ok: true },
    );
  });
});
