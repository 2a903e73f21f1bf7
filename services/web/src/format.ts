/** How a KPI value reads on the page, by its unit; ratios that are multiples (coverage) read as "3.1×". */
const multipleKpis = new Set(["pipeline_coverage", "activity_to_opportunity_ratio"]);

const currency = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

const byUnit: Record<string, (value: number) => string> = {
  ratio: (value) => `${decimal.format(value * 100)}%`,
  currency: (value) => currency.format(value),
  currency_per_day: (value) => `${currency.format(value)}/day`,
  days: (value) => `${decimal.format(value)} d`,
  hours: (value) => `${decimal.format(value)} h`,
  count: (value) => decimal.format(value),
  contacts: (value) => `${decimal.format(value)} contacts`,
};

/** Formats a KPI value for display; null reads as an em dash. */
export function formatKpiValue(kpiId: string, unit: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (unit === "ratio" && multipleKpis.has(kpiId)) return `${decimal.format(value)}×`;
  return (byUnit[unit] ?? decimal.format)(value);
}

/** Formats a plain number (inputs, counts) compactly. */
export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : decimal.format(value);
}

/** The Mantine colour of a KPI band. */
export const bandColor: Record<string, string> = {
  healthy: "teal",
  on_target: "teal",
  at_risk: "yellow",
  escalate: "red",
  off_target: "red",
};

/** The quarter a date falls in, as the API's period string (2026-Q4). */
export function quarterOf(date: Date): string {
  return `${date.getUTCFullYear()}-Q${Math.floor(date.getUTCMonth() / 3) + 1}`;
}

/** The `count` quarters ending with `period`'s, oldest first (2026-Q1 with 3 → 2025-Q3, 2025-Q4, 2026-Q1). */
export function quartersEndingWith(period: string, count: number): string[] {
  const match = /^(\d{4})-Q([1-4])$/.exec(period);
  if (!match) return [period];
  const index = Number(match[1]) * 4 + Number(match[2]) - 1;
  return Array.from({ length: count }, (_, offset) => {
    const quarter = index - (count - 1 - offset);
    return `${Math.floor(quarter / 4)}-Q${(quarter % 4) + 1}`;
  });
}
