import type { z } from "zod";
import { builder } from "../builder.ts";

type Def = {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
};
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(schema: z.ZodType): { schema: z.ZodType; optional: boolean } {
  let current = schema;
  let optional = false;
  for (;;) {
    const def = defOf(current);
    if (def.type === "optional" || def.type === "default" || def.type === "nullable") {
      optional = true;
      current = def.innerType as z.ZodType;
    } else return { schema: current, optional };
  }
}

const nestedTypes = new Map<string, unknown>();

/**
 * GraphQL input fields derived from a zod object schema, so one schema both describes and validates
 * a mutation's input: strings, numbers, booleans, enums (as String, checked by zod), lists, objects.
 */
/** The part of Pothos' input field builder this mapper uses. */
interface FieldBuilder {
  field(options: { type: unknown; required: boolean }): unknown;
}

export function inputFieldsFromZod(name: string, schema: z.ZodObject, t: FieldBuilder): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(defOf(schema).shape ?? {})) {
    const { schema: inner, optional } = unwrap(field);
    const required = !optional;
    const def = defOf(inner);
    const scalar = (type: string) => ({ string: "String", enum: "String", number: "Float", boolean: "Boolean" })[type];
    if (def.type === "array") {
      const element = scalar(defOf(unwrap(def.element as z.ZodType).schema).type) ?? "String";
      fields[key] = t.field({ type: [element], required });
    } else if (def.type === "object") {
      const typeName = `${name}${key[0]?.toUpperCase()}${key.slice(1)}`;
      let nested = nestedTypes.get(typeName);
      if (!nested) {
        nested = builder.inputType(typeName, {
          fields: (n) => inputFieldsFromZod(typeName, inner as z.ZodObject, n as unknown as FieldBuilder) as never,
        });
        nestedTypes.set(typeName, nested);
      }
      fields[key] = t.field({ type: nested, required });
    } else {
      const type = scalar(def.type);
      if (!type) throw new Error(`${name}.${key}: zod type ${def.type} has no GraphQL input mapping`);
      fields[key] = t.field({ type, required });
    }
  }
  return fields;
}
