import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { GraphQLError } from "graphql";
import type { Context } from "./context.ts";
import { pageSizes } from "./schema/connection.ts";

/** Scopes the schema checks on types and fields (see viewer.ts for the rules behind them). */
export interface Scopes {
  /** Any valid bearer token. */
  authenticated: boolean;
  /** exec, auditor, admin: every deal, rep and event. */
  readsAll: boolean;
  /** Everyone but auditors. */
  writes: boolean;
  /** Raw events and derivations' event lists: every role, each limited to what it may see. */
  traces: boolean;
  admin: boolean;
}

/** The Pothos schema builder every schema file adds its types, queries, mutations and subscriptions to. */
export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: Scopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: string; Output: string };
    Date: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (context) => {
      const viewer = context.viewer;
      return {
        authenticated: viewer !== null,
        readsAll: viewer?.readsAll ?? false,
        writes: viewer?.writes ?? false,
        traces: viewer !== null,
        admin: viewer?.role === "admin",
      };
    },
    unauthorizedError: (_parent, context, _info, result) =>
      new GraphQLError(
        context.viewer ? `Forbidden: ${result.message}` : "Unauthenticated: send a bearer token (Authorization: Bearer …)",
        {
          extensions: { code: context.viewer ? "FORBIDDEN" : "UNAUTHENTICATED", http: { status: context.viewer ? 403 : 401 } },
        },
      ),
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    firstArgOptions: {
      description: `Page forwards: at most this many items, ${pageSizes.min} to ${pageSizes.max} (default ${pageSizes.default}).`,
    },
    lastArgOptions: { description: `Page backwards: the last this many items, ${pageSizes.min} to ${pageSizes.max}.` },
    afterArgOptions: { description: "A cursor from this connection: the items after it." },
    beforeArgOptions: { description: "A cursor from this connection: the items before it." },
  },
  errors: { defaultTypes: [] },
});

builder.queryType({ authScopes: { authenticated: true } });
builder.mutationType({ authScopes: { writes: true } });
builder.subscriptionType({ authScopes: { authenticated: true } });
