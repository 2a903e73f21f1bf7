import {
  type DealCommand,
  type DealDecisionState,
  decideDeal,
  decideRoster,
  evolveDeal,
  evolveRoster,
  initialDealState,
  initialRosterState,
  type RevenueConfig,
  type RosterCommand,
  type RosterState,
  streamIds,
} from "@revgraph/domain";
import type { EventStore } from "@revgraph/event-store";
import { contactRoles, type EventSource, forecastCategories, interactionKinds, lossReasons } from "@revgraph/events";
import { z } from "zod";
import { boundedFields, defaultInputBounds, type InputBounds } from "./bounds.ts";
import { type CommandOutcome, type Decider, handleCommand } from "./command-handler.ts";
import { CommandRejectedError, type FieldIssue, InputValidationError } from "./errors.ts";
import { parseInstant, TimeParseError } from "./time.ts";

/** Who runs a command and what they may touch (the API's Viewer satisfies it). */
export interface Principal {
  /** Stable id of the caller (a token's subject): idempotency keys are scoped to it. */
  readonly id: string;
  /** May run commands at all (auditors may not). */
  readonly writes: boolean;
  /** May run admin commands (teams, reps, quotas). */
  readonly admin: boolean;
  canSeeRep(repId: string): boolean;
  canSeeDealId(dealId: string): boolean;
  canSeeForecast(scopeKind: string, scopeId: string): boolean;
}

/** Kinds of entity a command may refer to. */
export type ReferenceKind = "account" | "rep" | "team" | "contact";

/** Answers whether a referenced entity exists (the API asks its read model). */
export type ReferenceLookup = (kind: ReferenceKind, id: string) => boolean;

/** A reference a command makes: the entity's kind and id and the input field naming it. */
type Reference = readonly [kind: ReferenceKind, id: string | undefined, path: string];

/** One command as data: its input schema, the stream it lands on, who may run it and what it refers to. */
export interface CommandSpec {
  /** The command's type for its decider. */
  readonly type: string;
  readonly decider: "deal" | "roster";
  /** Validates the input (and describes the GraphQL input type). */
  readonly input: z.ZodObject;
  readonly adminOnly: boolean;
  stream(input: Record<string, unknown>): string;
  /** Undefined when the principal may run it on this input, else why not. */
  forbidden(input: Record<string, unknown>, principal: Principal): string | undefined;
  references(input: Record<string, unknown>): readonly Reference[];
}

const text = (value: unknown) => value as string;
const dealStream = (input: Record<string, unknown>) => streamIds.deal(text(input.dealId));
const yourDeal = (input: Record<string, unknown>, principal: Principal) =>
  principal.canSeeDealId(text(input.dealId)) ? undefined : `you may not change deal ${text(input.dealId)}`;

