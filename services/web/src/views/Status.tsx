import { Alert, Loader } from "@mantine/core";
import type { QueryState } from "../hooks.ts";

/** A loader while the first answer is on its way, the error if it failed; nothing once there is data. */
export function QueryStatus({ state }: { readonly state: QueryState<unknown> }) {
  if (state.error) {
    return (
      <Alert color="red" title="The API answered with an error" data-testid="query-error">
        {state.error.message}
      </Alert>
    );
  }
  return state.loading && !state.data ? <Loader size="sm" /> : null;
}
