import { useContentEncoding } from "@whatwg-node/server";
import type { Plugin } from "graphql-yoga";

/** Content types of answers sent in parts over time (server-sent events, incremental delivery). */
export const streamedContentTypes = /text\/event-stream|multipart\/mixed/;

/**
 * gzip / deflate / brotli for clients that accept them (a grouped scorecard shrinks about eightfold), except streamed
 * answers: a compressor holds server-sent events back until its buffer fills, which would stall subscriptions.
 */
export function compressionPlugin(): Plugin {
  const encoding = useContentEncoding() as Plugin;
  return {
    onRequest(payload) {
      return encoding.onRequest?.(payload);
    },
    onResponse(payload) {
      const accepted = payload.request.headers.get("accept") ?? "";
      const produced = payload.response.headers.get("content-type") ?? "";
      if (streamedContentTypes.test(accepted) || streamedContentTypes.test(produced)) return;
      // Already compressed (an answer replayed from the answer cache keeps its encoding).
      if (payload.response.headers.has("content-encoding")) return;
      return encoding.onResponse?.(payload);
    },
  };
}
