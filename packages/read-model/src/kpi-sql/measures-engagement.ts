import { DAY_MS, END_OF_TIME } from "@revgraph/domain";
import type { Dimension, MeasureResult } from "@revgraph/kpis";
import { factKey, interactionValues, stageProbabilitySql } from "../facts/engagement.ts";
import type { SqlMeasure } from "./measures.ts";
import { storedStaysInSlice } from "./measures-stages.ts";
import { filterPredicate, inList, latestFirst, repDimension, type SqlScope, sqlString, total } from "./predicates.ts";

/**
 * The relations the engagement measures read, each with `group_key`: interactions in the period within the scope,
 * the accounts they reached, the addressable accounts in scope, leads that arrived in the period, and held meetings
 * with the deal they led to.
 */
export type EngagementSource =
  | "eng_interactions"
  | "eng_reached"
  | "eng_addressable"
  | "eng_leads"
  | "eng_meetings"
  | "eng_threads"
  | "eng_interaction_values";

/** An account's value for the dimensions that apply to accounts; NULL where the engine's is undefined (every group). */
const accountDimension: Partial<Record<Dimension, string>> = {
  account: "account_id",
  region: "coalesce(region, 'unknown')",
  segment: "coalesce(segment, 'unknown')",
  rep: "owner_rep_id",
  team: "owner_team_id",
};

/** Dimensions that select reps, and those that select accounts, for interactions and leads (as the engine picks them). */
const repDimensions: readonly Dimension[] = ["rep", "team", "manager"];
const accountDimensions: readonly Dimension[] = ["account", "region", "segment"];

/** The dimensions a group's scope filters by: the query's filter plus the grouped dimension. */
function filtered(scope: SqlScope, dimensions: readonly Dimension[]): boolean {
  return dimensions.some((dimension) => scope.filter[dimension] !== undefined || scope.groupBy === dimension);
}

/** True when interactions and leads are taken by the scope's reps (the query filters or groups by rep, team or manager). */
const byReps = (scope: SqlScope) => filtered(scope, repDimensions);

/** The filter over accounts: a dimension whose value is undefined for an account (no owner) accepts it. */
function accountFilter(scope: SqlScope): string {
  const terms = (Object.entries(scope.filter) as [Dimension, readonly string[]][]).flatMap(([dimension, accepted]) => {
    const expression = accountDimension[dimension];
    return expression ? [`(${expression} IS NULL OR ${inList(expression, accepted)})`] : [];
  });
  return terms.length ? terms.join(" AND ") : "TRUE";
}

/** A fact of table alias `alias` visible in the "current" slice. */
const visibleNow = (scope: SqlScope, alias: string) =>
  `${alias}.valid_from <= ${sqlString(scope.current.asOf)} AND ${alias}.known_from <= ${scope.current.maxPosition}`;

const inPeriod = (scope: SqlScope, column: string) =>
  `${column} >= ${sqlString(scope.period.fromInstant)} AND ${column} < ${sqlString(scope.period.toInstant)}`;

/**
 * The engagement relations, after the scope's CTEs. The groups' reps (`eng_reps`) and accounts (`eng_accounts`) are
 * partitioned as the engine does: by the grouped dimension where it applies to them, else in every group.
 */
