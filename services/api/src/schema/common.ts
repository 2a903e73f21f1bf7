import {
  CommandRejectedError,
  ConcurrencyConflictError,
  type FieldIssue,
  GateNotMetError,
  IdempotencyConflictError,
  InputValidationError,
  parseCalendarDate,
  parseInstant,
  TimeParseError,
} from "@revgraph/app";
import { GraphQLError, Kind } from "graphql";
import { builder } from "../builder.ts";

/** A GraphQL scalar parser over one of the application's strict parsers: a refusal names the scalar and the reason. */
function strict(scalar: string, parse: (text: string) => string): (value: unknown) => string {
  return (value) => {
    if (typeof value !== "string") throw new GraphQLError(`${scalar}: expected a string, got ${typeof value}`);
    try {
      return parse(value);
    } catch (error) {
      if (error instanceof TimeParseError) throw new GraphQLError(`${scalar}: ${error.message}`);
      throw error;
    }
  };
}

const parseDateTime = strict("DateTime", (text) => parseInstant(text));
const parseDate = strict("Date", (text) => parseCalendarDate(text));

function stringLiteral(kind: Kind, value: unknown, scalar: string): unknown {
  if (kind !== Kind.STRING) throw new GraphQLError(`${scalar} must be a string`);
  return value;
}

/** An instant, ISO-8601 with offset; returned in UTC. */
builder.scalarType("DateTime", {
  description:
    "An instant as ISO-8601 text with an offset or Z, e.g. 2026-03-31T23:30:00-05:00 (returned in UTC); impossible dates and times are refused, years 1900 to 2200.",
  serialize: (value) => String(value),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(stringLiteral(ast.kind, "value" in ast ? ast.value : undefined, "DateTime")),
});

/** A calendar date. */
builder.scalarType("Date", {
  description: "A calendar date, YYYY-MM-DD; impossible dates are refused, years 1900 to 2200.",
  serialize: (value) => String(value),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(stringLiteral(ast.kind, "value" in ast ? ast.value : undefined, "Date")),
});

/** Arbitrary JSON (event data, derivation detail). */
builder.scalarType("JSON", {
  description: "Any JSON value.",
  serialize: (value) => value,
  parseValue: (value) => value,
});

/** What every typed error result carries. */
export const ErrorInterface = builder.interfaceRef<Error>("Error").implement({
  fields: (t) => ({ message: t.exposeString("message") }),
});

const FieldIssueRef = builder.objectRef<FieldIssue>("FieldIssue").implement({
  fields: (t) => ({ path: t.exposeString("path"), message: t.exposeString("message") }),
});

builder.objectType(InputValidationError, {
  name: "ValidationError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ issues: t.field({ type: [FieldIssueRef], resolve: (error) => [...error.issues] }) }),
});
builder.objectType(ConcurrencyConflictError, {
  name: "ConcurrencyError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    streamId: t.exposeString("streamId"),
    expectedRevision: t.exposeString("expectedRevision"),
    actualRevision: t.exposeInt("actualRevision"),
  }),
});
builder.objectType(GateNotMetError, {
  name: "GateNotMetError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    stage: t.exposeString("stage"),
    missingEvidence: t.field({ type: ["String"], resolve: (error) => [...error.missingEvidence] }),
  }),
});
builder.objectType(CommandRejectedError, {
  name: "CommandRejectedError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ code: t.exposeString("code") }),
});

builder.objectType(IdempotencyConflictError, {
  name: "IdempotencyConflictError",
  description: "You already used this idempotency key for a different command; nothing was written.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ idempotencyKey: t.exposeString("idempotencyKey") }),
});

/** The typed failures every mutation can return. */
export const commandErrors = [
  InputValidationError,
  ConcurrencyConflictError,
  GateNotMetError,
  CommandRejectedError,
  IdempotencyConflictError,
];
