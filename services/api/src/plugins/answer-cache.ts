import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { streamedContentTypes } from "./compression.ts";
import { acceptedBody, type requestShapePlugin } from "./request-shape.ts";

/** Limits of {@link answerCachePlugin}. */
export interface AnswerCacheOptions {
  /**
   * Everything besides the request itself that an answer depends on: the caller (their token), the events applied
   * so far and the minute KPIs are evaluated at. A request whose session differs never reuses an answer.
   */
  readonly session: (request: Request) => string;
  /** Most answers kept (default 1,000); the least recently used go first. */
  readonly maxEntries?: number;
  /** Most bytes kept over all answers (default 64 MiB). */
  readonly maxBytes?: number;
}

interface StoredAnswer {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly headers: readonly [string, string][];
}

/** Headers that belong to one request (its ids) or that the server sets for the bytes it sends; every other is kept. */
const perRequestHeaders = new Set(["x-request-id", "x-correlation-id", "content-length", "x-cache", "date", "connection"]);

/**
 * Keeps the finished bytes of successful query answers (after JSON serialisation and compression), keyed by the
 * session, the request's URL, body and its accept / accept-encoding headers. A repeated request, the typical
 * dashboard refresh, is answered before authentication, parsing or execution run, with `x-cache: hit` (or 304 when
 * the client already holds that answer's ETag).
 * Mutations, subscriptions, streamed answers and answers with errors are never kept.
 * Only POSTs that passed {@link requestShapePlugin} are considered. Place it after the plugins that must see every
 * request (logging, metrics, compression, request shape).
 */
export function answerCachePlugin(options: AnswerCacheOptions): Plugin {
  const maxEntries = options.maxEntries ?? 1_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const answers = new Map<string, StoredAnswer>();
  let bytes = 0;
  const keys = new WeakMap<Request, string>();
  // Requests that executed something other than a query. Queries answered by the response cache skip execution,
  // so the mark goes on the rest.
  const notQueries = new WeakSet<Request>();
  const keepable = new WeakSet<Request>();

  const remember = (key: string, answer: StoredAnswer) => {
    if (answer.body.byteLength > maxBytes) return;
    const previous = answers.get(key);
    if (previous) {
      answers.delete(key);
      bytes -= previous.body.byteLength;
    }
    answers.set(key, answer);
    bytes += answer.body.byteLength;
    for (const [oldest, stored] of answers) {
      if (answers.size <= maxEntries && bytes <= maxBytes) break;
      answers.delete(oldest);
      bytes -= stored.body.byteLength;
    }
  };

  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      // Only POSTs whose shape was checked (JSON within the size limit); a GET could skip Yoga's CSRF check.
      const body = request.method === "POST" ? acceptedBody(request) : undefined;
      if (body === undefined) return;
      const accept = request.headers.get("accept") ?? "";
      if (streamedContentTypes.test(accept)) return;
      const key = [
        options.session(request),
        url.pathname,
        url.search,
        accept,
        request.headers.get("accept-encoding") ?? "",
        body,
      ].join("\n");
      const hit = answers.get(key);
      if (!hit) {
        keys.set(request, key);
        return;
      }
      answers.delete(key);
      answers.set(key, hit);
      const headers: [string, string][] = [...hit.headers, ["x-cache", "hit"]];
      const etag = hit.headers.find(([name]) => name === "etag")?.[1];
      const unchanged = etag !== undefined && request.headers.get("if-none-match") === etag;
      // The server's own Response class: it writes the bytes straight out, where the global one copies them into a stream.
      endResponse(new fetchAPI.Response(unchanged ? null : hit.body, { status: unchanged ? 304 : 200, headers }));
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      if (request && operation?.operation !== "query") notQueries.add(request);
    },
    onResultProcess({ request, result }) {
      if (notQueries.has(request) || Array.isArray(result) || Symbol.asyncIterator in result) return;
      if (!result.errors?.length) keepable.add(request);
    },
    onResponse({ request, response }) {
      const key = keys.get(request);
      if (key === undefined || !keepable.has(request) || response.status !== 200) return;
      if (streamedContentTypes.test(response.headers.get("content-type") ?? "")) return;
      // By iteration: a compressed answer's Headers copy may keep the names' original case, which get() misses.
      const headers: [string, string][] = [];
      response.headers.forEach((value, name) => {
        if (!perRequestHeaders.has(name.toLowerCase())) headers.push([name.toLowerCase(), value]);
      });
      return response
        .clone()
        .arrayBuffer()
        .then((body) => remember(key, { body: new Uint8Array(body), headers }));
    },
  };
}
