import { defaultConfig, eventLog, projectGraph } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import { describe, expect, it } from "vitest";
import { computeKpis, type KpiQuery, type KpiResult } from "./engine.ts";

/**
 * Hand-computed KPI cases (given events, a query and now → the figures worked out by hand), shared by every way of
 * computing KPIs: the in-memory engine (kpis.spec.ts, kpis-more.spec.ts) and the read model's SQL path
 * (test/read-model/hand-computed.spec.ts), which runs the cases whose KPIs it compiles.
 */

/** A way of computing KPIs held to the hand-computed figures. */
export interface KpiRunner {
  /** The KPIs of a query over a log's events at `now`. */
  readonly compute: (events: readonly RecordedEvent[], query: KpiQuery, now: Date) => Promise<readonly KpiResult[]>;
  /** True when it computes every KPI of the query (a case it cannot compute is not registered). */
  readonly computes: (query: Pick<KpiQuery, "kpis" | "versions">) => boolean;
}

/** The in-memory engine, which computes every KPI. */
export const engineRunner: KpiRunner = {
  compute: async (events, query, now) => computeKpis(projectGraph(events), defaultConfig, query, now),
  computes: () => true,
};

/**
 * How cases are registered for a runner: `when` registers a case if the runner computes every KPI it asks for (in the
 * given versions); `group` names the cases registered inside it, and is left out when none are.
 */
export function caseFor(runner: KpiRunner) {
  let collecting: (() => void)[] | undefined;
  const when = (kpis: readonly string[], name: string, body: () => Promise<void>, versions?: Record<string, number>) => {
    if (!runner.computes({ kpis: [...kpis], ...(versions ? { versions } : {}) })) return;
    const register = () => it(name, body);
    if (collecting) collecting.push(register);
    else register();
  };
  const group = (name: string, cases: () => void) => {
    const outer = collecting;
    const registered: (() => void)[] = [];
    collecting = registered;
    cases();
    collecting = outer;
    if (registered.length)
      describe(name, () => {
        for (const register of registered) register();
      });
  };
  return { when, group };
}

export const NOW = new Date("2026-04-15T12:00:00Z");

/**
 * Given: team t1 (manager m1) with reps r1 (tenured) and r2 (hired 2026-01-15, default ramp), Q1 quotas,
 * and six deals exercising the classic traps:
 *  d1 won 2026-02-20 at 12,000 (created at 10,000), skipped technical_validation with evidence.
 *  d2 lost 2026-03-01 (pricing, competitor Acme) at 50,000.
 *  d3 open, 30,000, moved to technical_validation, close date pushed 03-15 → 04-30.
 *  d4 created 2025-12-01, won 2026-03-31 23:30 New York time (= 2026-04-01 04:30 UTC) at 8,000.
 *  d5 won 2026-02-10, reopened 2026-03-05: open again.
 *  d6 open, 40,000, expected close 2026-03-20, never closed.
 */
