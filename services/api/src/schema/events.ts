import type { RecordedEvent } from "@revgraph/events";
import { GraphQLError } from "graphql";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { pageOf, pageWindow } from "./connection.ts";
import { EventRef } from "./refs.ts";

builder.node(EventRef, {
  description: "One immutable event exactly as stored: its envelope and its data.",
  authScopes: (event, context) => context.viewer?.canSeeEvent(event) ?? false,
  id: { resolve: (event) => event.id },
  // An event the caller may not see answers like a missing one (null).
  loadOne: async (id, context) => {
    const event = (await context.store.readEventsById([id]))[0];
    return event && context.viewer?.canSeeEvent(event) ? event : null;
  },
  fields: (t) => ({
    eventId: t.exposeString("id", { description: "The event's UUID." }),
    type: t.exposeString("type"),
    schemaVersion: t.exposeInt("schemaVersion"),
    streamId: t.exposeString("streamId"),
    streamRevision: t.exposeInt("streamRevision"),
    globalPosition: t.exposeInt("globalPosition"),
    occurredAt: t.expose("occurredAt", { type: "DateTime", description: "Business time (may be back-dated)." }),
    recordedAt: t.expose("recordedAt", { type: "DateTime", description: "When the store accepted it." }),
    actor: t.exposeString("actor"),
    source: t.field({ type: "JSON", nullable: true, resolve: (event) => event.source }),
    causationId: t.exposeString("causationId", { nullable: true }),
    correlationId: t.exposeString("correlationId", { nullable: true }),
    data: t.field({ type: "JSON", resolve: (event) => event.data }),
    prevHash: t.exposeString("prevHash", { nullable: true }),
    hash: t.exposeString("hash"),
  }),
});

builder.queryField("events", (t) =>
  t.connection({
    type: EventRef,
    description: "The global log in order, limited to what the caller may see.",
    authScopes: { traces: true },
    args: {
      types: t.arg.stringList({ required: false }),
      streamPrefix: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, context) => {
      const window = pageWindow(args);
      // Positions are 1…head without gaps, so when every event is visible a backward page starts reading just before
      // it (one extra event tells whether earlier ones exist) instead of scanning the log from the start.
      const everything = (context.viewer?.readsAll ?? false) && !args.types && !args.streamPrefix;
      const end = window.from === "end" && everything ? Math.min(window.before, (await context.store.headPosition()) + 1) : 0;
      const start = end > 0 ? Math.max(window.after, end - window.size - 2) : window.after;
      return pageOf(
        context.store.readAll({
          after: Math.max(0, start),
          ...(args.types ? { types: args.types } : {}),
          ...(args.streamPrefix ? { streamPrefix: args.streamPrefix } : {}),
        }),
        (event) => event.globalPosition,
        window,
        (event) => context.viewer?.canSeeEvent(event) ?? false,
      );
    },
  }),
);

builder.subscriptionField("dealEvents", (t) =>
  t.field({
    type: EventRef,
    description: "Every new event on one deal, live (server-sent events).",
    args: { dealId: t.arg.string({ required: true }) },
    subscribe: (_root, args, context) => {
      if (!context.viewer?.canSeeDealId(args.dealId)) {
        throw new GraphQLError(`deal ${args.dealId} does not exist or is not visible to you`, {
          extensions: { code: "FORBIDDEN" },
        });
      }
      return eventsOf(context, (event) => event.streamId === `deal-${args.dealId}`);
    },
    resolve: (event) => event,
  }),
);

/** Live events from the read model matching `accept`, as an async iterator that stops when the client leaves. */
export function eventsOf(context: Context, accept: (event: RecordedEvent) => boolean): AsyncIterableIterator<RecordedEvent> {
  const queue: RecordedEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const unsubscribe = context.readModel.onEvent((event) => {
    if (!accept(event)) return;
    queue.push(event);
    wake?.();
  });
  const iterator: AsyncIterableIterator<RecordedEvent> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      while (!done && queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      if (done) return { done: true, value: undefined };
      return { done: false, value: queue.shift() as RecordedEvent };
    },
    async return() {
      done = true;
      unsubscribe();
      wake?.();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}