export function engagementSourcesSql(scope: SqlScope): string {
  const { current, groupBy, config } = scope;
  const groups = groupBy ? "SELECT group_key FROM group_keys" : "SELECT '' AS group_key";
  const repKey = (groupBy && repDimension[groupBy]) ?? "NULL";
  const accountKey = (groupBy && accountDimension[groupBy]) ?? "NULL";
  const accountFiltered = filtered(scope, accountDimensions);
  const inGroupAccounts = (alias: string) =>
    `EXISTS (SELECT 1 FROM eng_accounts s WHERE s.group_key = ${alias}.group_key AND s.account_id = ${alias}.account_id)`;
  const interactionsInScope = byReps(scope)
    ? `SELECT r.group_key, i.* FROM eng_interactions_in_period i JOIN eng_reps r ON r.rep_id = i.rep_id`
    : `SELECT s.group_key, i.* FROM eng_interactions_in_period i JOIN eng_accounts s ON s.account_id = i.account_id`;
  const leadsInScope = byReps(scope)
    ? `SELECT r.group_key, l.* FROM eng_leads_in_period l JOIN eng_reps r ON r.rep_id = l.toucher_rep_id`
    : `SELECT g.group_key, l.* FROM eng_leads_in_period l CROSS JOIN eng_groups g`;
  const accountCheck = (alias: string) => (byReps(scope) && accountFiltered ? `WHERE ${inGroupAccounts(alias)}` : "");
  const firstTouchOrder = byReps(scope) ? "[rep_id, lpad(CAST(first_known_from AS VARCHAR), 14, '0')]" : "first_known_from";
  const windowMs = config.meetingToOpportunityDays * DAY_MS;
  // `eng_addressable` is one row per group: the count and sorted ids of its addressable accounts, those keyed to it plus
  // those in every group, added once per group instead of expanding each account to every group first (all 40k
  // accounts of the 100k-deal facts have no owner, so 5M rows, counted again per group). The 25-KPI team scorecard,
  // values only, 2 busy cores: that relation and its aggregate 0.09–0.16 s → 0.05–0.08 s cpu, 73–139 ms → 41–54 ms.
  return `
eng_groups AS (${groups}),
eng_reps AS (
  SELECT g.group_key, r.rep_id FROM (SELECT *, ${repKey} AS key FROM rep_dims WHERE ${filterPredicate(scope.filter, repDimension)}) r
  JOIN eng_groups g ON r.key IS NULL OR r.key = g.group_key),
eng_account_latest AS (
  SELECT a.account_id, a.region, a.segment, a.addressable, a.event_id, a.registered_at, a.registered_position,
         o.owner_rep_id, CASE WHEN o.owner_rep_id IS NOT NULL THEN t.team_id END AS owner_team_id
  FROM (SELECT account_id, arg_max_null(region, known_from) AS region, arg_max_null(segment, known_from) AS segment,
               arg_max(addressable, known_from) AS addressable, arg_max(event_id, known_from) AS event_id,
               arg_max(valid_from, known_from) AS registered_at, max(known_from) AS registered_position
        FROM accounts GROUP BY account_id) a
  LEFT JOIN (SELECT account_id, arg_max(owner_rep_id, ${latestFirst}) AS owner_rep_id FROM account_owners GROUP BY account_id) o
    ON o.account_id = a.account_id
  LEFT JOIN team_of t ON t.rep_id = o.owner_rep_id),
eng_accounts_in_scope AS (
  SELECT *, ${accountKey} AS key FROM eng_account_latest
  WHERE registered_position <= ${current.maxPosition} AND registered_at <= ${sqlString(current.asOf)} AND ${accountFilter(scope)}),
eng_accounts AS (
  SELECT g.group_key, a.account_id, a.addressable, a.event_id
  FROM eng_accounts_in_scope a JOIN eng_groups g ON a.key IS NULL OR a.key = g.group_key),
eng_interactions_in_period AS (
  SELECT i.*, coalesce(r.first_known_from, i.known_from) AS first_known_from
  FROM interactions i LEFT JOIN relogged_interactions r ON r.interaction_id = i.interaction_id
  WHERE (r.interaction_id IS NULL OR i.known_from = r.latest_known_from)
    AND ${visibleNow(scope, "i")} AND ${inPeriod(scope, "i.valid_from")}),
eng_interactions AS MATERIALIZED (SELECT * FROM (${interactionsInScope}) x ${accountCheck("x")}),
eng_reached AS (
  SELECT group_key, account_id, count(*) AS n, list(event_id ORDER BY event_id) AS ids, arg_min(event_id, ${firstTouchOrder}) AS first_id
  FROM eng_interactions GROUP BY group_key, account_id),
eng_addressable AS (
  SELECT g.group_key, coalesce(k.n, 0) + every.n AS n, list_sort(list_concat(coalesce(k.ids, []), coalesce(every.ids, []))) AS ids
  FROM eng_groups g
  LEFT JOIN (SELECT key, count(*) AS n, list(event_id ORDER BY event_id) AS ids FROM eng_accounts_in_scope
             WHERE addressable = 1 AND key IS NOT NULL GROUP BY key) k ON k.key = g.group_key
  CROSS JOIN (SELECT count(*) AS n, list(event_id ORDER BY event_id) AS ids FROM eng_accounts_in_scope WHERE addressable = 1 AND key IS NULL) every),
eng_meeting_deals AS (
  SELECT m.group_key, m.interaction_id, arg_min(d.created_event_id, d.deal_id) AS deal_event_id
  FROM eng_interactions m JOIN scoped d ON d.group_key = m.group_key AND d.account_id = m.account_id
  WHERE m.kind = 'meeting' AND m.held = 1 AND d.created_ms >= m.at_ms AND d.created_ms <= m.at_ms + ${windowMs}
  GROUP BY m.group_key, m.interaction_id),
eng_meetings AS (
  SELECT m.group_key, m.event_id, c.deal_event_id FROM eng_interactions m
  LEFT JOIN eng_meeting_deals c ON c.group_key = m.group_key AND c.interaction_id = m.interaction_id
  WHERE m.kind = 'meeting' AND m.held = 1),
eng_touches AS (
  SELECT lead_id, rep_id, event_id, at_ms, ${latestFirst} AS touch_order FROM lead_touches t WHERE ${visibleNow(scope, "t")}),
eng_leads_in_period AS (
  SELECT l.lead_id, l.account_id, l.event_id, l.at_ms, arg_min(t.rep_id, t.touch_order) AS toucher_rep_id,
         arg_min(t.event_id, t.touch_order) AS touch_event_id, arg_min(t.at_ms, t.touch_order) AS touch_ms
  FROM (SELECT * FROM leads QUALIFY row_number() OVER (PARTITION BY lead_id ORDER BY known_from DESC) = 1) l
  LEFT JOIN eng_touches t ON t.lead_id = l.lead_id
  WHERE ${visibleNow(scope, "l")} AND ${inPeriod(scope, "l.valid_from")}
  GROUP BY l.lead_id, l.account_id, l.event_id, l.at_ms),
eng_leads AS (
  SELECT * FROM (${leadsInScope}) x
  ${accountFiltered ? `WHERE x.account_id IS NULL OR ${inGroupAccounts("x")}` : ""}),${threadsSql(scope)},${interactionValuesSql(scope)}`;
}