export function scenario() {
  const log = eventLog("2026-01-01T00:00:00Z");
  const day = (date: string) => `${date}T12:00:00Z`;
  log.add("team-t1", "TeamFormed", { teamId: "t1", name: "East" }, day("2025-01-01"));
  log.add("team-t1", "ManagerAssigned", { teamId: "t1", managerRepId: "m1" }, day("2025-01-01"));
  log.add("rep-r1", "RepHired", { repId: "r1", name: "Ana", teamId: "t1", startDate: "2025-01-01" }, day("2025-01-01"));
  log.add("rep-r2", "RepHired", { repId: "r2", name: "Ben", teamId: "t1", startDate: "2026-01-15" }, day("2026-01-15"));
  log.add(
    "rep-r1",
    "QuotaSet",
    { repId: "r1", period: "2026-Q1", from: "2026-01-01", to: "2026-04-01", amount: 300_000 },
    day("2026-01-01"),
  );
  log.add(
    "rep-r2",
    "QuotaSet",
    { repId: "r2", period: "2026-Q1", from: "2026-01-01", to: "2026-04-01", amount: 120_000 },
    day("2026-01-15"),
  );
  log.add("account-a1", "AccountRegistered", { accountId: "a1", name: "Acme Buyer", region: "NA" }, day("2025-06-01"));
  const open = (id: string, date: string, amount: number, close: string, owner: string) =>
    log.add(
      `deal-${id}`,
      "DealCreated",
      { dealId: id, accountId: "a1", ownerRepId: owner, name: id, amount, stage: "discovery", expectedCloseDate: close },
      day(date),
    );
  open("d1", "2026-01-05", 10_000, "2026-02-28", "r1");
  log.add("deal-d1", "GateEvidenceRecorded", { dealId: "d1", gate: "pain_statement", evidence: "call notes" }, day("2026-01-20"));
  log.add(
    "deal-d1",
    "DealStageChanged",
    { dealId: "d1", from: "discovery", to: "business_case", override: { reason: "champion known" } },
    day("2026-01-25"),
  );
  log.add("deal-d1", "DealStageChanged", { dealId: "d1", from: "business_case", to: "negotiation" }, day("2026-02-05"));
  log.add("deal-d1", "DealWon", { dealId: "d1", amount: 12_000 }, day("2026-02-20"));
  open("d2", "2026-01-10", 50_000, "2026-03-10", "r1");
  log.add("deal-d2", "DealLost", { dealId: "d2", reason: "pricing", competitor: "Acme" }, day("2026-03-01"));
  open("d3", "2026-02-01", 30_000, "2026-03-15", "r2");
  log.add("deal-d3", "DealStageChanged", { dealId: "d3", from: "discovery", to: "technical_validation" }, day("2026-02-10"));
  log.add("deal-d3", "DealCloseDateChanged", { dealId: "d3", expectedCloseDate: "2026-04-30" }, day("2026-03-10"));
  open("d4", "2025-12-01", 8_000, "2026-03-31", "r2");
  log.add("deal-d4", "DealWon", { dealId: "d4", amount: 8_000 }, "2026-03-31T23:30:00-04:00");
  open("d5", "2026-01-20", 20_000, "2026-02-15", "r1");
  log.add("deal-d5", "DealWon", { dealId: "d5", amount: 20_000 }, day("2026-02-10"));
  log.add("deal-d5", "DealReopened", { dealId: "d5", stage: "negotiation" }, day("2026-03-05"));
  open("d6", "2026-02-15", 40_000, "2026-03-20", "r1");
  return log;
}

