import { print } from "@0no-co/graphql.web";
import { initGraphQLTada, type TadaDocumentNode } from "gql.tada";
import type { introspection } from "./graphql-env.d.ts";

/**
 * The typed `graphql` tag: documents are checked against schema/schema.graphql (introspected into
 * graphql-env.d.ts by `pnpm --filter @revgraph/web typegen`), and their result and variable types follow.
 */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; Date: string; JSON: unknown };
}>();

export type { FragmentOf, ResultOf, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";

/** A GraphQL response with errors: the messages, each with the path it concerns. */
export class GraphQLRequestError extends Error {
  override readonly name = "GraphQLRequestError";
  readonly messages: readonly string[];
  constructor(messages: readonly string[]) {
    super(messages.join("; "));
    this.messages = messages;
  }
}

/** Sends one typed operation to the API at /graphql with the caller's bearer token. */
export async function request<Result, Variables>(
  document: TadaDocumentNode<Result, Variables>,
  variables: Variables,
  token: string,
): Promise<Result> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as {
    data?: Result;
    errors?: { message: string; path?: readonly (string | number)[] }[];
  };
  if (body.errors?.length) {
    throw new GraphQLRequestError(
      body.errors.map((error) => (error.path ? `${error.path.join(".")}: ${error.message}` : error.message)),
    );
  }
  if (!body.data) throw new GraphQLRequestError([`HTTP ${response.status}: no data in the response`]);
  return body.data;
}
