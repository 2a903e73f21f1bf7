import { z } from "zod";
import { type EventType, eventDataSchemas } from "./catalog.ts";
import { currentSchemaVersions } from "./upcasting.ts";

/** JSON Schema (draft 2020-12) of one event type's data at its current version, as checked in under `schema/events/`. */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  return {
    $id: `https://revgraph.dev/schema/events/${type}.v${currentSchemaVersions[type]}.json`,
    title: type,
    "x-schema-version": currentSchemaVersions[type],
    ...z.toJSONSchema(eventDataSchemas[type], { io: "input" }),
  };
}
