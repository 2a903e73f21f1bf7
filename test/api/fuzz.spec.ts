import { schema } from "@revgraph/api";
import fc from "fast-check";
import {
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
} from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { apiHarness } from "./harness.ts";

type Harness = Awaited<ReturnType<typeof apiHarness>>;
let api: Harness;
beforeAll(async () => {
  api = await apiHarness(60);
});

/** Strings a boundary must survive: control and bidi characters, lone surrogates, huge, numeric-looking, dates. */
const nastyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    "\u0000",
    "deal-\u0000x",
    "\uD800",
    "\u202Eevil",
    "=HYPERLINK(1)",
    "-1",
    "1e308",
    "2026-02-30",
    "2026-02-30T00:00:00Z",
    "0050-Q1",
    "2026-Q3",
    "9999-12-31T23:59:59Z",
    "rep-1",
    "acct-1",
    "team-1",
    "win_rate",
  ),
  fc.integer({ min: 1_000, max: 200_000 }).map((length) => "x".repeat(length)),
);
const nastyInt = fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 1, 500, 501, 2_147_483_647, -2_147_483_648));
const nastyFloat = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1e12, 1e12 + 1, 1e308, -1e308, 0.5, 5e-324),
);

/** Random JSON for a GraphQL input type: usually of the right shape, sometimes not. */
function valueFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valueFor(type.ofType, depth);
  const wrongShape = fc.oneof(fc.constant(null), nastyString, nastyInt, fc.jsonValue({ maxDepth: 2 }));
  if (isListType(type))
    return fc.oneof({ weight: 4, arbitrary: fc.array(valueFor(type.ofType, depth + 1), { maxLength: 4 }) }, wrongShape);
  if (isEnumType(type))
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...type.getValues().map((value) => value.name)) }, nastyString);
  if (isInputObjectType(type)) {
    if (depth > 3) return fc.constant(null);
    const fields = Object.values(type.getFields());
    const shaped = fc.record(Object.fromEntries(fields.map((field) => [field.name, valueFor(field.type, depth + 1)])), {
      requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name),
    });
    return fc.oneof({ weight: 6, arbitrary: shaped }, wrongShape);
  }
  if (isScalarType(type)) {
    const byScalar: Record<string, fc.Arbitrary<unknown>> = {
      Int: nastyInt,
      Float: nastyFloat,
      Boolean: fc.boolean(),
      JSON: fc.jsonValue({ maxDepth: 3 }),
    };
    return fc.oneof({ weight: 6, arbitrary: byScalar[type.name] ?? nastyString }, wrongShape);
  }
  return wrongShape;
}

/** An operation calling one root field with every argument as a variable, selecting only what any type has. */
function operationFor(kind: "query" | "mutation", field: GraphQLField<unknown, unknown>): string {
  const definitions = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(", ");
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  const selection = isLeafType(getNamedType(field.type)) ? "" : " { __typename }";
  return `${kind}${definitions ? `(${definitions})` : ""} { ${field.name}${args ? `(${args})` : ""}${selection} }`;
}

function argumentsFor(field: GraphQLField<unknown, unknown>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(field.args.map((arg) => [arg.name, valueFor(arg.type)])), {
    requiredKeys: field.args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name),
  });
}

async function send(token: string, query: string, variables: unknown) {
  const response = await api.app.fetch("http://revgraph.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, text: await response.text() };
}

const runsPerField = 6;

describe("fuzzing the printed schema's arguments", () => {
  const roots = [
    ["query", schema.getQueryType()],
    ["mutation", schema.getMutationType()],
  ] as const;
  for (const [kind, root] of roots) {
    it(`never answers 500 to random arguments of any ${kind} field, and a refused mutation writes nothing`, async () => {
      const rssBefore = process.memoryUsage().rss;
      const fields = Object.values(root?.getFields() ?? {});
      expect(fields.length).toBeGreaterThan(5);
      for (const field of fields) {
        const query = operationFor(kind, field);
        await fc.assert(
          fc.asyncProperty(argumentsFor(field), fc.constantFrom("rep", "admin", "auditor"), async (variables, role) => {
            const head = await api.store.headPosition();
            const { status, text } = await send(api.tokens[role as "rep"], query, variables);
            expect(status, `${field.name} ${text.slice(0, 300)}`).toBeLessThan(500);
            // An unexpected exception is masked as "Unexpected error." with code INTERNAL_SERVER_ERROR: none may happen.
            expect(text, `${field.name} ${JSON.stringify(variables).slice(0, 300)}`).not.toMatch(/INTERNAL_SERVER_ERROR/);
            const body = JSON.parse(text) as { data?: Record<string, { __typename?: string } | null> | null };
            const outcome = body.data?.[field.name]?.__typename ?? "";
            if (kind === "mutation" && !outcome.endsWith("Success")) expect(await api.store.headPosition()).toBe(head);
          }),
          { numRuns: runsPerField, interruptAfterTimeLimit: 4_000 },
        );
      }
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(400 * 1024 * 1024);
    }, 120_000);
  }
});

describe("fuzzing requests", () => {
  it("never answers 500 to random bodies and headers, and keeps answering", async () => {
    const contentTypes = fc.oneof(
      fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/graphql",
        "",
      ),
      fc.string({ maxLength: 30 }),
    );
    const body = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
      fc.record({ query: nastyString, variables: fc.jsonValue({ maxDepth: 3 }) }).map((value) => JSON.stringify(value)),
      fc
        .record({ depth: fc.integer({ min: 1, max: 20_000 }) })
        .map(({ depth }) => `{"query":"{ viewer { role } }","variables":{"v":${"[".repeat(depth)}${"]".repeat(depth)}}}`),
    );
    const headerValue = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.constantFrom("", "a".repeat(9_000), "Bearer x.y.z", "gzip, br"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
        contentTypes,
        body,
        fc.record(
          { accept: headerValue, "accept-encoding": headerValue, "x-request-id": headerValue, authorization: headerValue },
          { requiredKeys: [] },
        ),
        async (method, contentType, text, headers) => {
          const safeHeaders = Object.fromEntries(
            Object.entries({ ...headers, "content-type": contentType }).filter(([, value]) => /^[\t\x20-\x7e]*$/.test(value)),
          );
          const response = await api.app.fetch("http://revgraph.test/graphql", {
            method,
            headers: safeHeaders,
            ...(method === "GET" || method === "OPTIONS" ? {} : { body: text }),
          });
          const answer = new TextDecoder().decode(await response.arrayBuffer());
          expect(answer).not.toMatch(/INTERNAL_SERVER_ERROR/);
          expect(response.status, `${method} ${contentType} ${text.slice(0, 120)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 20_000 },
    );
    const alive = await send(api.tokens.exec, "{ viewer { role } }", {});
    expect(alive.status).toBe(200);
  }, 60_000);
});
