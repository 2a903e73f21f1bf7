import type { TadaDocumentNode } from "gql.tada";
import { useEffect, useState } from "react";
import { request } from "./graphql.ts";

/** The state of one query: its data, its error, and whether a request is in flight. */
export interface QueryState<Result> {
  readonly data: Result | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
}

/** Runs a typed query whenever its variables or the token change (skipped while `variables` is null). */
export function useQuery<Result, Variables>(
  document: TadaDocumentNode<Result, Variables>,
  variables: Variables | null,
  token: string,
): QueryState<Result> {
  const [state, setState] = useState<QueryState<Result>>({ data: undefined, error: undefined, loading: variables !== null });
  const key = JSON.stringify(variables);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the serialised variables are the dependency
  useEffect(() => {
    if (variables === null) return;
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    request(document, variables, token).then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) =>
        current &&
        setState({ data: undefined, error: error instanceof Error ? error : new Error(String(error)), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [document, key, token]);
  return state;
}
