import cliProgress from "cli-progress";

/** Exit codes: what a script calling revgraph can rely on. */
export const exitCodes = {
  ok: 0,
  /** Something failed at run time (store unreachable, I/O error). */
  failure: 1,
  /** The command line or a mapping file is wrong. */
  usage: 2,
  /** Import finished, but some rows were rejected (see stderr and the rejects file). */
  rejectedRows: 3,
  /** verify found a broken hash chain or a read model that differs from a rebuild. */
  verificationFailed: 4,
  /** reconcile found deals or aggregates that differ between the source export and the store. */
  notReconciled: 5,
} as const;

/** A progress bar on stderr when it is a terminal and output is not JSON; silent otherwise. */
export function progress(label: string, total: number, json: boolean) {
  if (json || !process.stderr.isTTY || total === 0) return { update: (_value: number) => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} {rate}/s eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(total, 0, { rate: 0 });
  return {
    update: (value: number) => bar.update(value, { rate: Math.round(value / ((performance.now() - started) / 1000)) }),
    stop: () => bar.stop(),
  };
}

/** Prints rows as an aligned text table. */
export function printTable(rows: readonly Record<string, unknown>[]): void {
  if (rows.length === 0) {
    console.log("(no rows)");
    return;
  }
  const columns = Object.keys(rows[0] as Record<string, unknown>);
  const text = (value: unknown) =>
    value === null || value === undefined ? "—" : typeof value === "number" ? formatNumber(value) : String(value);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => text(row[column]).length)));
  console.log(columns.map((column, index) => column.padEnd(widths[index] as number)).join("  "));
  console.log(widths.map((width) => "─".repeat(width)).join("  "));
  for (const row of rows)
    console.log(columns.map((column, index) => text(row[column]).padEnd(widths[index] as number)).join("  "));
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return Math.abs(value) < 10 ? value.toFixed(4) : value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}
