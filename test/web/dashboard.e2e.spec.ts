import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiProcess } from "../support/api-process.ts";
import { type BrowserAgainstApi, startBrowserAgainstDemoApi } from "../support/browser.ts";

/**
 * The dashboard in a real headless Chromium against a real API process started as the Quick start does.
 * scripts/test builds the page and installs Debian's chromium; CHROMIUM_PATH points elsewhere if needed.
 */
const screenshots = join(import.meta.dirname, "../../test-results/dashboard");
const built = join(import.meta.dirname, "../../services/web/dist/index.html");

const now = new Date();
const period = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
const quarterIndex = now.getUTCFullYear() * 4 + Math.floor(now.getUTCMonth() / 3) - 1;
const previousPeriod = `${Math.floor(quarterIndex / 4)}-Q${(quarterIndex % 4) + 1}`;

let session: BrowserAgainstApi;
let api: ApiProcess;
let browser: Browser;

async function openDashboard(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, reducedMotion: "reduce" });
  await page.goto(api.url);
  await page.getByTestId("kpi-value-win_rate").waitFor();
  return page;
}

/** What the risk view says it lists: deals at risk (one row each) and the risks on them. */
function riskCount(risks: readonly { dealId: string }[]): string {
  return `${new Set(risks.map((risk) => risk.dealId)).size} deals at risk (${risks.length} risks)`;
}

async function switchRole(page: Page, role: string): Promise<void> {
  await page.getByTestId("role-switch").getByText(role, { exact: true }).click();
  await page.getByTestId("viewer").filter({ hasText: role }).waitFor();
}

beforeAll(async () => {
  if (!existsSync(built)) throw new Error(`the dashboard is not built (${built}): run pnpm --filter @revgraph/web build`);
  // Large enough for more than a page of deals at risk, as the default demo has.
  session = await startBrowserAgainstDemoApi(1_500, screenshots);
  ({ api, browser } = session);
}, 120_000);

afterAll(async () => {
  await session?.stop();
});