const validMs = "epoch_ms(CAST(valid_from AS TIMESTAMP))";

/**
 * `eng_interaction_values`: for each interaction logged on a deal in scope and visible now, in the period, its value —
 * the deal's amount at its time × (win probability just before the next visible interaction on the deal, or at the
 * evaluation time − win probability at its time). The probability at t is the one of the deal's version valid at t as
 * known now (the explicit probability set visibly since the deal entered the stage it was in, else the stage's: each
 * probability fact starts a version), else the creation stage's; the amount at t is the latest of the deal's visible
 * amounts up to t, else its creation's. At the head of the log with no asOf the values are read from the stored ones
 * instead ({@link storedInteractionValuesSql}).
 */
function interactionValuesSql(scope: SqlScope): string {
  const { current, config } = scope;
  if (current.asOf === END_OF_TIME && scope.currentIsLatest) return storedInteractionValuesSql(scope);
  const known = current.maxPosition;
  const inEntries = "deal_id IN (SELECT deal_id FROM eng_deal_entries)";
  return `
eng_period_entries AS (
  SELECT deal_id, event_id, valid_from, known_from, at_ms FROM interactions i
  WHERE deal_id IS NOT NULL AND ${visibleNow(scope, "i")} AND ${inPeriod(scope, "valid_from")}),
eng_entries_after AS (
  SELECT deal_id, arg_min(at_ms, valid_from) AS first_after_ms FROM interactions i
  WHERE ${visibleNow(scope, "i")} AND valid_from >= ${sqlString(scope.period.toInstant)}
    AND deal_id IN (SELECT deal_id FROM eng_period_entries)
  GROUP BY deal_id),
eng_deal_entries AS MATERIALIZED (
  SELECT s.group_key, e.deal_id, e.event_id, e.at_ms AS entry_ms,
         coalesce(lead(e.at_ms) OVER (PARTITION BY e.deal_id ORDER BY e.at_ms, e.known_from),
                  a.first_after_ms) AS next_ms
  FROM eng_period_entries e JOIN scoped s ON s.deal_id = e.deal_id LEFT JOIN eng_entries_after a ON a.deal_id = e.deal_id),
eng_value_probes AS (
  SELECT group_key, deal_id, event_id, 'before' AS side, CAST(entry_ms AS BIGINT) AS t_ms FROM eng_deal_entries
  UNION ALL
  SELECT group_key, deal_id, event_id, 'after', CAST(coalesce(next_ms - 1, ${Date.parse(scope.evaluatedAt)}) AS BIGINT)
  FROM eng_deal_entries),
eng_versions_known AS (
  SELECT v.deal_id, v.valid_from_ms, v.probability FROM deal_versions v
  WHERE v.known_from <= ${known} AND (v.known_to IS NULL OR v.known_to > ${known})
    AND ${inEntries}),
eng_created AS (
  SELECT deal_id, arg_max(amount, known_from) AS amount, arg_max(stage, known_from) AS stage
  FROM deal_amount_facts WHERE created = 1 AND ${inEntries} GROUP BY deal_id),
eng_probe_values AS MATERIALIZED (
  SELECT p.group_key, p.deal_id, p.event_id, p.side, ${factKey("p.t_ms", "4294967295")} AS t_key,
         c.amount AS created_amount, coalesce(v.probability, ${stageProbabilitySql(config, "c.stage")}) AS probability
  FROM eng_value_probes p JOIN eng_created c ON c.deal_id = p.deal_id
  ASOF LEFT JOIN eng_versions_known v ON v.deal_id = p.deal_id AND p.t_ms >= v.valid_from_ms),
eng_interaction_values AS (
  SELECT b.group_key, b.event_id, coalesce(a.amount, b.created_amount) * (f.probability - b.probability) AS value
  FROM (SELECT * FROM eng_probe_values WHERE side = 'before') b
  JOIN eng_probe_values f ON f.side = 'after' AND f.group_key = b.group_key AND f.event_id = b.event_id
  ASOF LEFT JOIN (SELECT deal_id, amount, ${factKey(validMs, "known_from")} AS key FROM deal_amount_facts
                  WHERE created = 0 AND ${visibleNow(scope, "deal_amount_facts")} AND ${inEntries}) a
    ON a.deal_id = b.deal_id AND b.t_key >= a.key)`;
}

