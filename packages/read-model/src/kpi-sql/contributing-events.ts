import type { DuckDBConnection } from "@duckdb/node-api";
import type { KpiResult } from "@revgraph/kpis";
import { compiledMeasure, type MeasureSource, measureSourcesSql, type SqlMeasure } from "./measures.ts";
import { type SqlScope, scopeCtes, sqlString } from "./predicates.ts";
import { readRows } from "./read-rows.ts";

/**
 * The events behind one KPI result, fetched when asked: the derivation's contributing event ids (deduplicated, in
 * derivation order, as `derivation.eventIds`) a slice at a time with their exact count, and each input's count (as
 * `derivation.inputs[index].eventCount`).
 */
export interface ContributingEvents {
  /** How many distinct events contributed to the result. */
  count(): Promise<number>;
  /** The ids at derivation indexes `start` (inclusive) to `end` (exclusive). */
  slice(start: number, end: number): Promise<readonly string[]>;
  /** How many events the input at `index` of `derivation.inputs` lists. */
  inputCount(index: number): Promise<number>;
}

/** A KPI result with its contributing events to count and page. */
export interface ServedKpiResult extends KpiResult {
  readonly contributing: ContributingEvents;
}

/** Aggregate parts that list event ids (`ids`, or `won_ids` / `lost_ids` in a sum of two measures). */
export const listsEventIds = (part: string) => part === "ids" || part.endsWith("_ids");

/** The contributing events of a result that lists them all (the in-memory engine's, or SQL's with event ids). */
export function listedEvents(result: KpiResult): ServedKpiResult {
  const { derivation } = result;
  return {
    ...result,
    contributing: {
      count: async () => derivation.eventIds.length,
      slice: async (start, end) => derivation.eventIds.slice(start, end),
      inputCount: async (index) => derivation.inputs[index]?.eventCount ?? 0,
    },
  };
}

/** One list of event ids of a measure: an aggregate over the measure's source, numbered in derivation order. */
interface IdPart {
  readonly part: number;
  readonly measure: number;
  readonly source: MeasureSource;
  readonly sql: string;
}

/** Positions within one id list stay below this; `part × stride + index` orders ids across lists. */
const stride = 4_294_967_296;

/**
 * The contributing events of every result of one SQL KPI question, fetched by the same predicates as the values
 * (the scope's CTEs and the measures' sources): nothing is listed until a caller asks. Counts of every group and
 * definition come from one query (a grouped scorecard asks for many); a slice comes from a query over one group that
 * sends only that slice's ids.
 *
 * Works for any {@link SqlMeasure} whose `result` lists its id parts (aggregates named `ids` or `*_ids`, each a list
 * in contribution order) one after the other in the order `aggregates` names them, keeping every id or each id once.
 */
export class SqlContributingEvents {
  readonly #connection: DuckDBConnection;
  readonly #scope: SqlScope;
  /** Every measure the question reads, once, in first-use order. */
  readonly #measures: readonly string[];
  /** Per definition, the measures of its derivation's inputs, in input order. */
  readonly #inputs: readonly (readonly string[])[];
  #counts: Promise<Map<string, Readonly<Record<string, unknown>>>> | undefined;

  constructor(connection: DuckDBConnection, scope: SqlScope, inputs: readonly (readonly string[])[]) {
    this.#connection = connection;
    this.#scope = scope;
    this.#inputs = inputs;
    this.#measures = [...new Set(inputs.flat())];
  }