describe("the revenue dashboard", () => {
  it("is served at / and shows every scorecard number exactly as the API computes it", async () => {
    const { scorecard } = await api.query<{ scorecard: { kpiId: string; value: number | null; band: { id: string } | null }[] }>(
      "exec",
      "query($period: String!) { scorecard(period: $period) { kpiId value band { id } } }",
      { period },
    );
    expect(scorecard.length).toBeGreaterThan(10);
    const page = await openDashboard();
    for (const kpi of scorecard) {
      await expect
        .poll(
          async () => ({ kpi: kpi.kpiId, value: await page.getByTestId(`kpi-value-${kpi.kpiId}`).getAttribute("data-value") }),
          { timeout: 30_000 },
        )
        .toEqual({ kpi: kpi.kpiId, value: String(kpi.value ?? "") });
    }
    const previous = await api.query<{ scorecard: { kpiId: string; value: number | null }[] }>(
      "exec",
      "query($period: String!) { scorecard(period: $period) { kpiId value } }",
      { period: previousPeriod },
    );
    const compared = scorecard.find((kpi) => {
      const before = previous.scorecard.find((entry) => entry.kpiId === kpi.kpiId)?.value;
      return kpi.value !== null && before !== null && before !== undefined && before !== kpi.value;
    });
    if (compared) {
      const before = previous.scorecard.find((entry) => entry.kpiId === compared.kpiId)?.value ?? 0;
      await expect
        .poll(() => page.getByTestId(`kpi-change-${compared.kpiId}`).textContent())
        .toMatch(new RegExp(`^${(compared.value ?? 0) > before ? "▲" : "▼"} .* vs ${previousPeriod}$`));
    }
    const banded = scorecard.find((kpi) => kpi.band);
    if (banded) expect(await page.getByTestId(`kpi-band-${banded.kpiId}`).count()).toBe(1);
    await page.screenshot({ path: join(screenshots, "scorecard.png"), fullPage: true });
    await page.close();
    // The dashboard's first load asks the API's fact tables every question for the first time (2 s alone; it passed
    // 30 s once with the suite and a 100k-deal API sharing the two cores): room for the 30 s polls above.
  }, 90_000);

  it("clicking a number shows its formula, inputs and contributing events, and restates it as known at a date", async () => {
    const kpiQuery = `query($period: String!, $knownAt: DateTime) { kpi(id: "win_rate", period: $period, knownAt: $knownAt) {
      value derivation { formula eventCount inputs { name } } } }`;
    type Kpi = {
      kpi: { value: number | null; derivation: { formula: string; eventCount: number; inputs: { name: string }[] } }[];
    };
    const current = (await api.query<Kpi>("exec", kpiQuery, { period })).kpi[0];
    const page = await openDashboard();
    await page.getByTestId("kpi-value-win_rate").click();
    await expect.poll(() => page.getByTestId("derivation-formula").textContent()).toBe(current?.derivation.formula);
    expect(await page.getByTestId("derivation-value").getAttribute("data-value")).toBe(String(current?.value ?? ""));
    expect(await page.getByTestId("derivation-inputs").locator("tbody tr").count()).toBe(current?.derivation.inputs.length);
    expect(await page.getByTestId("derivation-events").locator("tbody tr").count()).toBe(
      Math.min(25, current?.derivation.eventCount ?? 0),
    );
    await page.screenshot({ path: join(screenshots, "derivation.png"), fullPage: true });

    const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
    const before = (await api.query<Kpi>("exec", kpiQuery, { period, knownAt: `${yesterday}T23:59:59.999Z` })).kpi[0];
    await page.getByTestId("known-at").fill(yesterday);
    await page.getByTestId("restatement").waitFor();
    await expect.poll(() => page.getByTestId("derivation-value").getAttribute("data-value")).toBe(String(before?.value ?? ""));
    await page.screenshot({ path: join(screenshots, "derivation-known-at.png"), fullPage: true });
    await page.close();
  });

  it("shows the funnel's counts and the attainment distribution the API reports", async () => {
    const data = await api.query<{
      funnel: { steps: { entered: number; converted: number }[] }[];
      attainmentDistribution: { reps: unknown[] };
    }>(
      "exec",
      "query($period: String!) { funnel(period: $period) { steps { entered converted } } attainmentDistribution(period: $period) { reps { repId } } }",
      { period },
    );
    const page = await openDashboard();
    await page.getByRole("tab", { name: "Funnel" }).click();
    const rows = page.getByTestId("funnel-table").locator("tbody tr");
    await rows.first().waitFor();
    await expect.poll(() => rows.count()).toBe(data.funnel[0]?.steps.length);
    expect(await rows.first().locator("td").nth(1).textContent()).toBe(String(data.funnel[0]?.steps[0]?.entered));
    await page.screenshot({ path: join(screenshots, "funnel.png"), fullPage: true });
    await page.getByRole("tab", { name: "Quota attainment" }).click();
    await page.getByTestId("attainment-table").locator("tbody tr").first().waitFor();
    await expect
      .poll(() => page.getByTestId("attainment-table").locator("tbody tr").count())
      .toBe(data.attainmentDistribution.reps.length);
    await page.screenshot({ path: join(screenshots, "attainment.png"), fullPage: true });
    await page.close();
  });

  it("lists deal risks across teams for an exec, each opening the deal's event timeline", async () => {
    const { dealRisks } = await api.query<{ dealRisks: { dealId: string }[] }>("exec", "{ dealRisks { dealId } }");
    const page = await openDashboard();
    await page.getByRole("tab", { name: "Deal risks" }).click();
    await expect.poll(() => page.getByTestId("risk-count").textContent()).toBe(riskCount(dealRisks));
    const teams = await page
      .getByTestId("risk-row")
      .evaluateAll((rows) => new Set(rows.map((row) => row.getAttribute("data-team"))).size);
    expect(teams).toBeGreaterThan(1);
    const firstDeal = (await page.getByTestId("risk-row").first().getAttribute("data-deal")) ?? "";
    const { deal } = await api.query<{ deal: { events: { edges: unknown[] } } }>(
      "exec",
      "query($id: String!) { deal(dealId: $id) { events(first: 200) { edges { cursor } } } }",
      { id: firstDeal },
    );
    await page.getByTestId("risk-deal-link").first().click();
    await expect.poll(() => page.getByTestId("timeline-event").count()).toBe(deal.events.edges.length);
    await page.screenshot({ path: join(screenshots, "deal-timeline.png"), fullPage: true });
    await page.close();
  });

  it("switching to the rep's demo token shows only that rep's numbers and deals, and the API refuses the rest", async () => {
    const pipelineQuery = `query($period: String!) { viewer { repId } dealRisks { dealId } kpi(id: "pipeline", period: $period) { value } }`;
    type Pipeline = { viewer: { repId: string }; dealRisks: { dealId: string }[]; kpi: { value: number | null }[] };
    const rep = await api.query<Pipeline>("rep", pipelineQuery, { period });
    const everyone = await api.query<Pipeline>("exec", pipelineQuery, { period });
    expect(rep.kpi[0]?.value).not.toBe(everyone.kpi[0]?.value);
    const exec = await api.query<{ dealRisks: { dealId: string; deal: { owner: { repId: string } } }[] }>(
      "exec",
      "{ dealRisks { dealId deal { owner { repId } } } }",
    );
    const othersDeal = exec.dealRisks.find((risk) => risk.deal.owner.repId !== rep.viewer.repId);
    expect(othersDeal).toBeDefined();
    const page = await openDashboard();
    await switchRole(page, "rep");
    await expect
      .poll(() => page.getByTestId("kpi-value-pipeline").getAttribute("data-value"))
      .toBe(String(rep.kpi[0]?.value ?? ""));
    await page.getByRole("tab", { name: "Deal risks" }).click();
    await expect.poll(() => page.getByTestId("risk-count").textContent()).toBe(riskCount(rep.dealRisks));
    const owners = await page
      .getByTestId("risk-row")
      .evaluateAll((rows) => [...new Set(rows.map((row) => row.getAttribute("data-owner")))]);
    expect(owners.every((owner) => owner === rep.viewer.repId)).toBe(true);
    await page.screenshot({ path: join(screenshots, "rep-view.png"), fullPage: true });
    const { deal } = await api.query<{ deal: unknown }>("rep", "query($id: String!) { deal(dealId: $id) { dealId } }", {
      id: othersDeal?.dealId,
    });
    expect(deal).toBeNull();
    await page.close();
  });
});

