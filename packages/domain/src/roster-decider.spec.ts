import type { DomainEvent } from "@revgraph/events";
import { describe, expect, it } from "vitest";
import { decideRoster, evolveRoster, initialRosterState, type RosterCommand } from "./roster-decider.ts";

function given(...events: DomainEvent[]) {
  const state = events.reduce(evolveRoster, initialRosterState);
  return { when: (command: RosterCommand) => decideRoster(command, state) };
}

const hired: DomainEvent = { type: "RepHired", data: { repId: "r1", name: "Ana", teamId: "t1", startDate: "2026-01-15" } };

describe("roster decider", () => {
  it("hires a rep once", () => {
    expect(given().when({ type: "HireRep", repId: "r1", name: "Ana", teamId: "t1", startDate: "2026-01-15" })).toEqual({
      ok: true,
      events: [hired],
    });
    expect(given(hired).when({ type: "HireRep", repId: "r1", name: "Ana", teamId: "t1", startDate: "2026-01-15" })).toMatchObject(
      { ok: false, error: { code: "already_exists" } },
    );
  });

  it("sets quotas and transfers only for reps that exist", () => {
    const quota = {
      type: "SetQuota",
      repId: "r1",
      period: "2026-Q1",
      from: "2026-01-01",
      to: "2026-04-01",
      amount: 100,
      currency: "USD",
    } as const;
    expect(given().when(quota)).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(given(hired).when(quota)).toMatchObject({ ok: true, events: [{ type: "QuotaSet", data: { amount: 100 } }] });
    expect(given().when({ type: "TransferRep", repId: "r1", teamId: "t2" })).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
    expect(given(hired).when({ type: "TransferRep", repId: "r1", teamId: "t2" })).toEqual({
      ok: true,
      events: [{ type: "RepTransferred", data: { repId: "r1", teamId: "t2" } }],
    });
  });

  it("registers accounts and forms teams once", () => {
    const registered: DomainEvent = { type: "AccountRegistered", data: { accountId: "a", name: "A", addressable: true } };
    expect(given(registered).when({ type: "RegisterAccount", accountId: "a", name: "A", addressable: true })).toMatchObject({
      ok: false,
      error: { code: "already_exists" },
    });
    expect(given().when({ type: "FormTeam", teamId: "t", name: "East" })).toEqual({
      ok: true,
      events: [{ type: "TeamFormed", data: { teamId: "t", name: "East" } }],
    });
  });
});
