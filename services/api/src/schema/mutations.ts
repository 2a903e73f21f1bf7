import { hash } from "node:crypto";
import {
  type DealCommand,
  type DealDecisionState,
  type Decision,
  decideDeal,
  decideRoster,
  evolveDeal,
  evolveRoster,
  initialDealState,
  initialRosterState,
  type RosterCommand,
  streamIds,
} from "@revgraph/domain";
import { WrongExpectedRevisionError } from "@revgraph/event-store";
import {
  contactRoles,
  type DomainEvent,
  eventDataSchemas,
  forecastCategories,
  interactionKinds,
  lossReasons,
  type NewEvent,
  type RecordedEvent,
  scalars,
  uuidFromHex,
} from "@revgraph/events";
import { z } from "zod";
import { builder, type Scopes } from "../builder.ts";
import type { Context } from "../context.ts";
import {
  CommandRejectedError,
  ConcurrencyConflictError,
  commandErrors,
  GateNotMetError,
  InputValidationError,
} from "./common.ts";
import { DealRef, EventRef } from "./refs.ts";
import { inputFieldsFromZod } from "./zod-input.ts";

const { id, money, businessDate, probability } = scalars;
const reason = z.object({ reason: z.string().min(1) });

/** Deal commands as data: the input schema (validation and GraphQL input type at once) per mutation. */
const dealCommandInputs = {
  openDeal: [
    "OpenDeal",
    z.object({
      dealId: id,
      accountId: id,
      ownerRepId: id,
      name: z.string().min(1),
      amount: money,
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/)
        .optional(),
      stage: z.string().optional(),
      expectedCloseDate: businessDate,
      product: z.string().optional(),
      leadSource: z.string().optional(),
    }),
  ],
  changeDealAmount: [
    "ChangeAmount",
    z.object({
      dealId: id,
      amount: money,
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/)
        .optional(),
    }),
  ],
  moveDealCloseDate: ["MoveCloseDate", z.object({ dealId: id, expectedCloseDate: businessDate })],
  changeDealStage: ["ChangeStage", z.object({ dealId: id, to: z.string().min(1), override: reason.optional() })],
  recordGateEvidence: [
    "RecordGateEvidence",
    z.object({ dealId: id, gate: z.string().min(1), evidence: z.string().min(1), contactId: id.optional() }),
  ],
  assignContactRole: ["AssignContactRole", z.object({ dealId: id, contactId: id, role: z.enum(contactRoles) })],
  removeContactRole: ["RemoveContactRole", z.object({ dealId: id, contactId: id, role: z.enum(contactRoles) })],
  logInteraction: [
    "LogInteraction",
    z.object({
      dealId: id,
      interactionId: id,
      repId: id,
      kind: z.enum(interactionKinds),
      direction: z.enum(["inbound", "outbound"]),
      contactIds: z.array(id),
      summary: z.string().optional(),
    }),
  ],
  setDealProbability: ["SetProbability", z.object({ dealId: id, probability })],
  setForecastCategory: ["SetForecastCategory", z.object({ dealId: id, category: z.enum(forecastCategories) })],
  changeDealOwner: ["ChangeOwner", z.object({ dealId: id, ownerRepId: id })],
  // A close date (and amount) given with the close is part of the close: written on DealWon / DealLost, not a push.
  winDeal: [
    "WinDeal",
    z.object({ dealId: id, amount: money.optional(), expectedCloseDate: businessDate.optional(), override: reason.optional() }),
  ],
  loseDeal: [
    "LoseDeal",
    z.object({
      dealId: id,
      reason: z.enum(lossReasons),
      competitor: z.string().optional(),
      note: z.string().optional(),
      amount: money.optional(),
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/)
        .optional(),
      expectedCloseDate: businessDate.optional(),
    }),
  ],
  reopenDeal: ["ReopenDeal", z.object({ dealId: id, stage: z.string().optional(), reason: z.string().optional() })],
} as const;