describe("the deal list", () => {
  it("pages through the deals largest first as the API does, and the rep sees only their own", async () => {
    const pageQuery = `query($status: [DealStatus!], $after: String) {
      deals(first: 25, after: $after, filter: { status: $status }, orderBy: { field: AMOUNT, direction: DESC }) {
        pageInfo { endCursor hasNextPage } edges { node { dealId name owner { repId } } } } }`;
    type Page = {
      deals: {
        pageInfo: { endCursor: string; hasNextPage: boolean };
        edges: { node: { dealId: string; name: string; owner: { repId: string } } }[];
      };
    };
    const pages: Record<string, Page> = {};
    for (const status of ["open", "won", "lost"]) pages[status] = await api.query<Page>("exec", pageQuery, { status: [status] });
    const status = Object.keys(pages).find((candidate) => pages[candidate]?.deals.pageInfo.hasNextPage) ?? "open";
    const first = pages[status] as Page;
    expect(first.deals.pageInfo.hasNextPage).toBe(true);
    const second = await api.query<Page>("exec", pageQuery, { status: [status], after: first.deals.pageInfo.endCursor });
    const page = await openDashboard();
    await page.getByRole("tab", { name: "Deals" }).click();
    await page.getByTestId("deal-status").getByText(status, { exact: true }).click();
    const rows = page.getByTestId("deal-row");
    await expect.poll(() => rows.first().locator("td").first().textContent()).toBe(first.deals.edges[0]?.node.name);
    expect(await rows.count()).toBe(first.deals.edges.length);
    await page.getByRole("button", { name: "Next page" }).click();
    await expect.poll(() => rows.first().locator("td").first().textContent()).toBe(second.deals.edges[0]?.node.name);
    expect(await rows.count()).toBe(second.deals.edges.length);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(screenshots, "deals.png"), fullPage: true });
    const mine = await api.query<Page>("rep", pageQuery, { status: [status] });
    await switchRole(page, "rep");
    await expect.poll(() => rows.count()).toBe(mine.deals.edges.length);
    const owners = await rows.evaluateAll((elements) => [
      ...new Set(elements.map((element) => element.getAttribute("data-owner"))),
    ]);
    expect(owners.every((owner) => owner === mine.deals.edges[0]?.node.owner.repId)).toBe(true);
    await page.close();
  });
});

