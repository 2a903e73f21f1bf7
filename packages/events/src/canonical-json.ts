/**
 * Canonical JSON per RFC 8785 (JCS): object members sorted by their UTF-16 code units,
 * no whitespace, numbers and strings serialised exactly as ECMAScript's JSON.stringify does.
 * Used for hashing events, so the same logical event always yields the same bytes.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not representable in JSON`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        let out = "[";
        for (let index = 0; index < value.length; index++) {
          if (index > 0) out += ",";
          out += canonicalJson(value[index] ?? null);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = "{";
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (!first) out += ",";
        first = false;
        out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: values of type ${typeof value} are not representable in JSON`);
  }
}