/**
 * `eng_interaction_values` at the head of the log with no asOf (every fact visible, the versions known the latest
 * ones): the stored {@link interactionValues} of the deals in scope, in the period, those of each deal's last
 * interaction finished with its probability at the evaluation time (its version begun latest by then, else its
 * creation stage's) — the same values as {@link interactionValuesSql} reads from the facts, without an ASOF join over
 * the versions for every interaction.
 */
function storedInteractionValuesSql(scope: SqlScope): string {
  const lastDeals = "deal_id IN (SELECT deal_id FROM eng_stored_values WHERE value IS NULL)";
  return `
eng_stored_values AS MATERIALIZED (
  SELECT s.group_key, v.* FROM ${interactionValues.table} v JOIN scoped s ON s.deal_id = v.deal_id
  WHERE ${inPeriod(scope, "v.valid_from")}),
eng_last_after AS (
  SELECT c.deal_id, coalesce(v.probability, ${stageProbabilitySql(scope.config, "c.stage")}) AS probability
  FROM (SELECT deal_id, arg_max(stage, known_from) AS stage FROM deal_amount_facts
        WHERE created = 1 AND ${lastDeals} GROUP BY deal_id) c
  LEFT JOIN (SELECT deal_id, arg_max_null(probability, valid_from_ms) AS probability FROM deal_versions
             WHERE known_to IS NULL AND valid_from_ms <= ${Date.parse(scope.evaluatedAt)} AND ${lastDeals} GROUP BY deal_id) v
    ON v.deal_id = c.deal_id),
eng_interaction_values AS (
  SELECT s.group_key, s.event_id, coalesce(s.value, s.amount * (a.probability - s.probability_before)) AS value
  FROM eng_stored_values s LEFT JOIN eng_last_after a ON a.deal_id = s.deal_id)`;
}

