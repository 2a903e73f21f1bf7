/** Why a piece of text is not acceptable as an id or a name, or undefined when it is. */
export type TextProblem = string | undefined;

// Control characters (C0, DEL, C1) and the invisible format characters that reorder or hide text (bidi overrides,
// isolates and marks, zero-width characters, BOM).
const controlOrFormat = /[\p{Cc}\p{Cf}]/u;

/** An id: 1 to `maxLength` characters, well-formed Unicode, no control, format (bidi, zero-width) or space characters. */
export function idProblem(value: string, maxLength: number): TextProblem {
  if (value.length === 0) return "must not be empty";
  if (value.length > maxLength) return `must be at most ${maxLength} characters (it has ${value.length})`;
  if (!value.isWellFormed()) return "must be well-formed Unicode (it has a lone surrogate)";
  if (controlOrFormat.test(value)) return "must not contain control or invisible formatting characters (NUL, bidi overrides, …)";
  if (/\s/u.test(value)) return "must not contain spaces";
  return undefined;
}

/** A name or free text: up to `maxLength` characters, well-formed Unicode, no control or format characters (tab and newlines allowed when `multiline`). */
export function textProblem(value: string, maxLength: number, multiline = false): TextProblem {
  if (value.length > maxLength) return `must be at most ${maxLength} characters (it has ${value.length})`;
  if (!value.isWellFormed()) return "must be well-formed Unicode (it has a lone surrogate)";
  if (controlOrFormat.test(multiline ? value.replace(/[\t\n\r]/g, "") : value))
    return "must not contain control or invisible formatting characters (NUL, bidi overrides, …)";
  return undefined;
}
