import { defaultConfig, projectGraph } from "@revgraph/domain";
import { kpiDefinitions } from "@revgraph/kpis";
import { compiledForSql, computeKpisSql, FactStore } from "@revgraph/read-model";
import { afterAll, describe, expect, it } from "vitest";
import { handComputedKpis, type KpiRunner } from "../../packages/kpis/src/hand-computed.cases.ts";
import { handComputedMoreKpis } from "../../packages/kpis/src/hand-computed-more.cases.ts";

/** One in-memory database for every case, emptied before each computation. */
let shared: FactStore | undefined;

/**
 * The read model's SQL path: the log projected into the fact tables (the graph alongside, as the read model keeps it),
 * then one SQL query per question. It computes the KPIs whose definitions are compiled.
 */
const sqlRunner: KpiRunner = {
  compute: async (events, query, now) => {
    shared ??= await FactStore.open({ path: ":memory:", config: defaultConfig, threads: 1 });
    const facts = shared;
    await facts.reset();
    const state = projectGraph([]);
    for (const event of events) {
      projectGraph([event], state);
      facts.apply(state, event);
    }
    await facts.flush();
    return computeKpisSql(facts.reader, facts, defaultConfig, query, now);
  },
  computes: (query) => compiledForSql({ ...query, period: "" }),
};

afterAll(() => shared?.close());

describe("hand-computed KPIs on the SQL path", () => {
  it("run for the compiled KPIs (more as more definitions compile)", () => {
    expect(kpiDefinitions.some((definition) => compiledForSql({ kpis: [definition.id], period: "" }))).toBe(true);
  });
  handComputedKpis(sqlRunner);
  handComputedMoreKpis(sqlRunner);
});
