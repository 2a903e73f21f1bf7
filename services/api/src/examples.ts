function quarterOf(date: Date): { label: string; start: Date } {
  const quarter = Math.floor(date.getUTCMonth() / 3);
  return {
    label: `${date.getUTCFullYear()}-Q${quarter + 1}`,
    start: new Date(Date.UTC(date.getUTCFullYear(), quarter * 3, 1)),
  };
}

/**
 * Example operations shown in GraphiQL on first load, for the quarter of `now` and the one before it (whose figures
 * known at its end and today differ where events were entered late). `tokenPrefilled`: the headers already carry a
 * demo token.
 */
export function exampleQueries(now: Date, tokenPrefilled: boolean): string {
  const { label: current, start } = quarterOf(now);
  const previous = quarterOf(new Date(start.getTime() - 86_400_000)).label;
  const previousEnd = start.toISOString();
  const today = now.toISOString().slice(0, 10);
  const hint = tokenPrefilled
    ? "the headers below carry the demo exec token; /demo/tokens has one for every role"
    : "paste a token into the headers below as Authorization: Bearer <token> (the start command prints demo tokens)";
  return `# revgraph: ${hint}.

query Scorecard {
  scorecard(period: "${current}", groupBy: TEAM, kpis: ["won_revenue", "win_rate", "pipeline_coverage", "average_deal_size", "sales_cycle_length"]) {
    groupKey kpiId title value unit nullReason band { id label }
  }
}

query ExplainWinRate {
  kpi(id: "win_rate", period: "${previous}") {
    value
    derivation {
      formula
      inputs { name role value }
      events(first: 5) { edges { node { eventId type occurredAt streamId data } } pageInfo { hasNextPage endCursor } }
    }
  }
}

query Restated {
  restatements(kpi: "win_rate", period: "${previous}", knownAtA: "${previousEnd}", knownAtB: "${today}") {
    before { value } after { value } changed addedEventIds
  }
}

query BiggestOpenDeals {
  deals(first: 10, filter: { status: [open] }, orderBy: { field: AMOUNT, direction: DESC }) {
    edges { node { id dealId name amount stage expectedCloseDate pushes owner { name } account { name } risks { kind detail } } }
  }
}

query Funnel {
  funnel(period: "${previous}") { steps { from to entered converted rate } timeInStage { stage medianDays p90Days } }
}
`;
}