describe("the role switch", () => {
  it("as the manager shows only their team's deals; as the auditor, every team's", async () => {
    const manager = await api.query<{ viewer: { teamId: string }; dealRisks: { dealId: string }[] }>(
      "manager",
      "{ viewer { teamId } dealRisks { dealId } }",
    );
    const auditor = await api.query<{ dealRisks: { dealId: string }[] }>("auditor", "{ dealRisks { dealId } }");
    const page = await openDashboard();
    await page.getByRole("tab", { name: "Deal risks" }).click();
    await switchRole(page, "manager");
    await expect.poll(() => page.getByTestId("risk-count").textContent()).toBe(riskCount(manager.dealRisks));
    const teams = await page
      .getByTestId("risk-row")
      .evaluateAll((rows) => [...new Set(rows.map((row) => row.getAttribute("data-team")))]);
    expect(teams.every((team) => team === manager.viewer.teamId)).toBe(true);
    await page.screenshot({ path: join(screenshots, "manager-view.png"), fullPage: true });
    await switchRole(page, "auditor");
    await expect.poll(() => page.getByTestId("risk-count").textContent()).toBe(riskCount(auditor.dealRisks));
    expect(auditor.dealRisks.length).toBeGreaterThan(manager.dealRisks.length);
    await page.close();
  });
});