/** Roster commands: input = the event's own data schema; who may run it; which stream it lands on. */
const rosterCommandInputs = {
  registerAccount: {
    type: "RegisterAccount",
    schema: eventDataSchemas.AccountRegistered,
    stream: (input: { accountId: string }) => streamIds.account(input.accountId),
    scopes: { writes: true },
  },
  addContact: {
    type: "AddContact",
    schema: eventDataSchemas.ContactAdded,
    stream: (input: { contactId: string }) => streamIds.contact(input.contactId),
    scopes: { writes: true },
  },
  formTeam: {
    type: "FormTeam",
    schema: eventDataSchemas.TeamFormed,
    stream: (input: { teamId: string }) => streamIds.team(input.teamId),
    scopes: { admin: true },
  },
  assignManager: {
    type: "AssignManager",
    schema: eventDataSchemas.ManagerAssigned,
    stream: (input: { teamId: string }) => streamIds.team(input.teamId),
    scopes: { admin: true },
  },
  hireRep: {
    type: "HireRep",
    schema: eventDataSchemas.RepHired,
    stream: (input: { repId: string }) => streamIds.rep(input.repId),
    scopes: { admin: true },
  },
  transferRep: {
    type: "TransferRep",
    schema: eventDataSchemas.RepTransferred,
    stream: (input: { repId: string }) => streamIds.rep(input.repId),
    scopes: { admin: true },
  },
  setQuota: {
    type: "SetQuota",
    schema: eventDataSchemas.QuotaSet,
    stream: (input: { repId: string }) => streamIds.rep(input.repId),
    scopes: { admin: true },
  },
  submitForecast: {
    type: "SubmitForecast",
    schema: eventDataSchemas.ForecastSubmitted,
    stream: (input: { scope: { kind: string; id: string } }) => streamIds.forecast(input.scope.kind, input.scope.id),
    scopes: { writes: true },
  },
} as const;

/** What a successful command returns: the events it recorded and the stream's new revision. */
interface CommandOutcome {
  readonly streamId: string;
  readonly streamRevision: number;
  readonly events: readonly RecordedEvent[];
  readonly replayed: boolean;
}

function validate<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new InputValidationError(
      parsed.error.issues.map((issue) => ({ path: ["input", ...issue.path.map(String)].join("."), message: issue.message })),
    );
  }
  return parsed.data;
}

/** A stable event id for the `index`-th event of a command with this idempotency key. */
function idempotentEventId(key: string, index: number): string {
  return uuidFromHex(hash("sha256", `revgraph:${key}:${index}`, "hex"));
}

function rejection(decision: Extract<Decision, { ok: false }>): Error {
  const error = decision.error;
  if (error.code === "gate_not_met") return new GateNotMetError(error.message, error.stage, error.missingEvidence);
  return new CommandRejectedError(error.code, error.message);
}

interface CommandOptions {
  readonly expectedRevision?: number | null | undefined;
  readonly idempotencyKey?: string | null | undefined;
  readonly occurredAt?: string | null | undefined;
}

/**
 * Runs a command: load the stream, fold it, decide, append with optimistic concurrency and
 * idempotency, then wait until the read model has the new events (read-your-writes).
 */
async function execute<S>(
  context: Context,
  streamId: string,
  options: CommandOptions,
  fold: (events: readonly RecordedEvent[]) => S,
  decide: (state: S) => Decision,
): Promise<CommandOutcome> {
  const key = options.idempotencyKey ?? undefined;
  if (key) {
    const replayed = await context.store.readEventsById([idempotentEventId(key, 0)]);
    if (replayed[0]) {
      const stream = await context.store.readStream(replayed[0].streamId);
      const mine = stream.filter((event) => event.correlationId === key);
      return {
        streamId: replayed[0].streamId,
        streamRevision: (mine.at(-1) ?? replayed[0]).streamRevision,
        events: mine,
        replayed: true,
      };
    }
  }
  const history = await context.store.readStream(streamId);
  const revision = history.length - 1;
  const expected = options.expectedRevision ?? undefined;
  if (expected !== undefined && expected !== revision) throw new ConcurrencyConflictError(streamId, String(expected), revision);
  const decision = decide(fold(history));
  if (!decision.ok) throw rejection(decision);
  const occurredAt = options.occurredAt ?? context.now.toISOString();
  const events: NewEvent[] = decision.events.map((event, index) => ({
    ...(key ? { id: idempotentEventId(key, index) } : {}),
    type: event.type,
    data: event.data,
    occurredAt,
    actor: context.viewer?.claims.sub ?? "anonymous",
    source: { system: "graphql" },
    // With an idempotency key the key is the correlation id (a retry finds its events by it); else the request's.
    ...(key ? { correlationId: key } : context.correlationId ? { correlationId: context.correlationId } : {}),
  }));
  try {
    const result = await context.store.append(streamId, events, { expectedRevision: revision === -1 ? "no_stream" : revision });
    await context.readModel.waitFor(result.positions.at(-1) ?? 0);
    return { streamId, streamRevision: result.nextExpectedRevision, events: result.events, replayed: result.idempotentReplay };
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError)
      throw new ConcurrencyConflictError(streamId, String(error.expected), error.actual);
    throw error;
  }
}

