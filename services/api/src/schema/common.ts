import { GraphQLError, Kind } from "graphql";
import { builder } from "../builder.ts";

function parseDateTime(value: unknown): string {
  if (
    typeof value !== "string" ||
    !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    throw new GraphQLError(`DateTime: ${JSON.stringify(value)} is not an ISO-8601 instant (e.g. 2026-04-01T00:00:00Z)`);
  }
  return new Date(value.length === 10 ? `${value}T00:00:00Z` : value).toISOString();
}

function parseDate(value: unknown): string {
  if (
    typeof value !== "string" ||
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
  ) {
    throw new GraphQLError(`Date: ${JSON.stringify(value)} is not a calendar date (YYYY-MM-DD)`);
  }
  return value;
}

function stringLiteral(kind: Kind, value: unknown, scalar: string): unknown {
  if (kind !== Kind.STRING) throw new GraphQLError(`${scalar} must be a string`);
  return value;
}

/** An instant, ISO-8601 with offset; returned in UTC. */
builder.scalarType("DateTime", {
  description: "An instant as ISO-8601 text with an offset, e.g. 2026-03-31T23:30:00-05:00 (returned in UTC).",
  serialize: (value) => String(value),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(stringLiteral(ast.kind, "value" in ast ? ast.value : undefined, "DateTime")),
});

/** A calendar date. */
builder.scalarType("Date", {
  description: "A calendar date, YYYY-MM-DD.",
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

/** One field that failed validation, by path. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** Input that failed validation; each issue names the field path. */
export class InputValidationError extends Error {
  override readonly name = "InputValidationError";
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[]) {
    super(`invalid input: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`);
    this.issues = issues;
  }
}

/** Another writer got there first; nothing was written. */
export class ConcurrencyConflictError extends Error {
  override readonly name = "ConcurrencyConflictError";
  readonly streamId: string;
  readonly expectedRevision: string;
  readonly actualRevision: number;
  constructor(streamId: string, expectedRevision: string, actualRevision: number) {
    super(`stream ${streamId} is at revision ${actualRevision}, not ${expectedRevision}: reload and retry`);
    this.streamId = streamId;
    this.expectedRevision = expectedRevision;
    this.actualRevision = actualRevision;
  }
}

/** A stage gate's evidence is missing. */
export class GateNotMetError extends Error {
  override readonly name = "GateNotMetError";
  readonly stage: string;
  readonly missingEvidence: readonly string[];
  constructor(message: string, stage: string, missingEvidence: readonly string[]) {
    super(message);
    this.stage = stage;
    this.missingEvidence = missingEvidence;
  }
}

/** Any other rule of the domain refused the command (closed deal, unknown stage, not found, …). */
export class CommandRejectedError extends Error {
  override readonly name = "CommandRejectedError";
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

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

/** The typed failures every mutation can return. */
export const commandErrors = [InputValidationError, ConcurrencyConflictError, GateNotMetError, CommandRejectedError];
