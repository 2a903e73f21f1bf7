import { schema } from "@revgraph/api";
import { getNamedType, isObjectType } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness(60);
});

/** How to reach each type that has connection fields from the query root: wraps a selection on that type. */
const reach: Record<string, (selection: string) => string> = {
  Query: (selection) => `{ ${selection} }`,
  Deal: (selection) => `{ deals(first: 1) { edges { node { ${selection} } } } }`,
  Account: (selection) => `{ accounts(first: 1) { edges { node { ${selection} } } } }`,
  Rep: (selection) => `{ reps { ${selection} } }`,
  Derivation: (selection) => `{ kpi(id: "win_rate", period: "2026-Q3") { derivation { ${selection} } } }`,
};

/** Every connection field of the schema, as "Type.field". */
function connectionFields(): { type: string; field: string }[] {
  return Object.values(schema.getTypeMap()).flatMap((type) =>
    isObjectType(type) && !type.name.startsWith("__")
      ? Object.values(type.getFields())
          .filter(
            (field) => getNamedType(field.type).name.endsWith("Connection") && field.args.some((arg) => arg.name === "first"),
          )
          .map((field) => ({ type: type.name, field: field.name }))
      : [],
  );
}

const badArguments: [string, string, RegExp][] = [
  ["first: -1", "first", /0 to 500/],
  ["first: 501", "first", /0 to 500/],
  ["last: -1", "last", /0 to 500/],
  ["last: 100000", "last", /0 to 500/],
  ["first: 2, last: 2", "last", /either first .* or last/],
  [`after: "garbage"`, "after", /not a cursor/],
  [`before: "-3"`, "before", /not a cursor/],
];

describe("every Relay connection", () => {
  it("is reachable by this test (a new connection field must be added to it)", () => {
    const fields = connectionFields();
    expect(fields.length).toBeGreaterThanOrEqual(8);
    for (const { type } of fields) expect(Object.keys(reach)).toContain(type);
  });

  it("states the page-size bounds in the schema", () => {
    for (const { type, field } of connectionFields()) {
      const definition = (
        schema.getType(type) as {
          getFields(): Record<string, { args: readonly { name: string; description?: string | null }[] }>;
        }
      ).getFields()[field];
      expect(definition?.args.find((arg) => arg.name === "first")?.description, `${type}.${field}`).toMatch(/0 to 500/);
      expect(definition?.args.find((arg) => arg.name === "last")?.description, `${type}.${field}`).toMatch(/0 to 500/);
    }
  });

  for (const [args, argument, message] of badArguments) {
    it(`refuses ${args} on every connection with BAD_USER_INPUT naming ${argument}`, async () => {
      for (const { type, field } of connectionFields()) {
        const query = (reach[type] as (selection: string) => string)(`${field}(${args}) { edges { cursor } }`);
        const { status, body } = await api.gql(api.tokens.exec, query);
        const where = `${type}.${field}(${args})`;
        expect(status, where).toBeLessThan(500);
        const error = body.errors?.[0];
        expect(error?.extensions?.code, where).toBe("BAD_USER_INPUT");
        expect(error?.message, where).toMatch(new RegExp(`^${argument}: `));
        expect(error?.message, where).toMatch(message);
      }
    });
  }
});