/**
 * The contacts engaged on each deal (`deal_id`, `contact_id`, repeated where several points engage one) at one business
 * time `asOf` (an SQL expression the same for every deal) as known at position `known`: the stored engagement points
 * and never-removed roles at or before it, and the once-removed roles whose latest change at or before it assigned them.
 * Reads `eng_engaged_from` and `eng_removed_role_facts`.
 */
const engagedAt = (asOf: string, known: number) => `
  SELECT deal_id, contact_id FROM eng_engaged_from WHERE valid_from <= ${asOf} AND known_from <= ${known}
  UNION ALL
  SELECT deal_id, contact_id FROM eng_removed_role_facts WHERE valid_from <= ${asOf} AND known_from <= ${known}
  GROUP BY deal_id, contact_id, role HAVING arg_max(assigned, ${latestFirst}) = 1`;

/**
 * Contacts engaged on deals (holding a buying role, or in an interaction logged on the deal, with the contacts of that
 * interaction's latest logging: the stored points of `interaction_engagements`), as the graph's deal snapshots count
 * them at each row's asOf, for three kinds of rows of `eng_threads`. A role never removed from its contact on its deal
 * (at the head: most) engages the contact from its first visible assignment on, like an interaction; only the roles
 * once removed are replayed to their latest visible change. The kinds of rows:
 * `end` — each deal open at the end of the period (engaged then; `ids` the deal's role events); `account` — each
 * account with deals in scope (its deals' contacts engaged as things stand, together); `single` — each open deal in
 * scope that left the configured single-thread stage with too few stakeholders engaged when it left (its first stay
 * there, from the stored stays as the stage measures read them, when it ended by asOf; `eng_single_probes` holds each
 * such deal with the time and event it left at, also for the deal risks; a deal left a stay before its creation's
 * business time by facts back-dated before it: it did not exist then, and had no stakeholders, as the graph's snapshot
 * then is none). The `end` and `account` rows
 * each read the contacts engaged at one time for every deal ({@link engagedAt}: filtered before the join to the deals,
 * not once per deal); only the few `single` rows join at each deal's own time.
 */
