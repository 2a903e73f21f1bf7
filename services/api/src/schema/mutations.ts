import { type CommandName, type CommandOutcome, CommandRejectedError, commandCatalog } from "@revgraph/app";
import type { z } from "zod";
import { builder, type Scopes } from "../builder.ts";
import { commandErrors } from "./common.ts";
import { DealRef, EventRef } from "./refs.ts";
import { inputFieldsFromZod } from "./zod-input.ts";

/**
 * One mutation per command of the application's command catalog. A mutation only maps GraphQL to the command pipeline
 * (`context.commands`): validation, authorization, references, idempotency and expected revision all live there.
 */
const catalog = commandCatalog();

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
    description:
      "Retrying the same command with the same key returns the first result and writes nothing; keys are yours alone, and reusing one for a different command is an IdempotencyConflictError.",
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

for (const [name, spec] of Object.entries(catalog) as [CommandName, (typeof catalog)[CommandName]][]) {
  const InputType = builder.inputType(`${pascal(name)}Input`, {
    fields: (t) => inputFieldsFromZod(`${pascal(name)}Input`, spec.input as z.ZodObject, t as never) as never,
  });
  const scopes: Partial<Scopes> = spec.adminOnly ? { admin: true } : { writes: true };
  builder.mutationField(name, (t) =>
    t.field({
      type: CommandResultRef,
      authScopes: scopes,
      errors: { types: commandErrors },
      args: { input: t.arg({ type: InputType, required: true }), ...commonArgs(t) },
      resolve: async (_root, args, context) => {
        if (!context.viewer) throw new CommandRejectedError("forbidden", "send a bearer token to run commands");
        const outcome = await context.commands.run(name, args.input, context.viewer, {
          idempotencyKey: args.idempotencyKey,
          expectedRevision: args.expectedRevision,
          occurredAt: args.occurredAt,
          now: context.now,
          correlationId: context.correlationId,
        });
        return spec.decider === "deal" ? { ...outcome, dealId: (args.input as unknown as { dealId: string }).dealId } : outcome;
      },
    }),
  );
}
