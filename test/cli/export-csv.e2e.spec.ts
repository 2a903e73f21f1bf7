import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { revgraph, workspace } from "./cli-harness.ts";

const hostileNames = [
  '=HYPERLINK("http://evil.test","click")',
  "+1+cmd|' /C calc'!A0",
  "-2+3",
  "@SUM(A1)",
  "\tTabbed",
  "nul\u0000inside",
  "bell\u0007\r\nbreak",
];

describe("CSV export", () => {
  it("neutralises formula-looking cells and escapes control characters (OWASP CSV injection)", () => {
    const { dir, file } = workspace();
    const lines = hostileNames.map((name, index) =>
      JSON.stringify({
        streamId: `deal-h${index}`,
        type: "DealCreated",
        occurredAt: "2026-01-01T00:00:00Z",
        data: {
          dealId: `h${index}`,
          accountId: "acct-1",
          ownerRepId: "rep-1",
          name,
          amount: 5,
          stage: "discovery",
          expectedCloseDate: "2026-03-01",
        },
      }),
    );
    expect(revgraph(dir, "--json", "import", file("events.ndjson", lines.join("\n")), "--format", "ndjson").code).toBe(0);
    const csv = revgraph(dir, "export", "deals", "--format", "csv");
    expect(csv.code).toBe(0);
    expect(csv.stdout.includes("\u0000") || csv.stdout.includes("\u0007")).toBe(false);
    const rows = parse(csv.stdout, { columns: true }) as { dealId: string; name: string; amount: string }[];
    const byId = new Map(rows.map((row) => [row.dealId, row]));
    expect(hostileNames.map((_, index) => byId.get(`h${index}`)?.name)).toEqual([
      `'=HYPERLINK("http://evil.test","click")`,
      "'+1+cmd|' /C calc'!A0",
      "'-2+3",
      "'@SUM(A1)",
      "'\\u0009Tabbed",
      "nul\\u0000inside",
      "bell\\u0007\\u000d\\u000abreak",
    ]);
    expect(byId.get("h0")?.amount).toBe("5");
    const events = revgraph(dir, "export", "events", "--format", "csv").stdout;
    expect(events.includes("\u0000")).toBe(false);
    expect(events).not.toMatch(/(^|,)=HYPERLINK/m);
  });
});