/** The cases of the six-deal scenario, the time travel over it, and interaction value, for a runner. */
export function handComputedKpis(runner: KpiRunner): void {
  const { when, group } = caseFor(runner);
  const value = async (kpi: string, query: Record<string, unknown> = {}, log = scenario()) =>
    (await runner.compute(log.events, { kpis: [kpi], period: "2026-Q1", ...query }, NOW))[0];

  group("KPIs on a hand-computed scenario", () => {
    when(["win_rate"], "win rate counts deals closed in the period only: won 1 (d1) ÷ closed 2 (d1, d2) = 0.5", async () => {
      // d3, d6 are open: never counted. d5 was won but reopened: it stopped counting as closed.
      // d4 closed on 2026-04-01 04:30 UTC: outside Q1 in UTC.
      const result = await value("win_rate");
      expect(result?.value).toBe(0.5);
      expect(result?.derivation.inputs.map((input) => [input.name, input.role, input.value])).toEqual([
        ["won_count", "numerator", 1],
        ["closed_count", "denominator", 2],
      ]);
    });

    when(["win_rate"], "respects the time zone at the period edge: in New York d4 closed on March 31 → 2 ÷ 3", async () => {
      expect((await value("win_rate", { timeZone: "America/New_York" }))?.value).toBeCloseTo(2 / 3, 10);
    });

    when(
      ["win_rate"],
      "computes win rate by value as version 2 beside version 1: 12,000 ÷ (12,000 + 50,000)",
      async () => {
        const results = await runner.compute(
          scenario().events,
          { kpis: ["win_rate"], period: "2026-Q1", versions: { win_rate: 2 } },
          NOW,
        );
        expect(results[0]?.definition.version).toBe(2);
        expect(results[0]?.value).toBeCloseTo(12_000 / 62_000, 10);
      },
      { win_rate: 2 },
    );

    when(
      ["won_revenue"],
      "won revenue sums the amounts at the win of deals won in the period: 12,000 (UTC), 12,000 + 8,000 (New York)",
      async () => {
        const result = await value("won_revenue");
        expect(result?.value).toBe(12_000);
        expect(result?.derivation.inputs.map((input) => [input.name, input.role, input.value])).toEqual([
          ["won_amount", "value", 12_000],
          ["won_count", "context", 1],
        ]);
        expect(result?.derivation.eventIds.length).toBeGreaterThan(0);
        expect((await value("won_revenue", { timeZone: "America/New_York" }))?.value).toBe(20_000);
        expect((await value("won_revenue", { filter: { rep: ["r2"] } }))?.value).toBe(0);
      },
    );

    when(
      ["average_deal_size"],
      "average deal size uses the amount at the win and never lost deals: 12,000 (UTC), (12,000 + 8,000) ÷ 2 (New York)",
      async () => {
        expect((await value("average_deal_size"))?.value).toBe(12_000);
        expect((await value("average_deal_size", { timeZone: "America/New_York" }))?.value).toBe(10_000);
      },
    );

    when(["sales_cycle_length"], "sales cycle is creation → win in days: d1 Jan 5 → Feb 20 = 46", async () => {
      expect((await value("sales_cycle_length"))?.value).toBe(46);
    });

    when(
      ["pipeline"],
      "open pipeline at period end: d3 30k + d4 8k (still open at 23:59 UTC) + d5 20k + d6 40k = 98,000",
      async () => {
        const result = await value("pipeline");
        expect(result?.value).toBe(98_000);
        expect(result?.derivation.inputs.find((input) => input.name === "open_pipeline_in_period")?.value).toBe(68_000);
      },
    );

    when(
      ["pipeline_coverage", "quota_attainment"],
      "coverage = pipeline closing in Q1 (d4 8k + d5 20k + d6 40k) ÷ (ramp-adjusted quota 360k − won 12k) → escalate",
      async () => {
        // r2's 120k quarter is 40k a month at tenure months 1, 2, 3 → 25% + 50% + 75% → 60k; r1 300k.
        const result = await value("pipeline_coverage");
        expect(result?.value).toBeCloseTo(68_000 / 348_000, 10);
        expect(result?.band?.id).toBe("escalate");
        expect((await value("quota_attainment"))?.value).toBeCloseTo(12_000 / 360_000, 10);
      },
    );

    when(["pipeline_coverage"], "coverage is null with the reason 'quota met' when won covers the quota", async () => {
      const log = scenario();
      log.add("deal-d6", "DealWon", { dealId: "d6", amount: 400_000 }, "2026-03-25T12:00:00Z");
      const result = await value("pipeline_coverage", {}, log);
      expect(result?.value).toBeNull();
      expect(result?.nullReason).toBe("quota met");
    });

    when(
      ["slippage_rate"],
      "slippage: of 6 deals forecast to close in Q1, d3 (pushed), d4, d5, d6 (open at period end) slipped = 4 ÷ 6",
      async () => {
        expect((await value("slippage_rate"))?.value).toBeCloseTo(4 / 6, 10);
      },
    );

    when(["stage_conversion"], "stage conversion counts skipped stages as passed", async () => {
      // entered discovery in Q1: d1, d2, d3, d5, d6 (d4 entered in 2025) → reached closed_won: d1, d5 (won before reopening).
      expect((await value("stage_conversion"))?.value).toBeCloseTo(2 / 5, 10);
    });

    when(["loss_reasons"], "loss reasons break down by reason and competitor", async () => {
      const result = await value("loss_reasons");
      expect(result?.value).toBe(1);
      expect(result?.derivation.inputs[0]?.detail).toEqual({ reasons: { pricing: 1 }, competitors: { Acme: 1 } });
    });

    when(
      ["win_rate"],
      "filters and groups by dimension: rep r2 has no closed deal in UTC Q1 → win rate null with a reason",
      async () => {
        const result = await value("win_rate", { filter: { rep: ["r2"] } });
        expect(result?.value).toBeNull();
        expect(result?.nullReason).toBe("closed_count is zero");
        const grouped = await runner.compute(scenario().events, { kpis: ["win_rate"], period: "2026-Q1", groupBy: "rep" }, NOW);
        expect(grouped.map((entry) => [entry.group?.key, entry.value])).toEqual([
          ["r1", 0.5],
          ["r2", null],
        ]);
      },
    );

    when(["win_rate"], "lists every contributing event in the derivation", async () => {
      const log = scenario();
      const result = await value("win_rate", {}, log);
      const d1Won = log.events.find((event) => event.type === "DealWon" && event.streamId === "deal-d1");
      const d2Lost = log.events.find((event) => event.type === "DealLost");
      expect(new Set(result?.derivation.eventIds)).toEqual(new Set([d1Won?.id, d2Lost?.id]));
    });
  });

  group("time travel", () => {
    when(["win_rate"], "asOf hides events that occurred later: on Feb 25, only d1 had closed → win rate 1", async () => {
      expect((await value("win_rate", { asOf: "2026-02-25T00:00:00Z" }))?.value).toBe(1);
    });
  });

  group("interaction value and multi-threading", () => {
    when(
      ["average_interaction_value", "multithreading"],
      "values each interaction as amount × the probability change before the next interaction",
      async () => {
        const log = eventLog();
        log.add(
          "deal-y",
          "DealCreated",
          {
            dealId: "y",
            accountId: "a",
            ownerRepId: "r",
            name: "Y",
            amount: 100_000,
            stage: "discovery",
            expectedCloseDate: "2026-06-30",
          },
          "2026-01-10T00:00:00Z",
        );
        log.add(
          "deal-y",
          "InteractionLogged",
          {
            interactionId: "i1",
            accountId: "a",
            dealId: "y",
            repId: "r",
            kind: "call",
            direction: "outbound",
            contactIds: ["c1"],
          },
          "2026-02-01T00:00:00Z",
        );
        log.add("deal-y", "GateEvidenceRecorded", { dealId: "y", gate: "pain_statement", evidence: "x" }, "2026-02-02T00:00:00Z");
        log.add(
          "deal-y",
          "DealStageChanged",
          { dealId: "y", from: "discovery", to: "technical_validation" },
          "2026-02-03T00:00:00Z",
        );
        log.add(
          "deal-y",
          "InteractionLogged",
          {
            interactionId: "i2",
            accountId: "a",
            dealId: "y",
            repId: "r",
            kind: "demo",
            direction: "outbound",
            contactIds: ["c1", "c2"],
          },
          "2026-02-10T00:00:00Z",
        );
        log.add("deal-y", "DealProbabilityChanged", { dealId: "y", probability: 0.3 }, "2026-02-12T00:00:00Z");
        log.add(
          "deal-y",
          "ContactRoleAssigned",
          { dealId: "y", contactId: "c3", role: "economic_buyer" },
          "2026-02-13T00:00:00Z",
        );
        // i1: 100k × (0.25 − 0.10) = 15,000; i2: 100k × (0.30 − 0.25) = 5,000 → mean 10,000.
        const [aiv, threads] = await runner.compute(
          log.events,
          { kpis: ["average_interaction_value", "multithreading"], period: "2026-Q1" },
          NOW,
        );
        expect(aiv?.value).toBeCloseTo(10_000, 6);
        // c1, c2 from interactions and c3 from a buying role.
        expect(threads?.value).toBe(3);
        // Recorded on Mar 1: the deal was 200k from Jan 20 on. Known now, both values double; known on Feb 20, not yet.
        log.recordAt("2026-03-01T00:00:00Z");
        log.add("deal-y", "DealAmountChanged", { dealId: "y", amount: 200_000, currency: "USD" }, "2026-01-20T00:00:00Z");
        const asKnown = async (knownAt?: string) =>
          (
            await runner.compute(
              log.events,
              { kpis: ["average_interaction_value"], period: "2026-Q1", ...(knownAt ? { knownAt } : {}) },
              NOW,
            )
          )[0]?.value;
        expect(await asKnown()).toBeCloseTo(20_000, 6);
        expect(await asKnown("2026-02-20T00:00:00Z")).toBeCloseTo(10_000, 6);
      },
    );
  });
}