interface Page {
  edges: { cursor: string; node: { globalPosition?: number; dealId?: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
const pageInfo = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";
const eventPage = `edges { cursor node { globalPosition } } ${pageInfo}`;
const dealPage = `edges { cursor node { dealId } } ${pageInfo}`;

describe("paging", () => {
  it("pages the log backwards with last/before and forwards with first/after to the same events", async () => {
    const head = await api.store.headPosition();
    const last = await api.gql(api.tokens.exec, `{ events(last: 2) { ${eventPage} } }`);
    const tail = (last.body.data.events as Page).edges.map((edge) => edge.node.globalPosition);
    expect(tail).toEqual([head - 1, head]);
    expect((last.body.data.events as Page).pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

    const near = async (cursor: string) =>
      (await api.gql(api.tokens.exec, `{ events(last: 3, before: "${cursor}") { ${eventPage} } }`)).body.data.events as Page;
    expect((await near("5")).edges.map((edge) => edge.node.globalPosition)).toEqual([2, 3, 4]);
    expect((await near("5")).pageInfo.hasPreviousPage).toBe(true);
    expect((await near("3")).edges.map((edge) => edge.node.globalPosition)).toEqual([1, 2]);
    expect((await near("3")).pageInfo.hasPreviousPage).toBe(false);

    const prefix = `deal-${api.myDeal.id}`;
    const walk = async (direction: "forwards" | "backwards") => {
      const seen: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 200; page++) {
        const args = direction === "forwards" ? `first: 3, after: $cursor` : `last: 3, before: $cursor`;
        const { body } = await api.gql(
          api.tokens.exec,
          `query($cursor: String) { events(${args}, streamPrefix: "${prefix}") { ${eventPage} } }`,
          { cursor },
        );
        const events = body.data.events as Page;
        const positions = events.edges.map((edge) => edge.node.globalPosition as number);
        if (direction === "forwards") seen.push(...positions);
        else seen.unshift(...positions);
        const more = direction === "forwards" ? events.pageInfo.hasNextPage : events.pageInfo.hasPreviousPage;
        if (!more) break;
        cursor = direction === "forwards" ? events.pageInfo.endCursor : events.pageInfo.startCursor;
      }
      return seen;
    };
    const stream: number[] = [];
    for await (const event of api.store.readAll({ streamPrefix: prefix })) stream.push(event.globalPosition);
    expect(await walk("forwards")).toEqual(stream);
    expect(await walk("backwards")).toEqual(stream);
  });

  it("honours last on a deal's events and on the deals list", async () => {
    const stream = (await api.store.readStream(`deal-${api.myDeal.id}`)).map((event) => event.globalPosition);
    const { body } = await api.gql(
      api.tokens.exec,
      `query($id: String!) { deal(dealId: $id) { events(last: 2) { ${eventPage} } } }`,
      {
        id: api.myDeal.id,
      },
    );
    const events = (body.data.deal as { events: Page }).events;
    expect(events.edges.map((edge) => edge.node.globalPosition)).toEqual(stream.slice(-2));

    const all = await api.gql(api.tokens.exec, `{ deals(first: 500) { ${dealPage} } }`);
    const ids = (all.body.data.deals as Page).edges.map((edge) => edge.node.dealId);
    const tail = await api.gql(api.tokens.exec, `{ deals(last: 3) { ${dealPage} } }`);
    expect((tail.body.data.deals as Page).edges.map((edge) => edge.node.dealId)).toEqual(ids.slice(-3));
    const cursor = (all.body.data.deals as Page).edges[10]?.cursor;
    const before = await api.gql(api.tokens.exec, `query($c: String) { deals(last: 4, before: $c) { ${dealPage} } }`, {
      c: cursor,
    });
    expect((before.body.data.deals as Page).edges.map((edge) => edge.node.dealId)).toEqual(ids.slice(6, 10));
  });

  it("pages a derivation's events backwards as well", async () => {
    const query = (args: string) =>
      `{ kpi(id: "win_rate", period: "2026-Q3") { derivation { eventCount events(${args}) { ${eventPage} } } } }`;
    const all = await api.gql(api.tokens.auditor, query("first: 500"));
    const derivation = (all.body.data.kpi as { derivation: { eventCount: number; events: Page } }[])[0]?.derivation as {
      eventCount: number;
      events: Page;
    };
    expect(derivation.events.edges.length).toBe(Math.min(derivation.eventCount, 500));
    const last = await api.gql(api.tokens.auditor, query("last: 3"));
    const lastEdges = (last.body.data.kpi as { derivation: { events: Page } }[])[0]?.derivation.events.edges;
    expect(lastEdges?.map((edge) => edge.node.globalPosition)).toEqual(
      derivation.events.edges.slice(-3).map((edge) => edge.node.globalPosition),
    );
  });
});

describe("query cost", () => {
  it("counts the page size asked for, through variables and aliases, and says the limits", async () => {
    const aliases = Array.from(
      { length: 10 },
      (_, index) => `e${index}: events(first: $n) { edges { node { eventId type streamId data hash prevHash } } }`,
    ).join(" ");
    const { status, body } = await api.gql(api.tokens.exec, `query($n: Int) { ${aliases} }`, { n: 500 });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe("COST_LIMIT_EXCEEDED");
    expect(body.errors?.[0]?.message).toMatch(/maximum is 20000/);
    expect(body.errors?.[0]?.message).not.toMatch(/Syntax Error/);
    const small = await api.gql(api.tokens.exec, `query($n: Int) { ${aliases} }`, { n: 5 });
    expect(small.body.errors).toBeUndefined();
  });

  it("names the maximum page size when a page is too large", async () => {
    const { body } = await api.gql(api.tokens.exec, `{ deals(first: 1000) { edges { node { dealId } } } }`);
    expect(body.errors?.[0]?.message).toMatch(/first: must be a whole number from 0 to 500, got 1000/);
  });
});
