import { eventLog } from "@revgraph/domain";
import { expect } from "vitest";
import { caseFor, type KpiRunner, NOW } from "./hand-computed.cases.ts";

const day = (date: string, time = "12:00:00") => `${date}T${time}Z`;

function deal(
  log: ReturnType<typeof eventLog>,
  id: string,
  created: string,
  amount: number,
  options: { owner?: string; account?: string; close?: string; stage?: string } = {},
) {
  log.add(
    `deal-${id}`,
    "DealCreated",
    {
      dealId: id,
      accountId: options.account ?? "a1",
      ownerRepId: options.owner ?? "r1",
      name: id,
      amount,
      stage: options.stage ?? "discovery",
      expectedCloseDate: options.close ?? "2026-03-31",
    },
    day(created),
  );
}

/** The cases of time in stage, quotas, forecasts, engagement, risks, velocity and currencies, for a runner. */
export function handComputedMoreKpis(runner: KpiRunner): void {
  const { when, group } = caseFor(runner);
  const kpi = async (log: ReturnType<typeof eventLog>, id: string, extra: Record<string, unknown> = {}) =>
    (await runner.compute(log.events, { kpis: [id], period: "2026-Q1", ...extra }, NOW))[0];

  group("time in stage", () => {
    when(["time_in_stage"], "adds up re-entries per deal and reports per-stage mean, median and p90", async () => {
      const log = eventLog();
      // x: discovery 10 d → technical_validation 5 d → discovery 4 d → technical_validation (open).
      deal(log, "x", "2026-01-01", 1000);
      log.add(
        "deal-x",
        "DealStageChanged",
        { dealId: "x", from: "discovery", to: "technical_validation", override: { reason: "t" } },
        day("2026-01-11"),
      );
      log.add("deal-x", "DealStageChanged", { dealId: "x", from: "technical_validation", to: "discovery" }, day("2026-01-16"));
      log.add(
        "deal-x",
        "DealStageChanged",
        { dealId: "x", from: "discovery", to: "technical_validation", override: { reason: "t" } },
        day("2026-01-20"),
      );
      // y: discovery 20 d, then won.
      deal(log, "y", "2026-02-01", 1000);
      log.add("deal-y", "DealWon", { dealId: "y", amount: 1000 }, day("2026-02-21"));
      const result = await kpi(log, "time_in_stage");
      // pairs: (x, discovery) 10 + 4 = 14, (x, technical_validation) 5, (y, discovery) 20 → mean 13.
      expect(result?.value).toBe(13);
      const perStage = result?.derivation.inputs[0]?.detail?.perStage as {
        stage: string;
        completed: number;
        mean: number;
        openStays: number;
      }[];
      expect(perStage.find((stage) => stage.stage === "discovery")).toMatchObject({ completed: 2, mean: 17 });
      expect(perStage.find((stage) => stage.stage === "technical_validation")).toMatchObject({
        completed: 1,
        mean: 5,
        openStays: 1,
      });
    });
  });

  group("quota attainment with ramp, revenue per rep", () => {
    when(
      ["quota_attainment", "revenue_per_rep"],
      "ramps a new rep's quota month by month and reports the distribution and payout multipliers",
      async () => {
        const log = eventLog();
        log.add("team-t", "TeamFormed", { teamId: "t", name: "T" }, day("2025-01-01"));
        log.add("rep-r1", "RepHired", { repId: "r1", name: "A", teamId: "t", startDate: "2024-01-01" }, day("2024-01-01"));
        log.add(
          "rep-r2",
          "RepHired",
          { repId: "r2", name: "B", teamId: "t", startDate: "2026-02-01", ramp: [0.5, 1] },
          day("2026-02-01"),
        );
        log.add(
          "rep-r1",
          "QuotaSet",
          { repId: "r1", period: "2026-Q1", from: "2026-01-01", to: "2026-04-01", amount: 90_000 },
          day("2026-01-01"),
        );
        log.add(
          "rep-r2",
          "QuotaSet",
          { repId: "r2", period: "2026-Q1", from: "2026-01-01", to: "2026-04-01", amount: 90_000 },
          day("2026-02-01"),
        );
        deal(log, "w1", "2026-01-05", 100_000, { owner: "r1" });
        log.add("deal-w1", "DealWon", { dealId: "w1", amount: 100_000 }, day("2026-03-01"));
        deal(log, "w2", "2026-02-05", 30_000, { owner: "r2" });
        log.add("deal-w2", "DealWon", { dealId: "w2", amount: 30_000 }, day("2026-03-02"));
        // r1: 100k / 90k = 1.111 → multiplier 1.5. r2 (own ramp 50% then 100%): Jan before start 0, Feb 15k, Mar 30k → 45k;
        // 30k / 45k = 0.667 → multiplier 1.0. Team: 130k / 135k.
        expect((await kpi(log, "quota_attainment"))?.value).toBeCloseTo(130 / 135, 10);
        const detail = (await kpi(log, "quota_attainment"))?.derivation.inputs.find(
          (input) => input.name === "attainment_distribution",
        );
        expect(detail?.value).toBe(0.5);
        const reps = ((detail?.detail ?? { reps: [] }) as { reps: { repId: string; quota: number; payoutMultiplier: number }[] })
          .reps;
        expect(reps.map((rep) => [rep.repId, rep.quota, rep.payoutMultiplier])).toEqual([
          ["r1", 90_000, 1.5],
          ["r2", 45_000, 1],
        ]);
        // Revenue per rep: 130k won ÷ 2 reps active in the period.
        expect((await kpi(log, "revenue_per_rep"))?.value).toBe(65_000);
      },
    );
  });

  group("forecast accuracy, bias and commit close rate", () => {
    when(
      ["forecast_accuracy", "forecast_bias", "commit_close_rate"],
      "compares the forecast known at period start with the amount won",
      async () => {
        const log = eventLog();
        log.add(
          "forecast-company-company",
          "ForecastSubmitted",
          {
            forecastId: "f1",
            scope: { kind: "company", id: "company" },
            period: "2026-Q1",
            from: "2026-01-01",
            to: "2026-04-01",
            amount: 120_000,
          },
          day("2025-12-28"),
        );
        // A later resubmission is not "as known at period start".
        log.add(
          "forecast-company-company",
          "ForecastSubmitted",
          {
            forecastId: "f2",
            scope: { kind: "company", id: "company" },
            period: "2026-Q1",
            from: "2026-01-01",
            to: "2026-04-01",
            amount: 99_000,
          },
          day("2026-02-15"),
        );
        deal(log, "c1", "2025-12-01", 60_000);
        log.add("deal-c1", "DealForecastCategoryChanged", { dealId: "c1", category: "commit" }, day("2025-12-20"));
        deal(log, "c2", "2025-12-01", 40_000);
        log.add("deal-c2", "DealForecastCategoryChanged", { dealId: "c2", category: "commit" }, day("2025-12-21"));
        log.add("deal-c1", "DealWon", { dealId: "c1", amount: 60_000 }, day("2026-02-01"));
        deal(log, "c3", "2026-01-10", 40_000);
        log.add("deal-c3", "DealWon", { dealId: "c3", amount: 40_000 }, day("2026-03-01"));
        // A = 100k won; F = 120k → accuracy 1 − 20/100 = 0.8 (off target), bias +0.2.
        expect((await kpi(log, "forecast_accuracy"))?.value).toBeCloseTo(0.8, 10);
        expect((await kpi(log, "forecast_accuracy"))?.band?.id).toBe("off_target");
        expect((await kpi(log, "forecast_bias"))?.value).toBeCloseTo(0.2, 10);
        // Known at Feb 20 the forecast was 99k → accuracy 0.99.
        expect((await kpi(log, "forecast_accuracy", { forecastKnownAt: "2026-02-20T00:00:00Z" }))?.value).toBeCloseTo(0.99, 10);
        // Commit at period start: c1 60k, c2 40k; won in period: c1 → 0.6.
        expect((await kpi(log, "commit_close_rate"))?.value).toBeCloseTo(0.6, 10);
      },
    );
    when(
      ["commit_close_rate"],
      "takes a commit deal's amount at period start as known at knownAt: a back-dated change recorded later is not yet known",
      async () => {
        const log = eventLog();
        deal(log, "c1", "2025-12-01", 60_000);
        log.add("deal-c1", "DealForecastCategoryChanged", { dealId: "c1", category: "commit" }, day("2025-12-20"));
        deal(log, "c2", "2025-12-01", 40_000);
        log.add("deal-c2", "DealForecastCategoryChanged", { dealId: "c2", category: "commit" }, day("2025-12-21"));
        log.add("deal-c1", "DealWon", { dealId: "c1", amount: 60_000 }, day("2026-02-01"));
        log.recordAt("2026-02-10T00:00:00Z");
        // Recorded on Feb 10: c2 was 20k from Dec 22 on.
        log.add("deal-c2", "DealAmountChanged", { dealId: "c2", amount: 20_000, currency: "USD" }, day("2025-12-22"));
        // As known now: 60k won of 60k + 20k committed → 0.75.
        expect((await kpi(log, "commit_close_rate"))?.value).toBeCloseTo(0.75, 10);
        // As known on Feb 5: c2 still 40k → 60k of 100k = 0.6.
        expect((await kpi(log, "commit_close_rate", { knownAt: "2026-02-05T00:00:00Z" }))?.value).toBeCloseTo(0.6, 10);
      },
    );
  });

  group("accounts, leads, meetings and activity", () => {
    function engagementLog() {
      const log = eventLog();
      for (const id of ["a1", "a2", "a3", "a4"])
        log.add(`account-${id}`, "AccountRegistered", { accountId: id, name: id }, day("2025-01-01"));
      log.add("account-a5", "AccountRegistered", { accountId: "a5", name: "a5", addressable: false }, day("2025-01-01"));
      const touch = (account: string, date: string, kind = "call", direction = "outbound") =>
        log.add(
          `account-${account}`,
          "InteractionLogged",
          { interactionId: `${account}-${date}`, accountId: account, repId: "r1", kind, direction, contactIds: [] },
          day(date),
        );
      // a1: one interaction every ~2 weeks (7 in a 90-day quarter) → engaged; a2: twice → reached only.
      for (const date of ["2026-01-02", "2026-01-15", "2026-01-28", "2026-02-10", "2026-02-23", "2026-03-08", "2026-03-21"])
        touch("a1", date);
      touch("a2", "2026-01-05", "meeting", "inbound");
      touch("a2", "2026-02-01", "meeting", "outbound");
      deal(log, "n1", "2026-01-20", 5000, { account: "a2" });
      return log;
    }

    when(
      ["account_reach", "account_engagement"],
      "account reach: 2 of 4 addressable accounts touched; engagement: 1 of the 2 reached meets the cadence",
      async () => {
        const log = engagementLog();
        expect((await kpi(log, "account_reach"))?.value).toBe(0.5);
        expect((await kpi(log, "account_engagement"))?.value).toBe(0.5);
      },
    );

    when(
      ["meeting_to_opportunity_rate"],
      "meeting → opportunity: a deal within 30 days follows the Jan 5 meeting, not the Feb 1 one",
      async () => {
        expect((await kpi(engagementLog(), "meeting_to_opportunity_rate"))?.value).toBe(0.5);
      },
    );

    when(["activity_to_opportunity_ratio"], "activity-to-opportunity: 8 outbound interactions for 1 new deal", async () => {
      expect((await kpi(engagementLog(), "activity_to_opportunity_ratio"))?.value).toBe(8);
    });

    when(
      ["lead_response_time"],
      "lead response time: median of 0.5 h and 3 h and 30 h, with p90 and the share under an hour",
      async () => {
        const log = eventLog();
        const lead = (id: string, arrived: string, touched: string) => {
          log.add(`lead-${id}`, "LeadArrived", { leadId: id, source: "web" }, arrived);
          log.add(`lead-${id}`, "LeadTouched", { leadId: id, repId: "r1", channel: "call" }, touched);
        };
        lead("l1", day("2026-01-10", "09:00:00"), day("2026-01-10", "09:30:00"));
        lead("l2", day("2026-01-11", "09:00:00"), day("2026-01-11", "12:00:00"));
        lead("l3", day("2026-01-12", "09:00:00"), day("2026-01-13", "15:00:00"));
        const result = await kpi(log, "lead_response_time");
        expect(result?.value).toBe(3);
        expect(result?.derivation.inputs[0]?.detail).toMatchObject({ shareUnderOneHour: 1 / 3, untouched: 0 });
      },
    );
  });

  group("stale deals, velocity and the single-threading flag", () => {
    when(
      ["stale_deals", "multithreading"],
      "flags a deal idle for 14 days, a silent technical evaluator, and a large deal that left stage 2 with 2 stakeholders",
      async () => {
        const log = eventLog();
        deal(log, "idle", "2026-03-01", 10_000);
        log.add(
          "deal-idle",
          "InteractionLogged",
          {
            interactionId: "i1",
            accountId: "a1",
            dealId: "idle",
            repId: "r1",
            kind: "call",
            direction: "outbound",
            contactIds: ["c1"],
          },
          day("2026-03-20"),
        );
        deal(log, "tv", "2026-04-01", 10_000, { stage: "technical_validation" });
        log.add(
          "deal-tv",
          "ContactRoleAssigned",
          { dealId: "tv", contactId: "c9", role: "technical_evaluator" },
          day("2026-04-02"),
        );
        log.add(
          "deal-tv",
          "InteractionLogged",
          {
            interactionId: "i2",
            accountId: "a1",
            dealId: "tv",
            repId: "r1",
            kind: "demo",
            direction: "outbound",
            contactIds: ["c9"],
          },
          day("2026-04-05"),
        );
        log.add(
          "deal-tv",
          "InteractionLogged",
          {
            interactionId: "i3",
            accountId: "a1",
            dealId: "tv",
            repId: "r1",
            kind: "email",
            direction: "outbound",
            contactIds: ["c8"],
          },
          day("2026-04-14"),
        );
        deal(log, "big", "2026-03-01", 80_000, { stage: "technical_validation" });
        log.add("deal-big", "ContactRoleAssigned", { dealId: "big", contactId: "c1", role: "champion" }, day("2026-03-02"));
        log.add(
          "deal-big",
          "InteractionLogged",
          {
            interactionId: "i4",
            accountId: "a1",
            dealId: "big",
            repId: "r1",
            kind: "call",
            direction: "outbound",
            contactIds: ["c2"],
          },
          day("2026-04-10"),
        );
        log.add(
          "deal-big",
          "DealStageChanged",
          { dealId: "big", from: "technical_validation", to: "business_case", override: { reason: "x" } },
          day("2026-04-11"),
        );
        log.add("deal-big", "ContactRoleAssigned", { dealId: "big", contactId: "c3", role: "economic_buyer" }, day("2026-04-12"));
        const result = await kpi(log, "stale_deals", { period: "2026-Q2" });
        // idle: last touch Mar 20 → 26 days before Apr 15. tv: evaluator c9 last seen Apr 5 → 10 days ≥ 9.
        expect(result?.value).toBe(2);
        const risks = ((result?.derivation.inputs[0]?.detail ?? { risks: [] }) as { risks: { dealId: string; kind: string }[] })
          .risks;
        expect(risks.map((risk) => [risk.dealId, risk.kind]).sort()).toEqual([
          ["idle", "stale"],
          ["tv", "evaluator_silent"],
        ]);
        const threads = (await kpi(log, "multithreading", { period: "2026-Q2" }))?.derivation.inputs[0]?.detail as {
          singleThreaded: number;
        };
        // big had c1 (role) and c2 (interaction) when it left technical_validation: 2 < 3 on an 80k deal.
        expect(threads.singleThreaded).toBe(1);
      },
    );

    when(["pipeline_velocity"], "pipeline velocity = open deals × average deal size × win rate ÷ cycle days", async () => {
      const log = eventLog();
      deal(log, "w", "2026-01-01", 20_000);
      log.add("deal-w", "DealWon", { dealId: "w", amount: 20_000 }, day("2026-01-21"));
      deal(log, "l", "2026-01-01", 5_000);
      log.add("deal-l", "DealLost", { dealId: "l", reason: "timing" }, day("2026-01-15"));
      deal(log, "o1", "2026-02-01", 1_000);
      deal(log, "o2", "2026-02-01", 1_000);
      // 2 open × 20,000 × 0.5 ÷ 20 days = 1,000 per day.
      expect((await kpi(log, "pipeline_velocity"))?.value).toBe(1000);
    });
  });

  group("currencies", () => {
    when(
      ["average_deal_size", "win_rate"],
      "converts amounts with rates carried as events and warns about deals without a rate, without dropping them from counts",
      async () => {
        const log = eventLog();
        log.add(
          "fx-EUR",
          "ExchangeRateSet",
          { currency: "EUR", baseCurrency: "USD", rate: 1.1, effectiveDate: "2026-01-01" },
          day("2026-01-01"),
        );
        log.add(
          "deal-e",
          "DealCreated",
          {
            dealId: "e",
            accountId: "a",
            ownerRepId: "r",
            name: "e",
            amount: 10_000,
            currency: "EUR",
            stage: "discovery",
            expectedCloseDate: "2026-03-01",
          },
          day("2026-01-02"),
        );
        log.add("deal-e", "DealWon", { dealId: "e", amount: 10_000, currency: "EUR" }, day("2026-02-01"));
        log.add(
          "deal-j",
          "DealCreated",
          {
            dealId: "j",
            accountId: "a",
            ownerRepId: "r",
            name: "j",
            amount: 1_000_000,
            currency: "JPY",
            stage: "discovery",
            expectedCloseDate: "2026-03-01",
          },
          day("2026-01-02"),
        );
        log.add("deal-j", "DealWon", { dealId: "j", amount: 1_000_000, currency: "JPY" }, day("2026-02-02"));
        const size = await kpi(log, "average_deal_size");
        expect(size?.value).toBeCloseTo(11_000, 6);
        expect(size?.derivation.warnings[0]).toMatch(/1 won deal\(s\) left out of amounts: no exchange rate to USD \(first: j\)/);
        expect((await kpi(log, "win_rate"))?.value).toBe(1);
      },
    );
  });
}