/** Every command revgraph accepts, by mutation name, with inputs held to `bounds`. */
export function commandCatalog(bounds: InputBounds = defaultInputBounds) {
  const f = boundedFields(bounds);
  const reason = z.object({ reason: f.requiredText });
  const deal = (
    type: DealCommand["type"],
    input: z.ZodObject,
    references: (input: Record<string, unknown>) => readonly Reference[] = () => [],
    forbidden: CommandSpec["forbidden"] = yourDeal,
  ): CommandSpec => ({ type, decider: "deal", input, adminOnly: false, stream: dealStream, forbidden, references });
  const roster = (
    type: RosterCommand["type"],
    input: z.ZodObject,
    stream: (input: Record<string, unknown>) => string,
    references: (input: Record<string, unknown>) => readonly Reference[],
    access: { adminOnly: boolean; forbidden?: CommandSpec["forbidden"] },
  ): CommandSpec => ({
    type,
    decider: "roster",
    input,
    adminOnly: access.adminOnly,
    stream,
    forbidden: access.forbidden ?? (() => undefined),
    references,
  });
  const contact = (input: Record<string, unknown>): Reference[] =>
    input.contactId === undefined ? [] : [["contact", text(input.contactId), "contactId"]];

  return {
    openDeal: deal(
      "OpenDeal",
      z.object({
        dealId: f.id,
        accountId: f.id,
        ownerRepId: f.id,
        name: f.name,
        amount: f.amount,
        currency: f.currency.optional(),
        stage: f.label.optional(),
        expectedCloseDate: f.date,
        product: f.label.optional(),
        leadSource: f.label.optional(),
      }),
      (input) => [
        ["account", text(input.accountId), "accountId"],
        ["rep", text(input.ownerRepId), "ownerRepId"],
      ],
      (input, principal) =>
        principal.canSeeRep(text(input.ownerRepId)) ? undefined : `you may not open a deal for rep ${text(input.ownerRepId)}`,
    ),
    changeDealAmount: deal("ChangeAmount", z.object({ dealId: f.id, amount: f.amount, currency: f.currency.optional() })),
    moveDealCloseDate: deal("MoveCloseDate", z.object({ dealId: f.id, expectedCloseDate: f.date })),
    changeDealStage: deal("ChangeStage", z.object({ dealId: f.id, to: f.label, override: reason.optional() })),
    recordGateEvidence: deal(
      "RecordGateEvidence",
      z.object({ dealId: f.id, gate: f.label, evidence: f.requiredText, contactId: f.id.optional() }),
      contact,
    ),
    assignContactRole: deal(
      "AssignContactRole",
      z.object({ dealId: f.id, contactId: f.id, role: z.enum(contactRoles) }),
      contact,
    ),
    removeContactRole: deal(
      "RemoveContactRole",
      z.object({ dealId: f.id, contactId: f.id, role: z.enum(contactRoles) }),
      contact,
    ),
    logInteraction: deal(
      "LogInteraction",
      z.object({
        dealId: f.id,
        interactionId: f.id,
        repId: f.id,
        kind: z.enum(interactionKinds),
        direction: z.enum(["inbound", "outbound"]),
        contactIds: z.array(f.id).max(100),
        summary: f.text.optional(),
      }),
      (input) => [
        ["rep", text(input.repId), "repId"],
        ...(input.contactIds as string[]).map((id, index): Reference => ["contact", id, `contactIds.${index}`]),
      ],
    ),
    setDealProbability: deal("SetProbability", z.object({ dealId: f.id, probability: f.probability })),
    setForecastCategory: deal("SetForecastCategory", z.object({ dealId: f.id, category: z.enum(forecastCategories) })),
    changeDealOwner: deal(
      "ChangeOwner",
      z.object({ dealId: f.id, ownerRepId: f.id }),
      (input) => [["rep", text(input.ownerRepId), "ownerRepId"]],
      (input, principal) =>
        yourDeal(input, principal) ??
        (principal.canSeeRep(text(input.ownerRepId))
          ? undefined
          : `you may not hand deal ${text(input.dealId)} to rep ${text(input.ownerRepId)}`),
    ),
    // A close date (and amount) given with the close is part of the close: written on DealWon / DealLost, not a push.
    winDeal: deal(
      "WinDeal",
      z.object({
        dealId: f.id,
        amount: f.amount.optional(),
        expectedCloseDate: f.date.optional(),
        override: reason.optional(),
      }),
    ),
    loseDeal: deal(
      "LoseDeal",
      z.object({
        dealId: f.id,
        reason: z.enum(lossReasons),
        competitor: f.label.optional(),
        note: f.text.optional(),
        amount: f.amount.optional(),
        currency: f.currency.optional(),
        expectedCloseDate: f.date.optional(),
      }),
    ),
    reopenDeal: deal("ReopenDeal", z.object({ dealId: f.id, stage: f.label.optional(), reason: f.text.optional() })),

    registerAccount: roster(
      "RegisterAccount",
      z.object({
        accountId: f.id,
        name: f.name,
        segment: f.label.optional(),
        region: f.label.optional(),
        industry: f.label.optional(),
        employees: z.number().int().nonnegative().max(10_000_000).optional(),
        addressable: z.boolean().optional(),
      }),
      (input) => streamIds.account(text(input.accountId)),
      () => [],
      { adminOnly: false },
    ),
    addContact: roster(
      "AddContact",
      z.object({ contactId: f.id, accountId: f.id, name: f.name, title: f.label.optional(), email: f.label.optional() }),
      (input) => streamIds.contact(text(input.contactId)),
      (input) => [["account", text(input.accountId), "accountId"]],
      { adminOnly: false },
    ),
    formTeam: roster(
      "FormTeam",
      z.object({ teamId: f.id, name: f.name, region: f.label.optional() }),
      (input) => streamIds.team(text(input.teamId)),
      () => [],
      { adminOnly: true },
    ),
    assignManager: roster(
      "AssignManager",
      z.object({ teamId: f.id, managerRepId: f.id }),
      (input) => streamIds.team(text(input.teamId)),
      (input) => [["rep", text(input.managerRepId), "managerRepId"]],
      { adminOnly: true },
    ),
    hireRep: roster(
      "HireRep",
      z.object({
        repId: f.id,
        name: f.name,
        teamId: f.id,
        startDate: f.date,
        region: f.label.optional(),
        ramp: z.array(z.number().min(0).max(1)).max(60).optional(),
      }),
      (input) => streamIds.rep(text(input.repId)),
      (input) => [["team", text(input.teamId), "teamId"]],
      { adminOnly: true },
    ),
    transferRep: roster(
      "TransferRep",
      z.object({ repId: f.id, teamId: f.id }),
      (input) => streamIds.rep(text(input.repId)),
      (input) => [["team", text(input.teamId), "teamId"]],
      { adminOnly: true },
    ),
    setQuota: roster(
      "SetQuota",
      z.object({ repId: f.id, period: f.label, from: f.date, to: f.date, amount: f.amount, currency: f.currency.optional() }),
      (input) => streamIds.rep(text(input.repId)),
      () => [],
      { adminOnly: true },
    ),
    submitForecast: roster(
      "SubmitForecast",
      z.object({
        forecastId: f.id,
        scope: z.object({ kind: z.enum(["rep", "team", "company"]), id: f.id }),
        period: f.label,
        from: f.date,
        to: f.date,
        amount: f.amount,
        currency: f.currency.optional(),
      }),
      (input) => {
        const scope = input.scope as { kind: string; id: string };
        return streamIds.forecast(scope.kind, scope.id);
      },
      (input) => {
        const scope = input.scope as { kind: string; id: string };
        return scope.kind === "company" ? [] : [[scope.kind as ReferenceKind, scope.id, "scope.id"]];
      },
      {
        adminOnly: false,
        forbidden: (input, principal) => {
          const scope = input.scope as { kind: string; id: string };
          return principal.canSeeForecast(scope.kind, scope.id)
            ? undefined
            : `you may not submit a forecast for ${scope.kind} ${scope.id}`;
        },
      },
    ),
  } satisfies Record<string, CommandSpec>;
}