describe("the first hour's rough edges", () => {
  it("groups risks per deal with a chip per risk, 25 deals a page, filtered by kind and by name", async () => {
    const { dealRisks } = await api.query<{ dealRisks: { dealId: string; kind: string; deal: { owner: { name: string } } }[] }>(
      "exec",
      "{ dealRisks { dealId kind deal { owner { name } } } }",
    );
    const kindsByDeal = new Map<string, string[]>();
    for (const risk of dealRisks) kindsByDeal.set(risk.dealId, [...(kindsByDeal.get(risk.dealId) ?? []), risk.kind]);
    const firstPage = Math.min(25, kindsByDeal.size);
    const page = await openDashboard();
    await page.getByRole("tab", { name: "Deal risks" }).click();
    const rows = page.getByTestId("risk-row");
    await rows.first().waitFor();
    await expect.poll(() => rows.count()).toBe(firstPage);
    const shown = await rows.evaluateAll((elements) =>
      elements.map((row) => ({
        dealId: row.getAttribute("data-deal") ?? "",
        kinds: [...row.querySelectorAll("[data-testid=risk-chip]")].map((chip) => chip.getAttribute("data-kind") ?? ""),
      })),
    );
    expect(new Set(shown.map((row) => row.dealId)).size).toBe(firstPage);
    for (const row of shown) expect(row.kinds.sort()).toEqual([...(kindsByDeal.get(row.dealId) ?? [])].sort());
    // A second page exists exactly when more than 25 deals are at risk (the 1,500-deal demo has about 40).
    expect(await page.getByTestId("risk-pages").count()).toBe(kindsByDeal.size > 25 ? 1 : 0);
    if (kindsByDeal.size > 25) {
      await page.getByTestId("risk-pages").getByRole("button", { name: "2" }).click();
      await expect.poll(() => rows.first().getAttribute("data-deal")).not.toBe(shown[0]?.dealId);
    }
    await page.getByTestId("risk-kind").getByText("Slipped", { exact: true }).click();
    const slipped = new Set(dealRisks.filter((risk) => risk.kind === "slipped").map((risk) => risk.dealId)).size;
    await expect.poll(() => page.getByTestId("risk-count").textContent()).toMatch(new RegExp(`^${slipped} deals at risk`));
    const kinds = await rows.evaluateAll((elements) =>
      elements.map((row) => [...row.querySelectorAll("[data-testid=risk-chip]")].map((chip) => chip.getAttribute("data-kind"))),
    );
    expect(kinds.every((row) => row.includes("slipped"))).toBe(true);
    await page.getByTestId("risk-kind").getByText("All", { exact: true }).click();
    const owner = dealRisks[0]?.deal.owner.name ?? "";
    await page.getByTestId("risk-search").fill(owner);
    const ownerDeals = new Set(dealRisks.filter((risk) => risk.deal.owner.name === owner).map((risk) => risk.dealId)).size;
    await expect.poll(() => page.getByTestId("risk-count").textContent()).toMatch(new RegExp(`^${ownerDeals} deals at risk`));
    await page.close();
  });

  it("shows names, not ids: reps in the attainment table, the viewer, stage titles in the funnel with every label", async () => {
    const data = await api.query<{
      reps: { repId: string; name: string }[];
      stages: { id: string; title: string }[];
      funnel: { steps: { from: string; to: string }[] }[];
      attainmentDistribution: { reps: { repId: string }[] };
    }>(
      "exec",
      "query($period: String!) { reps { repId name } stages { id title } funnel(period: $period) { steps { from to } } attainmentDistribution(period: $period) { reps { repId } } }",
      { period },
    );
    const repName = new Map(data.reps.map((rep) => [rep.repId, rep.name]));
    const stageTitle = new Map(data.stages.map((stage) => [stage.id, stage.title]));
    const page = await openDashboard();
    await page.getByRole("tab", { name: "Quota attainment" }).click();
    const cells = page.getByTestId("attainment-rep");
    await cells.first().waitFor();
    await expect.poll(() => cells.count()).toBe(data.attainmentDistribution.reps.length);
    const shown = await cells.evaluateAll((elements) =>
      elements.map((cell) => ({ repId: cell.closest("tr")?.getAttribute("data-rep") ?? "", text: cell.textContent })),
    );
    for (const cell of shown) expect(cell.text).toBe(repName.get(cell.repId));
    await page.getByRole("tab", { name: "Funnel" }).click();
    await page.getByTestId("funnel-table").locator("tbody tr").first().waitFor();
    // Every step's label is on the chart's axis (Recharts leaves crowded ones out unless told not to), in titles.
    const axis = ((await page.getByTestId("funnel-chart").locator("svg").first().textContent()) ?? "").replace(/\s+/g, "");
    for (const step of data.funnel[0]?.steps ?? []) {
      const title = (id: string) => stageTitle.get(id) ?? (id === "closed_won" ? "Won" : id);
      expect(axis).toContain(`${title(step.from)}→${title(step.to)}`.replace(/\s+/g, ""));
    }
    expect(await page.getByTestId("funnel-table").textContent()).not.toMatch(/[a-z]+_[a-z]+/);
    await switchRole(page, "rep");
    const rep = await api.query<{ viewer: { repId: string } }>("rep", "{ viewer { repId } }");
    await expect.poll(() => page.getByTestId("viewer").textContent()).toContain(repName.get(rep.viewer.repId));
    await page.close();
  });

  it("at 1280 px shows every badge whole and a change that reads as zero as a grey 'no change'", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, reducedMotion: "reduce" });
    await page.goto(api.url);
    await page.getByTestId("kpi-value-win_rate").waitFor();
    await expect.poll(() => page.locator("[data-testid^=kpi-change-]").count(), { timeout: 60_000 }).toBeGreaterThan(5);
    for (const role of ["exec", "rep"]) {
      if (role === "rep") await switchRole(page, "rep");
      await page.getByTestId("kpi-value-win_rate").waitFor();
      const clipped = await page
        .locator(".mantine-Badge-label")
        .evaluateAll((labels) =>
          labels.filter((label) => label.scrollWidth > label.clientWidth + 1).map((label) => label.textContent),
        );
      expect(clipped).toEqual([]);
    }
    const changes = await page
      .locator("[data-testid^=kpi-change-]")
      .evaluateAll((elements) =>
        elements.map((element) => ({ delta: Number(element.getAttribute("data-delta")), text: element.textContent ?? "" })),
      );
    for (const change of changes) {
      if (change.delta === 0) expect(change.text).toMatch(/^no change vs /);
      else expect(change.text).not.toMatch(/^[▲▼] (\$0|0(\.0)?( \S+|%|×)?) vs /);
    }
    await page.close();
  });

  it("serves a favicon and loads each view's code only when its tab opens, in chunks under 500 kB", async () => {
    const icon = await fetch(`${api.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/x-icon");
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const scripts: { url: string; size: number }[] = [];
    page.on("response", async (response) => {
      if (response.url().endsWith(".js")) scripts.push({ url: response.url(), size: (await response.body()).length });
    });
    await page.goto(api.url);
    await page.getByTestId("kpi-value-win_rate").waitFor();
    expect(scripts.some((script) => script.url.includes("/Funnel-"))).toBe(false);
    await page.getByRole("tab", { name: "Funnel" }).click();
    await page.getByTestId("funnel-table").waitFor();
    expect(scripts.some((script) => script.url.includes("/Funnel-"))).toBe(true);
    expect(scripts.filter((script) => script.size > 500_000)).toEqual([]);
    expect(await page.locator("link[rel=icon]").count()).toBeGreaterThan(0);
    await page.close();
  });
});

/**
 * Screenshots of every view at 1280×800 and 1920×1080 for the README and docs/: written to test-results/, and to
 * docs/dashboard/ when REVGRAPH_DOCS_SCREENSHOTS=1 (run that way to refresh the checked-in ones).
 */
describe("screenshots of every view", () => {
  const docs = join(import.meta.dirname, "../../docs/dashboard");
  const targets = process.env.REVGRAPH_DOCS_SCREENSHOTS === "1" ? [screenshots, docs] : [screenshots];
  it.each([
    [1280, 800],
    [1920, 1080],
  ])(
    "at %i×%i",
    async (width, height) => {
      const page = await browser.newPage({ viewport: { width, height }, reducedMotion: "reduce" });
      const shoot = async (view: string) => {
        await page.waitForLoadState("networkidle");
        for (const target of targets) {
          mkdirSync(target, { recursive: true });
          await page.screenshot({ path: join(target, `${view}-${width}x${height}.png`) });
        }
      };
      await page.goto(api.url);
      await page.getByTestId("kpi-value-win_rate").waitFor();
      await expect.poll(() => page.locator("[data-testid^=kpi-change-]").count(), { timeout: 60_000 }).toBeGreaterThan(5);
      await shoot("scorecard");
      await page.getByTestId("kpi-value-win_rate").click();
      await page.getByTestId("derivation-formula").waitFor();
      await shoot("derivation");
      await page.keyboard.press("Escape");
      for (const [tab, view, ready] of [
        ["Funnel", "funnel", "funnel-table"],
        ["Quota attainment", "attainment", "attainment-table"],
        ["Deal risks", "risks", "risk-row"],
        ["Deals", "deals", "deal-row"],
      ] as const) {
        await page.getByRole("tab", { name: tab }).click();
        await page.getByTestId(ready).first().waitFor();
        await shoot(view);
      }
      await page.getByTestId("deal-row").first().locator("button").first().click();
      await page.getByTestId("timeline-event").first().waitFor();
      await shoot("deal-timeline");
      await page.close();
    },
    120_000,
  );
});
