import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "../builder.ts";
import "./common.ts";
import "./digest.ts";
import "./events.ts";
import "./org.ts";
import "./deals.ts";
import "./kpis.ts";
import "./mutations.ts";
import "./process.ts";

/** The revgraph GraphQL schema. */
export const schema = builder.toSchema();

/** The schema as checked in at schema/schema.graphql. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
