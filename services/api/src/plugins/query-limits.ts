import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  valueFromASTUntyped,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { requestedPageSize } from "../schema/connection.ts";

/** How big one operation may be. */
export interface QueryLimits {
  /** Deepest nesting of fields (default 12). */
  readonly maxDepth: number;
  /**
   * Most estimated work (default 20,000): every field costs 1, and a connection field multiplies what it selects by
   * the page size asked for (`first`/`last`, default 50), so ten aliases of a 500-item page cost ten times one.
   */
  readonly maxCost: number;
  /** Most aliased fields (default 30). */
  readonly maxAliases: number;
}

/** The defaults of {@link QueryLimits}. */
export const defaultQueryLimits: QueryLimits = { maxDepth: 12, maxCost: 20_000, maxAliases: 30 };

interface Measure {
  readonly cost: number;
  readonly depth: number;
  readonly aliases: number;
}

/** Depth, aliases and estimated cost of an operation's selection, with the variables it will run with. */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
): Measure {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return { cost: 0, depth: 0, aliases: 0 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const root = schema.getRootType(operation.operation);
  let aliases = 0;

  const measure = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, spread: Set<string>) => {
    let cost = 0;
    let depth = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases++;
        const definition =
          parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[selection.name.value] : undefined;
        let inner = { cost: 0, depth: 0 };
        if (selection.selectionSet) inner = measure(selection.selectionSet, definition && getNamedType(definition.type), spread);
        const paged = definition?.args.some((argument) => argument.name === "first") ?? false;
        const args = Object.fromEntries(
          (selection.arguments ?? []).map((argument) => [argument.name.value, valueFromASTUntyped(argument.value, variables)]),
        );
        cost += 1 + inner.cost * (paged ? requestedPageSize(args) : 1);
        depth = Math.max(depth, 1 + inner.depth);
      } else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment || (selection.kind === Kind.FRAGMENT_SPREAD && spread.has(selection.name.value))) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
        const inner = measure(
          fragment.selectionSet,
          condition ?? undefined,
          selection.kind === Kind.FRAGMENT_SPREAD ? new Set([...spread, selection.name.value]) : spread,
        );
        cost += inner.cost;
        depth = Math.max(depth, inner.depth);
      }
    }
    return { cost, depth };
  };
  const { cost, depth } = measure(operation.selectionSet, root ?? undefined, new Set());
  return { cost, depth, aliases };
}

function limitError(code: string, message: string, extensions: Record<string, number>): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions, http: { status: 400 } } });
}

/**
 * Refuses operations that are too deep, have too many aliases or would cost too much — before anything runs, with
 * the variables they came with, each with its own code (DEPTH_LIMIT_EXCEEDED, ALIAS_LIMIT_EXCEEDED,
 * COST_LIMIT_EXCEEDED), the limit and what was found, and HTTP 400.
 */
export function queryLimitsPlugin(limits: QueryLimits): Plugin {
  const check = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operationName?: string | null | undefined;
    variableValues?: Readonly<Record<string, unknown>> | null | undefined;
  }) => {
    const found = measureOperation(args.schema, args.document, args.operationName, args.variableValues ?? {});
    if (found.depth > limits.maxDepth)
      throw limitError(
        "DEPTH_LIMIT_EXCEEDED",
        `the operation's depth is ${found.depth} nested fields; the maximum depth is ${limits.maxDepth}`,
        { depth: found.depth, maxDepth: limits.maxDepth },
      );
    if (found.aliases > limits.maxAliases)
      throw limitError(
        "ALIAS_LIMIT_EXCEEDED",
        `the operation uses ${found.aliases} aliases; the maximum is ${limits.maxAliases} aliases`,
        { aliases: found.aliases, maxAliases: limits.maxAliases },
      );
    if (found.cost > limits.maxCost)
      throw limitError(
        "COST_LIMIT_EXCEEDED",
        `the operation's estimated cost is ${found.cost}; the maximum is ${limits.maxCost} (each connection multiplies what it selects by its page size, first/last, at most 500): ask for smaller pages or fewer fields`,
        { cost: found.cost, maxCost: limits.maxCost },
      );
  };
  return {
    onExecute({ args }) {
      check(args);
    },
    onSubscribe({ args }) {
      check(args);
    },
  };
}
