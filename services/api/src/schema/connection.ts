import { GraphQLError } from "graphql";

/** Page sizes every Relay connection of the schema accepts (stated in the `first`/`last` descriptions). */
export const pageSizes = { min: 0, default: 50, max: 500 } as const;

/** The Relay arguments of a connection field as GraphQL hands them over. */
export interface ConnectionArgs {
  readonly first?: number | null | undefined;
  readonly last?: number | null | undefined;
  readonly after?: string | null | undefined;
  readonly before?: string | null | undefined;
}

/**
 * A validated page request over items ordered by a strictly increasing integer key (an index or a global
 * position): the items with `after < key < before`, the first or the last `size` of them.
 */
export interface PageWindow {
  readonly size: number;
  readonly from: "start" | "end";
  /** Exclusive lower bound of keys (-1: from the beginning). */
  readonly after: number;
  /** Exclusive upper bound of keys (Infinity: to the end). */
  readonly before: number;
}

/** One Relay connection answer. */
export interface Connection<T> {
  readonly edges: { cursor: string; node: T }[];
  readonly pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** A client's mistake in a connection argument: BAD_USER_INPUT naming the argument and what is allowed. */
function badArgument(argument: string, message: string): GraphQLError {
  return new GraphQLError(`${argument}: ${message}`, {
    extensions: { code: "BAD_USER_INPUT", argument },
  });
}

function cursorKey(argument: "after" | "before", cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor))
    throw badArgument(argument, `${JSON.stringify(cursor.slice(0, 40))} is not a cursor from this connection`);
  return Number(cursor);
}

function pageSize(argument: "first" | "last", value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > pageSizes.max)
    throw badArgument(argument, `must be a whole number from ${pageSizes.min} to ${pageSizes.max}, got ${value}`);
  return value;
}

/** The cursor of an item with this key. */
export function cursorOf(key: number): string {
  return String(key);
}

/** Validates a connection's arguments: page sizes 0…max (not both), cursors from this connection. */
export function pageWindow(args: ConnectionArgs): PageWindow {
  const first = args.first ?? undefined;
  const last = args.last ?? undefined;
  if (first !== undefined && last !== undefined)
    throw badArgument("last", "give either first (page forwards) or last (page backwards), not both");
  const after = args.after ? cursorKey("after", args.after) : -1;
  const before = args.before ? cursorKey("before", args.before) : Number.POSITIVE_INFINITY;
  if (last !== undefined) return { size: pageSize("last", last), from: "end", after, before };
  return { size: pageSize("first", first ?? pageSizes.default), from: "start", after, before };
}

/** The number of items a connection field may return for these arguments (for cost estimates); invalid → 0. */
export function requestedPageSize(args: Readonly<Record<string, unknown>>): number {
  const size = args.first ?? args.last;
  if (size === undefined || size === null) return pageSizes.default;
  return typeof size === "number" && Number.isInteger(size) && size >= 0 ? Math.min(size, pageSizes.max) : 0;
}

/**
 * Pages items in key order through a validated window. Items may come from a stream (the event log): a forward page
 * stops reading one item past the page; a backward page keeps only the last `size + 1` items it passes.
 * `include` drops items the caller may not see without counting them.
 */
export async function pageOf<T>(
  items: AsyncIterable<T> | Iterable<T>,
  keyOf: (item: T, index: number) => number,
  window: PageWindow,
  include: (item: T) => boolean = () => true,
): Promise<Connection<T>> {
  const kept: { key: number; node: T }[] = [];
  let earlier = false;
  let later = false;
  let index = 0;
  for await (const item of items) {
    const key = keyOf(item, index++);
    if (key <= window.after) {
      if (include(item)) earlier = true;
      continue;
    }
    if (key >= window.before) {
      if (include(item)) {
        later = true;
        break;
      }
      continue;
    }
    if (!include(item)) continue;
    if (window.from === "start" && kept.length === window.size) {
      later = true;
      break;
    }
    kept.push({ key, node: item });
    if (window.from === "end" && kept.length > window.size) {
      kept.shift();
      earlier = true;
    }
  }
  const edges = kept.map((entry) => ({ cursor: cursorOf(entry.key), node: entry.node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: later,
      hasPreviousPage: earlier,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A connection over an in-memory list: cursors are positions in the list (no copy of the list is made). */
export function listConnection<T>(args: ConnectionArgs, items: readonly T[]): Connection<T> {
  const window = pageWindow(args);
  const low = Math.max(0, window.after + 1);
  const high = Math.max(low, Math.min(items.length, window.before));
  const start = window.from === "start" ? low : Math.max(low, high - window.size);
  const end = window.from === "start" ? Math.min(high, low + window.size) : high;
  const edges = items.slice(start, end).map((node, offset) => ({ cursor: cursorOf(start + offset), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