/** The name of every command (a GraphQL mutation each). */
export type CommandName = keyof ReturnType<typeof commandCatalog>;

/** How a command is run: idempotency key, expected revision, back-dated business time, the request's ids. */
export interface RunOptions {
  readonly idempotencyKey?: string | null | undefined;
  readonly expectedRevision?: number | null | undefined;
  /** Business time of the change (ISO instant); default `now`. */
  readonly occurredAt?: string | null | undefined;
  readonly now: Date;
  readonly correlationId?: string | undefined;
}

/** What {@link CommandPipeline} needs. */
export interface CommandPipelineOptions {
  readonly store: EventStore;
  readonly config: RevenueConfig;
  /** Whether referenced accounts, reps, teams and contacts exist. */
  readonly references: ReferenceLookup;
  readonly bounds?: Partial<InputBounds>;
  /** Where the events come from (default `{ system: "graphql" }`). */
  readonly source?: EventSource;
  /** Called with the last position a command wrote (the API waits for its read model: read-your-writes). */
  readonly afterAppend?: (position: number) => Promise<void>;
}

function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: ["input", ...issue.path.map(String)].join("."), message: issue.message }));
}

/**
 * The one way commands are run, whatever the caller (GraphQL mutations, scripts): validate the input against the
 * bounds, authorize the principal, check that references exist, then {@link handleCommand} (idempotency per principal,
 * expected revision, decide, one atomic append). Every refusal is a typed error and nothing is written.
 */
