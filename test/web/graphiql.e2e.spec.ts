import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiProcess } from "../support/api-process.ts";
import { type BrowserAgainstApi, startBrowserAgainstDemoApi } from "../support/browser.ts";

/**
 * GraphiQL in a real headless Chromium against a real demo API process, with every request that does not go to the
 * loopback interface blocked, as on a machine without internet.
 */
const screenshots = join(import.meta.dirname, "../../test-results/graphiql");

let session: BrowserAgainstApi;
let api: ApiProcess;
let browser: Browser;

beforeAll(async () => {
  session = await startBrowserAgainstDemoApi(60, screenshots);
  ({ api, browser } = session);
}, 120_000);

afterAll(async () => {
  await session?.stop();
});

describe("GraphiQL", () => {
  it("loads from the API alone with the network cut to loopback, with the examples and the demo token, and runs a query", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const blocked: string[] = [];
    await page.route("**/*", (route) => {
      const { protocol, hostname } = new URL(route.request().url());
      const local = protocol === "data:" || protocol === "blob:" || hostname === "127.0.0.1" || hostname === "localhost";
      if (local) return route.continue();
      blocked.push(route.request().url());
      return route.abort("internetdisconnected");
    });
    const failures: string[] = [];
    page.on("requestfailed", (request) => failures.push(request.url()));
    await page.goto(`${api.url}/graphql`);
    await page.getByText("query Scorecard").first().waitFor({ timeout: 60_000 });
    // The demo token is in the headers editor.
    await page
      .getByRole("button", { name: /headers/i })
      .first()
      .click();
    await expect.poll(() => page.getByText(api.token("exec").slice(0, 24)).count()).toBeGreaterThan(0);
    // Put the cursor in the first operation and run it (Ctrl+Enter runs the operation under the cursor).
    await page.getByText("query Scorecard").first().click();
    await page.keyboard.press("Control+Enter");
    await expect
      .poll(() => page.locator(".result-window").textContent(), { timeout: 60_000 })
      .toMatch(/"kpiId":\s*"won_revenue"/);
    await page.screenshot({ path: join(screenshots, "graphiql.png") });
    expect(blocked).toEqual([]);
    expect(failures).toEqual([]);
    await page.close();
  }, 120_000);
});