export function threadsSql(scope: SqlScope): string {
  const { current, atPeriodEnd, config } = scope;
  const known = current.maxPosition;
  const single = config.singleThread;
  const { staysKnown, leftBy } = storedStaysInSlice(scope);
  return `
eng_single_deals AS (SELECT deal_id FROM scoped WHERE status = 'open' AND amount > ${single.minAmount}),
eng_left AS (
  SELECT deal_id, left_at, left_event_id FROM (
    SELECT t.deal_id, ${leftBy("left_at")}, ${leftBy("left_event_id")} FROM deal_stays t SEMI JOIN eng_single_deals s ON s.deal_id = t.deal_id
    WHERE ${staysKnown} AND t.first_in_stage = 1 AND t.stage = ${sqlString(single.stage)})
  WHERE left_at IS NOT NULL),
eng_single_probes AS (
  SELECT s.group_key, s.deal_id, s.created_at, l.left_at, l.left_event_id FROM scoped s JOIN eng_left l ON l.deal_id = s.deal_id
  WHERE s.status = 'open' AND s.amount > ${single.minAmount}),
eng_removed_roles AS (SELECT DISTINCT deal_id, contact_id, role FROM contact_roles WHERE assigned = 0),
eng_engaged_from AS (
  SELECT deal_id, contact_id, valid_from, known_from FROM interaction_engagements
  UNION ALL
  SELECT r.deal_id, r.contact_id, r.valid_from, r.known_from FROM contact_roles r
  ANTI JOIN eng_removed_roles x ON x.deal_id = r.deal_id AND x.contact_id = r.contact_id AND x.role = r.role),
eng_removed_role_facts AS (
  SELECT r.* FROM contact_roles r
  SEMI JOIN eng_removed_roles x ON x.deal_id = r.deal_id AND x.contact_id = r.contact_id AND x.role = r.role),
eng_engaged_end AS (${engagedAt(sqlString(atPeriodEnd.asOf), known)}),
eng_engaged_now AS (${engagedAt(sqlString(current.asOf), known)}),
eng_engaged_single AS (
  SELECT p.deal_id, e.contact_id FROM eng_single_probes p
  JOIN eng_engaged_from e ON e.deal_id = p.deal_id AND e.valid_from <= p.left_at AND e.known_from <= ${known}
  WHERE p.created_at <= p.left_at
  UNION ALL
  SELECT p.deal_id, r.contact_id FROM eng_single_probes p
  JOIN eng_removed_role_facts r ON r.deal_id = p.deal_id AND r.valid_from <= p.left_at AND r.known_from <= ${known}
  WHERE p.created_at <= p.left_at
  GROUP BY p.deal_id, r.contact_id, r.role HAVING arg_max(r.assigned, r.${latestFirst}) = 1),
eng_threads AS (
  SELECT p.group_key, 'end' AS kind, count(DISTINCT e.contact_id) AS n,
         (SELECT list(r.event_id ORDER BY r.event_id) FROM contact_roles r WHERE r.deal_id = p.deal_id) AS ids,
         p.deal_id
  FROM (SELECT group_key, deal_id FROM at_end WHERE status = 'open') p
  LEFT JOIN eng_engaged_end e ON e.deal_id = p.deal_id
  GROUP BY p.group_key, p.deal_id
  UNION ALL
  SELECT p.group_key, 'single', count(DISTINCT e.contact_id), NULL, p.deal_id
  FROM eng_single_probes p LEFT JOIN eng_engaged_single e ON e.deal_id = p.deal_id
  GROUP BY p.group_key, p.deal_id
  UNION ALL
  SELECT s.group_key, 'account', count(DISTINCT e.contact_id), NULL, NULL
  FROM scoped s LEFT JOIN eng_engaged_now e ON e.deal_id = s.deal_id
  GROUP BY s.group_key, s.account_id)`;
}

const ids = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);
const count = (value: unknown) => Number(value ?? 0);
const numberOr = (value: unknown, fallback: number | null): number | null =>
  value === null || value === undefined ? fallback : Number(value);

/** Interactions in the period matching `where` (outbound interactions, held meetings). */
function interactionCount(where: string): SqlMeasure {
  return {
    source: "eng_interactions",
    aggregates: () => ({
      n: `count(*) FILTER (WHERE ${where})`,
      ids: `list(event_id ORDER BY event_id) FILTER (WHERE ${where})`,
    }),
    result: (row) => ({ value: count(row("n")), eventIds: ids(row("ids")) }),
  };
}

/** Interactions an account needs in the period to count as engaged: one per cadence, at least one. */
function interactionsNeeded(scope: SqlScope): number {
  const periodDays = (Date.parse(scope.period.toInstant) - Date.parse(scope.period.fromInstant)) / DAY_MS;
  return Math.max(1, Math.ceil(periodDays / scope.config.engagementCadenceDays));
}

const touched = "touch_event_id IS NOT NULL";
const responseHours = "(touch_ms - at_ms) / 3600000.0";

