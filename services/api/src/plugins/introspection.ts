import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";

/**
 * Schema introspection (`__schema`, `__type`) for callers that send a bearer token (the auth plugin refuses an invalid
 * one with 401), or for everyone in demo mode. `__typename` stays available to all.
 */
export function introspectionPlugin(allowed: "everyone" | "signed-in"): Plugin {
  return {
    onValidate({ addValidationRule, context }) {
      if (allowed === "everyone") return;
      const request = (context as { request?: Request }).request;
      if (!request?.headers.get("authorization")) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
