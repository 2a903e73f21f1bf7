/** Example operations shown in GraphiQL on first load. */
export const exampleQueries = `# revgraph: paste a demo token into the headers below (the start command prints them).

query Scorecard {
  scorecard(period: "2026-Q3", groupBy: TEAM, kpis: ["win_rate", "pipeline_coverage", "average_deal_size", "sales_cycle_length"]) {
    groupKey kpiId title value unit nullReason band { id label }
  }
}

query ExplainWinRate {
  kpi(id: "win_rate", period: "2026-Q3") {
    value
    derivation {
      formula
      inputs { name role value }
      events(first: 5) { edges { node { eventId type occurredAt streamId data } } pageInfo { hasNextPage endCursor } }
    }
  }
}

query Restated {
  restatements(kpi: "win_rate", period: "2026-Q3", knownAtA: "2026-10-01T00:00:00Z", knownAtB: "2026-11-15T00:00:00Z") {
    before { value } after { value } changed addedEventIds
  }
}

query BiggestOpenDeals {
  deals(first: 10, filter: { status: [open] }, orderBy: { field: AMOUNT, direction: DESC }) {
    edges { node { id dealId name amount stage expectedCloseDate pushes owner { name } account { name } risks { kind detail } } }
  }
}

query Funnel {
  funnel(period: "2026-H1") { steps { from to entered converted rate } timeInStage { stage medianDays p90Days } }
}
`;
