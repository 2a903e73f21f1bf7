/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), when a cell starts with one. */
const formulaStart = /^[=+\-@\t\r]/;
// Control characters (C0, DEL, C1): written as \uXXXX so no raw NUL, escape or line break ends up in a cell.
const control = /\p{Cc}/gu;

/**
 * A text cell that is safe to open in Excel, LibreOffice or Google Sheets: control characters are escaped as `\uXXXX`
 * text, and a cell that would start with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` so it is
 * read as text, not as a formula. Numbers are not text cells and stay as they are.
 */
export function neutraliseCsvText(value: string): string {
  const escaped = value.replace(control, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return formulaStart.test(value) ? `'${escaped}` : escaped;
}

/** csv-stringify options that run every text cell through {@link neutraliseCsvText}. */
export const safeCsvCells = { cast: { string: neutraliseCsvText } } as const;
