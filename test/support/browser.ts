import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { type ApiProcess, startDemoApi } from "./api-process.ts";

/** Debian's Chromium (installed by scripts/chromium.sh), or `CHROMIUM_PATH`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A demo API process on its own data directory and a headless Chromium to drive pages against it. */
export interface BrowserAgainstApi {
  readonly api: ApiProcess;
  readonly browser: Browser;
  /** Closes the browser, stops the API and deletes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a demo API seeded with `deals` deals and a headless Chromium with its background networking off (this
 * machine has no internet), after making `screenshots` exist.
 */
export async function startBrowserAgainstDemoApi(deals: number, screenshots: string): Promise<BrowserAgainstApi> {
  if (!existsSync(chromiumPath))
    throw new Error(`no Chromium at ${chromiumPath}: run bash scripts/test (it installs it) or set CHROMIUM_PATH`);
  mkdirSync(screenshots, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "revgraph-browser-"));
  const api = await startDemoApi(dataDir, deals);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    api,
    browser,
    async stop() {
      await browser.close();
      await api.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
