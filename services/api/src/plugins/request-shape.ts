import type { Plugin } from "graphql-yoga";

/** Limits on what a GraphQL request may carry. */
export interface RequestShapeLimits {
  /** Most bytes in a request body (default 1 MiB); more is answered 413. */
  readonly maxBodyBytes: number;
  /** Deepest nesting of arrays and objects in `variables` (default 32). */
  readonly maxVariablesDepth: number;
  /** Most values (objects, arrays, scalars) in `variables` (default 10,000). */
  readonly maxVariablesValues: number;
}

/** The defaults of {@link RequestShapeLimits}. */
export const defaultRequestShapeLimits: RequestShapeLimits = {
  maxBodyBytes: 1024 * 1024,
  maxVariablesDepth: 32,
  maxVariablesValues: 10_000,
};

const bodies = new WeakMap<Request, string>();

/** The body text of a request {@link requestShapePlugin} accepted (read once, within the limit). */
export function acceptedBody(request: Request): string | undefined {
  return bodies.get(request);
}

/** Why a request was refused: status and a one-sentence message. */
class RefusedRequest extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Reads the body of a request that states its length within the limit. HTTP parsers hold a body to its stated
 * Content-Length, so the stated length bounds what is read; a body without one (chunked upload) is refused with 411.
 */
async function readLimited(request: Request, maxBytes: number): Promise<string> {
  const stated = request.headers.get("content-length");
  if (stated === null || !/^\d{1,15}$/.test(stated))
    throw new RefusedRequest(411, "a GraphQL POST must state its body's length (Content-Length)");
  if (Number(stated) > maxBytes) throw new RefusedRequest(413, `the request body is larger than the limit of ${maxBytes} bytes`);
  return await request.clone().text();
}

/** Checks nesting depth and value count of parsed JSON without recursion (so no stack overflow on deep input). */
function variablesProblem(variables: unknown, limits: RequestShapeLimits): string | undefined {
  const pending: [unknown, number][] = [[variables, 1]];
  let values = 0;
  while (pending.length > 0) {
    const [value, depth] = pending.pop() as [unknown, number];
    if (++values > limits.maxVariablesValues) return `variables hold more than ${limits.maxVariablesValues} values, the maximum`;
    if (value === null || typeof value !== "object") continue;
    if (depth > limits.maxVariablesDepth)
      return `variables are nested deeper than ${limits.maxVariablesDepth} levels, the maximum`;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return undefined;
}

function variablesOf(text: string | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // GraphQL's own request parsing reports malformed JSON.
  }
}

/**
 * Checks the shape of a request to the GraphQL endpoint before anything else reads it (the answer cache included):
 * POST bodies only as JSON (`Content-Type: application/json`; form and multipart bodies, or none, are 415), with a
 * stated length (411) within the size limit (413), and variables within the depth and size limits (400). GET, the other methods, and
 * malformed JSON go on to GraphQL Yoga, which answers them per the GraphQL-over-HTTP spec. Answers say what they
 * vary by (`Vary: Accept, Accept-Encoding, Authorization`).
 */
export function requestShapePlugin(graphqlEndpoint: string, limits: RequestShapeLimits): Plugin {
  const refuse = (status: number, message: string, fetchAPI: { Response: typeof Response }) =>
    new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: "BAD_REQUEST" } }] }), {
      status,
      headers: { "content-type": "application/json; charset=utf-8" },
    });
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlEndpoint) return;
      try {
        let variables: unknown;
        if (request.method === "POST") {
          const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
          if (type !== "application/json")
            throw new RefusedRequest(
              415,
              `a GraphQL POST must carry a JSON body with Content-Type: application/json${type ? `, not ${type}` : ""}`,
            );
          const text = await readLimited(request, limits.maxBodyBytes);
          bodies.set(request, text);
          const body = variablesOf(text);
          variables = body !== null && typeof body === "object" ? (body as { variables?: unknown }).variables : undefined;
        } else if (request.method === "GET") {
          variables = variablesOf(url.searchParams.get("variables"));
        }
        const problem = variables === undefined ? undefined : variablesProblem(variables, limits);
        if (problem) throw new RefusedRequest(400, problem);
      } catch (error) {
        if (!(error instanceof RefusedRequest)) throw error;
        endResponse(refuse(error.status, error.message, fetchAPI));
      }
    },
    onResponse({ request, response }) {
      if (new URL(request.url).pathname !== graphqlEndpoint) return;
      try {
        // Answers differ by these request headers (the caller, the media type, the encoding), so caches must key on them.
        response.headers.set("vary", "Accept, Accept-Encoding, Authorization");
      } catch {
        // Streamed answers may have immutable headers; they are never cached.
      }
    },
  };
}
