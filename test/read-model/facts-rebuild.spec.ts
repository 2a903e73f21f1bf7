import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { kpiDefinitions } from "@revgraph/kpis";
import { RevenueReadModel } from "@revgraph/read-model";
import { describe, expect, it } from "vitest";
import { factContents } from "./fact-contents.ts";

const now = new Date("2026-11-15T00:00:00Z");
const DAY = 86_400_000;

describe("the fact tables maintained live", () => {
  it("equal a rebuild from scratch byte for byte, after a restart and back-dated, late and same-deal events", async () => {
    const dir = mkdtempSync(join(tmpdir(), "revgraph-facts-rebuild-"));
    try {
      const store = openSqliteEventStore({ path: join(dir, "revgraph.db") });
      await seedDemoData(store, { deals: 40, seed: 5, now });
      const live = join(dir, "live.duckdb");
      await (await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath: live })).close();
      const model = await RevenueReadModel.open({ store, config: defaultConfig, factsPath: live });
      const deals = [...model.currentDeals().values()];
      const open = deals.filter((deal) => deal.status === "open").slice(0, 3);
      const closed = deals.find((deal) => deal.status !== "open");
      const at = (daysBack: number) => new Date(now.getTime() - daysBack * DAY).toISOString();
      let last = 0;
      for (const [index, deal] of open.entries()) {
        const stream = `deal-${deal.id}`;
        const written = await store.append(stream, [
          {
            type: "DealAmountChanged",
            occurredAt: at(90 + index),
            data: { dealId: deal.id, amount: 1_000 + index, currency: "EUR" },
          },
          { type: "DealCloseDateChanged", occurredAt: at(1), data: { dealId: deal.id, expectedCloseDate: "2027-03-31" } },
          // Stage changes back-dated among the deal's stays, in one batch, the later one further back: stored stays end
          // from the first one each changes, those both change at the first.
          { type: "DealStageChanged", occurredAt: at(30), data: { dealId: deal.id, from: deal.stage, to: "negotiation" } },
          {
            type: "DealStageChanged",
            occurredAt: at(60 + index),
            data: { dealId: deal.id, from: deal.stage, to: "business_case" },
          },
        ]);
        last = written.positions.at(-1) as number;
      }
      // An interaction logged again (other contacts, another deal, back-dated) and a back-dated first logging: the
      // engagement points of every deal either names are derived again, live as in the rebuild.
      const logged = Object.values(model.state.interactions).find((interaction) => interaction.dealId !== undefined);
      const first = deals[0];
      const second = deals.find((deal) => deal.id !== first?.id && deal.id !== logged?.dealId);
      if (logged && first && second) {
        const { interactionId, accountId, repId, kind, direction, held, contactIds } = logged;
        const data = { interactionId, accountId, repId, kind, direction, held };
        const written = await store.append(`deal-${second.id}`, [
          {
            type: "InteractionLogged",
            occurredAt: at(200),
            data: { ...data, dealId: second.id, contactIds: [...contactIds.slice(1), "contact-relogged"] },
          },
          {
            type: "InteractionLogged",
            occurredAt: at(300),
            data: { ...data, interactionId: "interaction-back-dated", dealId: first.id, contactIds },
          },
        ]);
        last = written.positions.at(-1) as number;
      }
      if (closed) {
        const written = await store.append(`deal-${closed.id}`, [
          { type: "DealReopened", occurredAt: at(0), data: { dealId: closed.id, stage: "discovery" } },
        ]);
        last = written.positions.at(-1) as number;
      }
      await model.waitFor(last);
      await model.close();

      const rebuilt = join(dir, "rebuilt.duckdb");
      await (await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath: rebuilt })).close();
      // The KPIs over both: the same doubles to the last bit (tables in another physical order add rows in another order).
      const answers = async (factsPath: string) => {
        const reopened = await RevenueReadModel.open({ store, config: defaultConfig, follow: false, factsPath });
        try {
          const kpis = kpiDefinitions.filter((definition) => definition.status === "active").map((definition) => definition.id);
          const results = [];
          for (const groupBy of [undefined, "team", "segment"] as const)
            for (const period of ["2026-Q3", "2026-H1", "trailing-90d"])
              results.push(...(await reopened.computeKpis({ kpis, period, ...(groupBy ? { groupBy } : {}) }, now)));
          return results.map((result) => [result.definition.id, result.group, result.value, result.nullReason]);
        } finally {
          await reopened.close();
        }
      };
      const liveAnswers = await answers(live);
      expect(liveAnswers.filter(([, , value]) => typeof value === "number" && !Number.isInteger(value)).length).toBeGreaterThan(
        20,
      );
      expect(await answers(rebuilt)).toStrictEqual(liveAnswers);
      await store.close();
      const contents = await factContents(live);
      expect(contents.deal_current).toBe(contents.open_versions);
      expect(JSON.parse(contents.deal_current as string)).toHaveLength(deals.length);
      expect(contents).toEqual(await factContents(rebuilt));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
