import { type LogDigest, TamperedEventError } from "@revgraph/event-store";
import { GraphQLError } from "graphql";
import { builder } from "../builder.ts";

const LogDigestRef = builder.objectRef<LogDigest>("LogDigest").implement({
  description:
    "The head of the event log: save it outside revgraph, and `revgraph verify --digest` proves later that the log still extends it (or names the cut).",
  fields: (t) => ({
    position: t.exposeInt("position", { description: "Global position of the newest event (0 for an empty log)." }),
    logHash: t.exposeString("logHash", {
      description: "SHA-256 chained over every event's hash in global order, up to `position` (hex).",
    }),
    recordedAt: t.expose("recordedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the store accepted the event at `position`; null for an empty log.",
    }),
  }),
});

builder.queryField("logDigest", (t) =>
  t.field({
    type: LogDigestRef,
    description: "The log's current digest, for auditors (roles auditor and admin).",
    authScopes: (_root, _args, context) => context.viewer?.role === "auditor" || context.viewer?.role === "admin",
    resolve: async (_root, _args, context) => {
      try {
        return await context.store.digest();
      } catch (error) {
        if (!(error instanceof TamperedEventError)) throw error;
        throw new GraphQLError(error.message, { extensions: { code: "TAMPERING_DETECTED", position: error.position } });
      }
    },
  }),
);
