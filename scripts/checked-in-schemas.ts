import { printedSchema } from "@revgraph/api";
import { eventJsonSchema, eventTypes } from "@revgraph/events";

/** Every generated schema file that is checked in, by path relative to the repository root. */
export async function renderCheckedInSchemas(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const type of eventTypes) {
    files.set(`schema/events/${type}.json`, `${JSON.stringify(eventJsonSchema(type), null, 2)}\n`);
  }
  files.set("schema/schema.graphql", printedSchema());
  return files;
}