const CommandResultRef = builder.objectRef<CommandOutcome & { dealId?: string }>("CommandResult").implement({
  description: "The events a command recorded, the stream's new revision, and the deal as it now stands.",
  fields: (t) => ({
    streamId: t.exposeString("streamId"),
    streamRevision: t.exposeInt("streamRevision", { description: "Pass as expectedRevision on the next command." }),
    replayed: t.exposeBoolean("replayed", {
      description: "True when the idempotency key had already been used: nothing new was written.",
    }),
    events: t.field({ type: [EventRef], resolve: (outcome) => [...outcome.events] }),
    deal: t.field({
      type: DealRef,
      nullable: true,
      resolve: (outcome, _args, context) => (outcome.dealId ? context.loaders.deal.load(outcome.dealId) : null),
    }),
  }),
});

const commonArgs = (t: Parameters<Parameters<typeof builder.mutationField>[1]>[0]) => ({
  expectedRevision: t.arg.int({
    required: false,
    description: "Fail with ConcurrencyError unless the stream is at this revision.",
  }),
  idempotencyKey: t.arg.string({
    required: false,
    description: "Retrying with the same key returns the first result and writes nothing.",
  }),
  occurredAt: t.arg({
    type: "DateTime",
    required: false,
    description: "Business time of the change (back-dating a correction); default now.",
  }),
});

function pascal(name: string): string {
  return `${name[0]?.toUpperCase()}${name.slice(1)}`;
}

for (const [name, [type, schema]] of Object.entries(dealCommandInputs)) {
  const InputType = builder.inputType(`${pascal(name)}Input`, {
    fields: (t) => inputFieldsFromZod(`${pascal(name)}Input`, schema, t as never) as never,
  });
  builder.mutationField(name, (t) =>
    t.field({
      type: CommandResultRef,
      errors: { types: commandErrors },
      args: { input: t.arg({ type: InputType, required: true }), ...commonArgs(t) },
      resolve: async (_root, args, context) => {
        const input = validate(schema as z.ZodType<{ dealId: string; ownerRepId?: string }>, args.input);
        const viewer = context.viewer;
        const allowed = type === "OpenDeal" ? viewer?.canSeeRep(input.ownerRepId ?? "") : viewer?.canSeeDealId(input.dealId);
        const newOwner = type === "ChangeOwner" && input.ownerRepId !== undefined ? viewer?.canSeeRep(input.ownerRepId) : true;
        if (!allowed || !newOwner) throw new CommandRejectedError("forbidden", `you may not change deal ${input.dealId}`);
        const command = { type, ...input } as DealCommand;
        const outcome = await execute<DealDecisionState>(
          context,
          streamIds.deal(input.dealId),
          args,
          (events) => events.reduce((state, event) => evolveDeal(state, event as DomainEvent, context.config), initialDealState),
          (state) => decideDeal(command, state, context.config),
        );
        return { ...outcome, dealId: input.dealId };
      },
    }),
  );
}

for (const [name, definition] of Object.entries(rosterCommandInputs)) {
  const schema = definition.schema as unknown as z.ZodObject;
  const InputType = builder.inputType(`${pascal(name)}Input`, {
    fields: (t) => inputFieldsFromZod(`${pascal(name)}Input`, schema, t as never) as never,
  });
  builder.mutationField(name, (t) =>
    t.field({
      type: CommandResultRef,
      authScopes: definition.scopes as Partial<Scopes>,
      errors: { types: commandErrors },
      args: { input: t.arg({ type: InputType, required: true }), ...commonArgs(t) },
      resolve: async (_root, args, context) => {
        const input = validate(schema, args.input) as Record<string, unknown>;
        if (definition.type === "SubmitForecast") {
          const scope = input.scope as { kind: string; id: string };
          if (!context.viewer?.canSeeForecast(scope.kind, scope.id))
            throw new CommandRejectedError("forbidden", `you may not submit a forecast for ${scope.kind} ${scope.id}`);
        }
        const command = { type: definition.type, ...input } as RosterCommand;
        return execute(
          context,
          (definition.stream as (value: unknown) => string)(input),
          args,
          (events) => events.reduce((state, event) => evolveRoster(state, event as DomainEvent), initialRosterState),
          (state) => decideRoster(command, state),
        );
      },
    }),
  );
}
