import type { Role } from "@revgraph/api";
import { chainLogHash, collectEvents, GENESIS_LOG_HASH } from "@revgraph/event-store";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness } from "./harness.ts";

const query = "{ logDigest { position logHash recordedAt } }";

describe("logDigest (auditors)", () => {
  let api: Awaited<ReturnType<typeof apiHarness>>;
  beforeAll(async () => {
    api = await apiHarness(40);
  });

  it("answers the head of the log: position, the log hash chained over every event, its record time", async () => {
    const events = await collectEvents(api.store.readAll());
    let logHash = GENESIS_LOG_HASH;
    for (const event of events) logHash = chainLogHash(logHash, event.hash);
    const { status, body } = await api.gql(api.tokens.auditor, query);
    expect(status).toBe(200);
    expect(body.data.logDigest).toEqual({ position: events.length, logHash, recordedAt: events.at(-1)?.recordedAt });
    expect((await api.gql(api.tokens.admin, query)).body.data.logDigest).toEqual(body.data.logDigest);
  });

  it.each(["rep", "manager", "exec"] satisfies Role[])("is refused to the %s role", async (role) => {
    const { body } = await api.gql(api.tokens[role], query);
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(body.data.logDigest ?? null).toBeNull();
  });
});
