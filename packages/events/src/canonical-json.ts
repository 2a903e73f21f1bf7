const quotedKeys = new Map<string, string>();

/** JSON.stringify of a member name, remembered: events reuse a small set of names. */
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * True when `JSON.stringify(value)` already is the canonical form: every object is plain with its
 * members in canonical order, every number finite, nothing but JSON values (arrays hold no `undefined`).
 */
function isCanonicallyOrdered(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (const item of value) if (item === undefined || !isCanonicallyOrdered(item)) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      let previous: string | undefined;
      for (const key of Object.keys(value)) {
        if (previous !== undefined && !(previous < key)) return false;
        previous = key;
        if (!isCanonicallyOrdered((value as Record<string, unknown>)[key])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function serialise(value: unknown): string {
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
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (out.length > 1) out += ",";
        out += `${quotedKey(key)}:${canonicalJson(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: values of type ${typeof value} are not representable in JSON`);
  }
}

/**
 * Canonical JSON per RFC 8785 (JCS): object members sorted by their UTF-16 code units,
 * no whitespace, numbers and strings serialised exactly as ECMAScript's JSON.stringify does.
 * Used for hashing events, so the same logical event always yields the same bytes.
 * Values already in canonical order (see {@link inCanonicalOrder}) take the native JSON.stringify path.
 */
export function canonicalJson(value: unknown): string {
  return isCanonicallyOrdered(value) ? JSON.stringify(value) : serialise(value);
}

/**
 * A copy of a JSON value whose objects list their members in canonical order, so that its
 * {@link canonicalJson} is a plain JSON.stringify. Members whose names are array indexes ("1")
 * cannot be reordered in JavaScript; such objects still serialise correctly, by the slower path.
 */
export function inCanonicalOrder<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(inCanonicalOrder) as T;
  if (!isPlainObject(value)) return value;
  const record = value as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) ordered[key] = inCanonicalOrder(record[key]);
  return ordered as T;
}
