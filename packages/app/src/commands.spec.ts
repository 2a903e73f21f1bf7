import { defaultConfig, streamIds } from "@revgraph/domain";
import { createMemoryEventStore } from "@revgraph/event-store";
import { describe, expect, it } from "vitest";
import { CommandPipeline, type Principal } from "./commands.ts";
import { ConcurrencyConflictError, IdempotencyConflictError, InputValidationError } from "./errors.ts";

const now = new Date("2026-11-15T12:00:00Z");
const principal = (id: string): Principal => ({
  id,
  writes: true,
  admin: true,
  canSeeRep: () => true,
  canSeeDealId: () => true,
  canSeeForecast: () => true,
});
const known = new Set(["account:acct-1", "rep:rep-1"]);

function pipeline() {
  const store = createMemoryEventStore();
  return {
    store,
    commands: new CommandPipeline({ store, config: defaultConfig, references: (kind, id) => known.has(`${kind}:${id}`) }),
  };
}

const open = (dealId: string, amount = 10) => ({
  dealId,
  accountId: "acct-1",
  ownerRepId: "rep-1",
  name: "Deal",
  amount,
  expectedCloseDate: "2026-12-31",
});

describe("CommandPipeline", () => {
  it("replays a key for the same principal and command, conflicts on another command, and keeps principals apart", async () => {
    const { store, commands } = pipeline();
    const first = await commands.run("openDeal", open("d1"), principal("ana"), { idempotencyKey: "k", now });
    const again = await commands.run("openDeal", open("d1"), principal("ana"), { idempotencyKey: "k", now: new Date() });
    expect(again).toEqual({ ...first, replayed: true });
    await expect(commands.run("openDeal", open("d1", 11), principal("ana"), { idempotencyKey: "k", now })).rejects.toThrow(
      IdempotencyConflictError,
    );
    await expect(
      commands.run("changeDealAmount", { dealId: "d1", amount: 10 }, principal("ana"), { idempotencyKey: "k", now }),
    ).rejects.toThrow(IdempotencyConflictError);
    const other = await commands.run("openDeal", open("d2"), principal("bob"), { idempotencyKey: "k", now });
    expect(other).toMatchObject({ streamId: streamIds.deal("d2"), replayed: false });
    expect(await store.headPosition()).toBe(2);
  });

  it("refuses bad input, unknown references and a stale revision without writing", async () => {
    const { store, commands } = pipeline();
    await expect(commands.run("openDeal", open("d1", Number.MAX_VALUE), principal("ana"), { now })).rejects.toThrow(
      InputValidationError,
    );
    await expect(commands.run("openDeal", { ...open("d1"), accountId: "acct-2" }, principal("ana"), { now })).rejects.toThrow(
      /input.accountId: account "acct-2" does not exist/,
    );
    await expect(commands.run("openDeal", open("d1"), principal("ana"), { now, expectedRevision: 3 })).rejects.toThrow(
      ConcurrencyConflictError,
    );
    expect(await store.headPosition()).toBe(0);
  });
});
