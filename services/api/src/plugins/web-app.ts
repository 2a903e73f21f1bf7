import { readFile } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import type { Plugin } from "graphql-yoga";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

/** Files of the build's root besides index.html (unhashed, so cached for a day only). */
const topLevelFiles = new Set(["/favicon.ico", "/favicon.svg"]);

/** Where the dashboard's built files are, and the demo tokens it may offer for the role switch. */
export interface WebAppOptions {
  /** The dashboard's build output (services/web/dist). */
  readonly root: string;
  /** Demo mode only: tokens per role, served at /demo/tokens so the page can switch roles. */
  readonly demoTokens?: Readonly<Record<string, string>>;
}

/**
 * Serves the dashboard at `/` (index.html; hashed files under /assets cached for a year; the favicon) and, in demo mode, the demo
 * tokens at `/demo/tokens`. Paths that would leave the build folder are refused; GraphQL, health and everything else
 * pass through.
 */
export function webAppPlugin(options: WebAppOptions): Plugin {
  const root = resolve(options.root);
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== "GET" && request.method !== "HEAD") return;
      if (url.pathname === "/demo/tokens" && options.demoTokens) {
        endResponse(
          new fetchAPI.Response(JSON.stringify(options.demoTokens), {
            headers: { "content-type": "application/json", "cache-control": "no-store" },
          }),
        );
        return;
      }
      const isPage = url.pathname === "/" || url.pathname === "/index.html";
      if (!isPage && !url.pathname.startsWith("/assets/") && !topLevelFiles.has(url.pathname)) return;
      const file = resolve(root, isPage ? "index.html" : decodeURIComponent(url.pathname).slice(1));
      if (!file.startsWith(root + sep)) {
        endResponse(new fetchAPI.Response("not found", { status: 404 }));
        return;
      }
      try {
        const body = await readFile(file);
        endResponse(
          new fetchAPI.Response(request.method === "HEAD" ? null : body, {
            headers: {
              "content-type": contentTypes[extname(file)] ?? "application/octet-stream",
              "cache-control": isPage
                ? "no-cache"
                : topLevelFiles.has(url.pathname)
                  ? "public, max-age=86400"
                  : "public, max-age=31536000, immutable",
            },
          }),
        );
      } catch {
        endResponse(
          new fetchAPI.Response(
            isPage
              ? "The dashboard is not built: run `pnpm --filter @revgraph/web build` (bash scripts/start does)."
              : "not found",
            { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } },
          ),
        );
      }
    },
  };
}
