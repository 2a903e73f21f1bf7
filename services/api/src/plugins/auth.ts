import type { RevenueReadModel } from "@revgraph/read-model";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { AuthenticationError, type TokenPolicy, verifyToken } from "../auth.ts";
import { Viewer } from "../viewer.ts";

/**
 * Reads `Authorization: Bearer …` and puts the {@link Viewer} in the context. A bad token is a 401;
 * no token leaves the request anonymous (the schema's auth scopes then refuse everything but health).
 */
export function authPlugin(secret: string, readModel: RevenueReadModel, policy: TokenPolicy = {}): Plugin {
  return {
    async onContextBuilding({ context, extendContext }) {
      const request = (context as { request?: Request }).request;
      const header = request?.headers.get("authorization") ?? "";
      if (!header) return;
      const match = /^Bearer\s+(.+)$/i.exec(header);
      try {
        if (!match?.[1]) throw new AuthenticationError("the Authorization header must be 'Bearer <token>'");
        const claims = await verifyToken(match[1], secret, policy);
        extendContext({ viewer: new Viewer(claims, readModel) } as never);
      } catch (error) {
        throw new GraphQLError(error instanceof Error ? error.message : "invalid token", {
          extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
        });
      }
    },
  };
}
