/** One field that failed validation, by path. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** Input that failed validation; each issue names the field path. Nothing was written. */
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

/** Any other rule of the domain refused the command (closed deal, unknown stage, not found, forbidden, …). */
export class CommandRejectedError extends Error {
  override readonly name = "CommandRejectedError";
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The caller already used this idempotency key for a different command (another mutation, stream or input).
 * Nothing was written, and nothing of the first command is revealed beyond that it differs.
 */
export class IdempotencyConflictError extends Error {
  override readonly name = "IdempotencyConflictError";
  readonly idempotencyKey: string;
  constructor(idempotencyKey: string) {
    super(`idempotency key ${JSON.stringify(idempotencyKey)} was already used by you for a different command: use a new key`);
    this.idempotencyKey = idempotencyKey;
  }
}
