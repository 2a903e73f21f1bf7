/**
 * The API's boundary settings from the environment: token policy, command input bounds, request and query limits.
 * Each variable is parsed strictly (zod); an unset variable keeps the app's default. Loads nothing but zod, so
 * `main.ts` can check the environment before it loads the store, read model and GraphQL modules.
 */

import type { InputBounds } from "@revgraph/app";
import { z } from "zod";
import type { TokenPolicy } from "./auth.ts";
import type { QueryLimits } from "./plugins/query-limits.ts";
import type { RequestShapeLimits } from "./plugins/request-shape.ts";

/** The `createApp` options the environment sets: only those whose variable is set. */
export interface BoundarySettings {
  readonly tokens: TokenPolicy;
  readonly inputBounds: Partial<InputBounds>;
  readonly requestLimits: Partial<RequestShapeLimits>;
  readonly limits: Partial<QueryLimits>;
}

/** {@link BoundarySettings} while the variables are read. */
interface Draft {
  tokens: { -readonly [K in keyof TokenPolicy]: TokenPolicy[K] };
  inputBounds: { -readonly [K in keyof InputBounds]?: InputBounds[K] };
  requestLimits: { -readonly [K in keyof RequestShapeLimits]?: RequestShapeLimits[K] };
  limits: { -readonly [K in keyof QueryLimits]?: QueryLimits[K] };
}

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const positiveNumber = z
  .string()
  .regex(/^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/, "must be a plain positive number (digits, optional fraction and exponent)")
  .transform(Number)
  .pipe(z.number().positive("must be above 0").max(Number.MAX_SAFE_INTEGER, `must be at most ${Number.MAX_SAFE_INTEGER}`));
const text = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

interface Variable {
  readonly text: string;
  readonly fallback: string;
  readonly apply: (settings: Draft, value: string) => void;
}

/** A variable whose value `schema` parses and `set` stores. */
function variable<T>(
  text: string,
  fallback: string,
  schema: z.ZodType<T, string>,
  set: (settings: Draft, value: T) => void,
): Variable {
  return { text, fallback, apply: (settings, value) => set(settings, schema.parse(value)) };
}

/** Every boundary variable with its meaning and default, in the order `--help` and the README list them. */
export const boundaryVariables: Readonly<Record<string, Variable>> = {
  REVGRAPH_TOKEN_MAX_LIFETIME: variable(
    "longest accepted bearer-token lifetime (exp − iat), in seconds",
    "86400",
    wholeNumber(60, 366 * 86_400),
    (settings, value) => {
      settings.tokens.maxLifetimeSeconds = value;
    },
  ),
  REVGRAPH_TOKEN_ISSUER: variable("required token issuer (iss); demo tokens carry it", "revgraph", text, (settings, value) => {
    settings.tokens.issuer = value;
  }),
  REVGRAPH_TOKEN_AUDIENCE: variable(
    "required token audience (aud), checked only when set; demo tokens carry it",
    "",
    text,
    (settings, value) => {
      settings.tokens.audience = value;
    },
  ),
  REVGRAPH_MAX_AMOUNT: variable(
    "largest absolute amount a deal, quota or forecast may carry",
    "1e12",
    positiveNumber,
    (settings, value) => {
      settings.inputBounds.maxAbsAmount = value;
    },
  ),
  REVGRAPH_MIN_YEAR: variable("earliest year a date or period may name", "1900", wholeNumber(1, 9999), (settings, value) => {
    settings.inputBounds.minYear = value;
  }),
  REVGRAPH_MAX_YEAR: variable("latest year a date or period may name", "2200", wholeNumber(1, 9999), (settings, value) => {
    settings.inputBounds.maxYear = value;
  }),
  REVGRAPH_BODY_LIMIT: variable(
    "most bytes in a GraphQL request body (more is answered 413)",
    "1048576",
    wholeNumber(1024, 64 * 1024 * 1024),
    (settings, value) => {
      settings.requestLimits.maxBodyBytes = value;
    },
  ),
  REVGRAPH_MAX_VARIABLES_DEPTH: variable(
    "deepest nesting of GraphQL variables",
    "32",
    wholeNumber(1, 1_000),
    (settings, value) => {
      settings.requestLimits.maxVariablesDepth = value;
    },
  ),
  REVGRAPH_MAX_VARIABLES_VALUES: variable(
    "most values in GraphQL variables",
    "10000",
    wholeNumber(1, 10_000_000),
    (settings, value) => {
      settings.requestLimits.maxVariablesValues = value;
    },
  ),
  REVGRAPH_MAX_QUERY_DEPTH: variable("deepest field nesting of an operation", "12", wholeNumber(1, 1_000), (settings, value) => {
    settings.limits.maxDepth = value;
  }),
  REVGRAPH_MAX_QUERY_COST: variable(
    "most estimated cost of an operation",
    "20000",
    wholeNumber(1, 100_000_000),
    (settings, value) => {
      settings.limits.maxCost = value;
    },
  ),
  REVGRAPH_MAX_ALIASES: variable("most aliased fields in an operation", "30", wholeNumber(0, 10_000), (settings, value) => {
    settings.limits.maxAliases = value;
  }),
};

/** A boundary variable with a value that cannot be used; the message is one sentence naming the variable. */
export class EnvironmentError extends Error {
  override readonly name = "EnvironmentError";
}

/** The boundary settings `env` sets; throws {@link EnvironmentError} for the first bad value. */
export function boundarySettings(env: Readonly<Record<string, string | undefined>>): BoundarySettings {
  const settings: Draft = { tokens: {}, inputBounds: {}, requestLimits: {}, limits: {} };
  for (const [name, entry] of Object.entries(boundaryVariables)) {
    const value = env[name];
    if (value === undefined) continue;
    try {
      entry.apply(settings, value);
    } catch (error) {
      const reason = error instanceof z.ZodError ? (error.issues[0]?.message ?? "is not valid") : String(error);
      throw new EnvironmentError(`${name} ${reason}, got ${JSON.stringify(value)}`);
    }
  }
  const { minYear, maxYear } = settings.inputBounds;
  if ((minYear ?? 1900) > (maxYear ?? 2200))
    throw new EnvironmentError(`REVGRAPH_MIN_YEAR (${minYear ?? 1900}) must not be after REVGRAPH_MAX_YEAR (${maxYear ?? 2200})`);
  return settings;
}