export class CommandPipeline {
  readonly #options: CommandPipelineOptions;
  readonly #bounds: InputBounds;
  readonly #catalog: Record<CommandName, CommandSpec>;
  readonly #deciders: { deal: Decider<DealDecisionState, DealCommand>; roster: Decider<RosterState, RosterCommand> };

  constructor(options: CommandPipelineOptions) {
    this.#options = options;
    this.#bounds = { ...defaultInputBounds, ...options.bounds };
    this.#catalog = commandCatalog(this.#bounds);
    const config = options.config;
    this.#deciders = {
      deal: {
        initialState: initialDealState,
        evolve: (state, event) => evolveDeal(state, event, config),
        decide: (command, state) => decideDeal(command, state, config),
      },
      roster: { initialState: initialRosterState, evolve: evolveRoster, decide: decideRoster },
    };
  }

  /** Runs command `name` with raw (unvalidated) input for `principal`. */
  async run(name: CommandName, rawInput: unknown, principal: Principal, options: RunOptions): Promise<CommandOutcome> {
    const spec = this.#catalog[name];
    const parsed = spec.input.safeParse(rawInput);
    if (!parsed.success) throw new InputValidationError(issuesOf(parsed.error));
    const input = parsed.data as Record<string, unknown>;
    const occurredAt = this.#occurredAt(options);
    if (!principal.writes) throw new CommandRejectedError("forbidden", "your role may not run commands");
    if (spec.adminOnly && !principal.admin) throw new CommandRejectedError("forbidden", `${name} is for admins only`);
    const refusal = spec.forbidden(input, principal);
    if (refusal) throw new CommandRejectedError("forbidden", refusal);
    const missing = spec
      .references(input)
      .filter(([kind, id]) => id !== undefined && !this.#options.references(kind, id))
      .map(([kind, id, path]) => ({ path: `input.${path}`, message: `${kind} ${JSON.stringify(id)} does not exist` }));
    if (missing.length > 0) throw new InputValidationError(missing);
    const streamId = spec.stream(input);
    const expectedRevision = options.expectedRevision ?? undefined;
    const common = {
      streamId,
      principalId: principal.id,
      fingerprint: { name, streamId, input, occurredAt: options.occurredAt ?? null, expectedRevision: expectedRevision ?? null },
      idempotencyKey: options.idempotencyKey ?? undefined,
      expectedRevision,
      occurredAt,
      actor: principal.id,
      source: this.#options.source ?? { system: "graphql" },
      correlationId: options.correlationId,
    };
    const command = { type: spec.type, ...input };
    const outcome =
      spec.decider === "deal"
        ? await handleCommand(this.#options.store, { ...common, decider: this.#deciders.deal, command: command as DealCommand })
        : await handleCommand(this.#options.store, {
            ...common,
            decider: this.#deciders.roster,
            command: command as RosterCommand,
          });
    const last = outcome.events.at(-1);
    if (last && this.#options.afterAppend) await this.#options.afterAppend(last.globalPosition);
    return outcome;
  }

  #occurredAt(options: RunOptions): string {
    if (options.occurredAt === null || options.occurredAt === undefined) return options.now.toISOString();
    try {
      return parseInstant(options.occurredAt, this.#bounds);
    } catch (error) {
      if (error instanceof TimeParseError) throw new InputValidationError([{ path: "occurredAt", message: error.message }]);
      throw error;
    }
  }
}