/** The engagement measures: interactions, accounts reached and engaged, leads, meetings and outreach, multithreading. */
export const engagementMeasures: Readonly<Record<string, SqlMeasure>> = {
  engaged_contacts_mean: {
    source: "eng_threads",
    aggregates: (scope) => {
      const open = "FILTER (WHERE kind = 'end')";
      return {
        total: `sum(n) ${open}`,
        deals: `count(*) ${open}`,
        median: `quantile_cont(n, 0.5) ${open}`,
        accounts_total: "sum(n) FILTER (WHERE kind = 'account')",
        accounts: "count(*) FILTER (WHERE kind = 'account')",
        single: `count(*) FILTER (WHERE kind = 'single' AND n < ${scope.config.singleThread.minStakeholders})`,
        ids: `flatten(list(ids ORDER BY deal_id) ${open})`,
      };
    },
    result: (row) => {
      const deals = count(row("deals"));
      const accounts = count(row("accounts"));
      return {
        value: deals ? count(row("total")) / deals : null,
        ...(deals ? {} : { nullReason: "no open deals" }),
        eventIds: ids(row("ids")),
        detail: {
          deals,
          median: numberOr(row("median"), null),
          perAccountMean: accounts ? count(row("accounts_total")) / accounts : null,
          singleThreaded: count(row("single")),
        },
      };
    },
  },
  interaction_value_mean: {
    source: "eng_interaction_values",
    aggregates: () => ({ total: total("value"), n: "count(*)", ids: "list(event_id ORDER BY event_id)" }),
    result: (row) => {
      const interactions = count(row("n"));
      return {
        value: interactions ? Number(row("total")) / interactions : null,
        ...(interactions ? {} : { nullReason: "no interactions on deals in period" }),
        eventIds: ids(row("ids")),
        detail: { interactions },
      };
    },
  },
  outreach_count: interactionCount("direction = 'outbound'"),
  meetings_held: interactionCount("kind = 'meeting' AND held = 1"),
  meetings_converted: {
    source: "eng_meetings",
    aggregates: () => ({
      n: "count(*) FILTER (WHERE deal_event_id IS NOT NULL)",
      ids: "flatten(list([event_id, deal_event_id] ORDER BY event_id) FILTER (WHERE deal_event_id IS NOT NULL))",
    }),
    result: (row) => ({ value: count(row("n")), eventIds: ids(row("ids")) }),
  },
  reached_accounts: {
    source: "eng_reached",
    aggregates: () => ({ n: "count(*)", ids: "list(first_id ORDER BY first_id)" }),
    result: (row) => ({ value: count(row("n")), eventIds: ids(row("ids")) }),
  },
  engaged_accounts: {
    source: "eng_reached",
    aggregates: (scope) => ({
      n: `count(*) FILTER (WHERE n >= ${interactionsNeeded(scope)})`,
      ids: `flatten(list(ids ORDER BY account_id) FILTER (WHERE n >= ${interactionsNeeded(scope)}))`,
    }),
    result: (row, scope) => ({
      value: count(row("n")),
      eventIds: ids(row("ids")),
      detail: { interactionsNeeded: interactionsNeeded(scope) },
    }),
  },
  addressable_accounts: {
    source: "eng_addressable",
    // One row per group (see `eng_addressable`).
    aggregates: () => ({ n: "any_value(n)", ids: "any_value(ids)" }),
    result: (row) => ({ value: count(row("n")), eventIds: ids(row("ids")) }),
  },
  lead_response_hours_median: {
    source: "eng_leads",
    aggregates: () => ({
      median: `quantile_cont(${responseHours}, 0.5) FILTER (WHERE ${touched})`,
      p90: `quantile_cont(${responseHours}, 0.9) FILTER (WHERE ${touched})`,
      n: `count(*) FILTER (WHERE ${touched})`,
      under_one_hour: `count(*) FILTER (WHERE ${touched} AND ${responseHours} < 1)`,
      untouched: `count(*) FILTER (WHERE NOT (${touched}))`,
      ids: `flatten(list([event_id, touch_event_id] ORDER BY event_id) FILTER (WHERE ${touched}))`,
    }),
    result: (row): MeasureResult => {
      const leads = count(row("n"));
      return {
        value: numberOr(row("median"), null),
        ...(leads ? {} : { nullReason: "no touched leads arrived in period" }),
        eventIds: ids(row("ids")),
        detail: {
          p90: numberOr(row("p90"), null),
          shareUnderOneHour: leads ? count(row("under_one_hour")) / leads : null,
          untouched: count(row("untouched")),
        },
      };
    },
  },
};
