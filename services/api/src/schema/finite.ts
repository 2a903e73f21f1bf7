/**
 * KPI figures GraphQL can serialize. A `Float` cannot be Infinity or NaN, and sums over amounts recorded before the
 * event catalog bounded them can overflow: such a figure is answered as null with a reason, never as an error.
 */

/** The value, or null when it is not a finite number. */
export function finiteOrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

/** Why figures are answered as null: the names of those that are not finite numbers (null when all are, or absent). */
export function nonFiniteReason(figures: Readonly<Record<string, number | null | undefined>>): string | null {
  const names = Object.entries(figures)
    .filter(([, value]) => typeof value === "number" && !Number.isFinite(value))
    .map(([name]) => name);
  return names.length ? `not a finite number: ${names.join(", ")}` : null;
}