  /** The contributing events of the result for definition `definition` (its index in the question) and `groupKey`. */
  of(definition: number, groupKey: string): ContributingEvents {
    const inputs = this.#inputs[definition] ?? [];
    const countOf = async (column: string) => Number((await this.#countsByGroup()).get(groupKey)?.[column] ?? 0);
    return {
      count: () => countOf(`d${definition}`),
      slice: (start, end) => this.#slice(inputs, groupKey, start, end),
      inputCount: (index) => {
        const name = inputs[index];
        if (name === undefined) return Promise.resolve(0);
        const measure = this.#measures.indexOf(name);
        return countOf(`${keepsEachIdOnce(sqlMeasure(name), this.#scope) ? "u" : "n"}${measure}`);
      },
    };
  }

  /** Per group: the distinct ids of each definition (`d<i>`), and the ids each measure lists (`n<m>`) and distinct (`u<m>`). */
  #countsByGroup(): Promise<Map<string, Readonly<Record<string, unknown>>>> {
    this.#counts ??= (async () => {
      const parts = this.#idParts(this.#measures);
      const inList = (measures: readonly number[]) => (measures.length ? measures.join(", ") : "NULL");
      const columns = [
        ...this.#inputs.map(
          (names, index) =>
            `count(DISTINCT id) FILTER (WHERE measure IN (${inList(names.map((name) => this.#measures.indexOf(name)))})) AS d${index}`,
        ),
        ...this.#measures.flatMap((_, index) => [
          `count(id) FILTER (WHERE measure = ${index}) AS n${index}`,
          `count(DISTINCT id) FILTER (WHERE measure = ${index}) AS u${index}`,
        ]),
      ];
      const sql = `${this.#listed(parts, null)}
SELECT group_key, ${columns.join(", ")} FROM listed GROUP BY group_key`;
      const rows = await readRows(this.#connection, sql);
      return new Map(rows.map((row) => [String(row.group_key), row]));
    })();
    return this.#counts;
  }

  async #slice(inputs: readonly string[], groupKey: string, start: number, end: number): Promise<readonly string[]> {
    const from = Math.max(0, Math.floor(start));
    const size = Math.max(0, Math.floor(end) - from);
    if (size === 0) return [];
    const sql = `${this.#listed(this.#idParts([...new Set(inputs)]), groupKey)},
first_seen AS (SELECT id, min(part * ${stride} + list_index) AS seen FROM listed GROUP BY id)
SELECT id FROM first_seen ORDER BY seen LIMIT ${size} OFFSET ${from}`;
    return (await readRows(this.#connection, sql)).map((row) => String(row.id));
  }

  /** The id parts of these measures, numbered in their order (measure numbers are the question's). */
  #idParts(names: readonly string[]): IdPart[] {
    const parts: IdPart[] = [];
    for (const name of names) {
      const measure = sqlMeasure(name);
      for (const [part, sql] of Object.entries(measure.aggregates(this.#scope)))
        if (listsEventIds(part))
          parts.push({ part: parts.length, measure: this.#measures.indexOf(name), source: measure.source, sql });
    }
    return parts;
  }

  /**
   * The query's CTEs up to `listed`: one row per listed id (group, part, measure, id, index in its list), over every
   * group or over one.
   */
  #listed(parts: readonly IdPart[], groupKey: string | null): string {
    const sources = [...new Set(parts.map((part) => part.source))];
    const where = groupKey === null ? "" : `WHERE group_key = ${sqlString(groupKey)}`;
    const lists = sources.map((source) => {
      const selects = parts.filter((part) => part.source === source).map((part) => `${part.sql} AS p${part.part}`);
      return `ids_${source} AS (SELECT group_key, ${selects.join(", ")} FROM ${source} ${where} GROUP BY group_key)`;
    });
    const rows = parts.map(
      (part) =>
        `SELECT group_key, ${part.part} AS part, ${part.measure} AS measure, coalesce(p${part.part}, []) AS ids FROM ids_${part.source}`,
    );
    const unioned = rows.length
      ? rows.join(" UNION ALL ")
      : "SELECT '' AS group_key, 0 AS part, 0 AS measure, []::VARCHAR[] AS ids WHERE FALSE";
    return `WITH ${scopeCtes(this.#scope)},${measureSourcesSql(this.#scope, sources)}${lists.map((cte) => `,\n${cte}`).join("")},
parts AS (${unioned}),
listed AS (SELECT group_key, part::BIGINT AS part, measure, unnest(ids) AS id, unnest(range(len(ids))) AS list_index FROM parts)`;
  }
}

function sqlMeasure(name: string): SqlMeasure {
  const measure = compiledMeasure(name);
  if (!measure) throw new Error(`KPI formula names measure ${name}, which is not compiled to SQL`);
  return measure;
}

/**
 * True when a measure's result keeps each listed id once: asked about a group whose every id part lists one id twice
 * (its other aggregates empty, as for a group without rows), it returns that id once.
 */
function keepsEachIdOnce(measure: SqlMeasure, scope: SqlScope): boolean {
  const probe = measure.result((part) => (listsEventIds(part) ? ["probe", "probe"] : null), scope);
  return probe.eventIds.length === 1;
}

/**
 * True when a measure's result may leave some of its listed ids out (e.g. remaining quota lists none when no quota is
 * set): asked about a group whose id parts each list one distinct id (its other aggregates empty), it returns fewer
 * ids than parts. Such a measure cannot be counted and paged from its parts; its definitions list their events.
 */
export function listsIdsConditionally(measure: SqlMeasure, scope: SqlScope): boolean {
  const parts = Object.keys(measure.aggregates(scope)).filter(listsEventIds);
  const probe = measure.result((part) => (listsEventIds(part) ? [`probe-${part}`] : null), scope);
  return probe.eventIds.length < parts.length;
}
