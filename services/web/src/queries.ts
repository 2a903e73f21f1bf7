import { graphql } from "./graphql.ts";

/** Who the token belongs to, the teams it may pick from, and the names the page shows for rep and stage ids. */
export const ViewerQuery = graphql(`
  query Viewer {
    viewer { role subject repId teamId }
    teams { teamId name region }
    reps { repId name }
    stages { id title }
  }
`);

/** The fields every KPI value on the page shows. */
export const KpiValueFields = graphql(`
  fragment KpiValueFields on KpiValue {
    kpiId
    title
    unit
    value
    nullReason
    period
    version
    band { id label }
    definition { id version direction description bands { id label min max } }
  }
`);

/** Every active KPI for one period and an optional team filter. */
export const ScorecardQuery = graphql(
  `
  query Scorecard($period: String!, $filter: KpiFilter) {
    scorecard(period: $period, filter: $filter) { ...KpiValueFields }
  }
`,
  [KpiValueFields],
);

/** One KPI's value with its derivation: formula, inputs and a page of the contributing events. */
export const DerivationQuery = graphql(
  `
  query Derivation($kpi: String!, $period: String!, $filter: KpiFilter, $knownAt: DateTime, $after: String) {
    kpi(id: $kpi, period: $period, filter: $filter, knownAt: $knownAt) {
      ...KpiValueFields
      knownAt
      derivation {
        formula
        eventCount
        warnings
        inputs { name role description value eventCount }
        events(first: 25, after: $after) {
          pageInfo { hasNextPage endCursor }
          edges { node { eventId type streamId occurredAt recordedAt globalPosition } }
        }
      }
    }
  }
`,
  [KpiValueFields],
);

/** The same KPI as known at two record times, and the events that make the difference. */
export const RestatementQuery = graphql(`
  query Restatement($kpi: String!, $period: String!, $filter: KpiFilter, $knownAtA: DateTime!, $knownAtB: DateTime!) {
    restatements(kpi: $kpi, period: $period, filter: $filter, knownAtA: $knownAtA, knownAtB: $knownAtB) {
      changed
      addedEventIds
      removedEventIds
      before { value }
      after { value }
    }
  }
`);

/** Stage-to-stage conversion and time in stage. */
export const FunnelQuery = graphql(`
  query Funnel($period: String!, $filter: KpiFilter) {
    funnel(period: $period, filter: $filter) {
      steps { from to entered converted rate }
      timeInStage { stage completed medianDays meanDays p90Days openStays }
    }
  }
`);

/** Quota attainment per rep against ramp-adjusted quota. */
export const AttainmentQuery = graphql(`
  query Attainment($period: String!, $filter: KpiFilter) {
    attainmentDistribution(period: $period, filter: $filter) {
      p10 p25 p50 p75 p90 shareAtOrAbove100
      reps { repId attainment won rampAdjustedQuota payoutMultiplier }
    }
  }
`);

/** Deals at risk the caller may see. */
export const RisksQuery = graphql(`
  query Risks {
    dealRisks {
      kind
      dealId
      detail
      evidenceEventId
      deal { name amount currency stage owner { repId name team { teamId name } } }
    }
  }
`);

/** One deal and its timeline: stage stays and every event of its stream. */
export const DealTimelineQuery = graphql(`
  query DealTimeline($dealId: String!) {
    deal(dealId: $dealId) {
      dealId name stage status amount currency expectedCloseDate pushes engagedContactCount
      owner { name team { name } }
      account { name }
      stageHistory { stage enteredAt leftAt days }
      events(first: 200) {
        edges { node { eventId type occurredAt recordedAt streamRevision data } }
      }
    }
  }
`);

/** Every active KPI's value over four consecutive periods, oldest first, for the trend lines. */
export const ScorecardTrendQuery = graphql(`
  query ScorecardTrend($p1: String!, $p2: String!, $p3: String!, $p4: String!, $filter: KpiFilter) {
    p1: scorecard(period: $p1, filter: $filter) { kpiId value }
    p2: scorecard(period: $p2, filter: $filter) { kpiId value }
    p3: scorecard(period: $p3, filter: $filter) { kpiId value }
    p4: scorecard(period: $p4, filter: $filter) { kpiId value }
  }
`);

/** One page of the deals the caller may see, filtered by status and team owner, largest first. */
export const DealsQuery = graphql(`
  query Deals($status: [DealStatus!], $after: String) {
    deals(first: 25, after: $after, filter: { status: $status }, orderBy: { field: AMOUNT, direction: DESC }) {
      pageInfo { hasNextPage endCursor }
      edges {
        node { dealId name stage status amount currency expectedCloseDate pushes engagedContactCount owner { repId name team { teamId name } } account { name } }
      }
    }
  }
`);
