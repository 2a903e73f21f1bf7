import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectEvents } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import type { RecordedEvent } from "@revgraph/events";
import { afterAll, describe, expect, it } from "vitest";
import { revgraph, sampleDealCreated, workspace } from "./cli-harness.ts";

async function events(dir: string): Promise<RecordedEvent[]> {
  const store = openSqliteEventStore({ path: join(dir, "data", "revgraph.db") });
  const all = await collectEvents(store.readAll());
  await store.close();
  return all;
}

const streamsOf = (stored: RecordedEvent[]) => [...new Set(stored.map((event) => event.streamId))];
const header =
  "OpportunityId,OpportunityName,AccountId,OwnerId,CreatedDate,StageName,Amount,CloseDate,Probability,ForecastCategoryName,CurrencyIsoCode";
/** One OpportunityHistory row with the given cells changed. */
function historyRow(
  dealId: string,
  cells: Partial<Record<"created" | "stage" | "amount" | "probability" | "account", string>> = {},
) {
  return [
    dealId,
    `Deal ${dealId}`,
    cells.account ?? "001A",
    "005X",
    cells.created ?? "2026-01-05T09:00:00Z",
    cells.stage ?? "Prospecting",
    cells.amount ?? "106268.77",
    "2026-03-31",
    cells.probability ?? "10",
    "Pipeline",
    "USD",
  ].join(",");
}

const outside = mkdtempSync(join(tmpdir(), "revgraph-outside-"));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe("strict imports: every number is the source's number or the row is rejected (real CLI processes)", () => {
  it("rejects the deals of cells the old reader changed silently: amounts, probabilities, dates, bytes, a truncated row", async () => {
    const { dir } = workspace();
    const text = [
      header,
      historyRow("006GOOD"),
      historyRow("006GOOD", { created: "2026-02-01T09:00:00Z", stage: "Closed Won", probability: "100" }),
      historyRow("006E5", { amount: "1e5" }),
      historyRow("006E4", { amount: "1.5E+04" }),
      historyRow("006HEX", { amount: "0x10" }),
      historyRow("006ACC", { amount: "(500)" }),
      historyRow("006BIG", { amount: "1e309x" }),
      historyRow("006PRB", { probability: "1e3" }),
      historyRow("006COMMA", { amount: '"1274,02"' }),
      historyRow("006DATE", { amount: "03.03.2024" }),
      historyRow("006FEB30", { created: "2024-02-30T10:00:00Z" }),
      historyRow("006HOUR", { created: "2024-02-29T25:61:00Z" }),
      historyRow("006OFF", { created: "2024-02-29T10:00:00+2500" }),
      historyRow("0066LFM2"),
      historyRow("0066LFM2\u00ff", { created: "2026-02-01T09:00:00Z", stage: "Closed Won" }),
      historyRow("006LAT", { account: "M\u00fcller" }),
      historyRow("006TRUNC"),
      `${historyRow("006TRUNC", { created: "2026-02-01T09:00:00Z", stage: "Closed Won" }).split(",").slice(0, 6).join(",")},106`,
    ].join("\n");
    // Latin-1 bytes in a file the mapping declares UTF-8 (the default): 0xff after an id, 0xfc in "Müller".
    const bytes = Buffer.from(text, "latin1");
    const csv = join(dir, "history.csv");
    writeFileSync(csv, bytes);
    const run = revgraph(dir, "--json", "import", csv, "--format", "salesforce-history");
    expect(run.code, run.stderr).toBe(3);
    const expected = [
      'column Amount: "1e5" is not an amount',
      'column Amount: "1.5E+04" is not an amount',
      'column Amount: "0x10" is not an amount',
      'column Amount: "(500)" is not an amount',
      'column Amount: "1e309x" is not an amount',
      'column Probability: "1e3" is not a probability',
      'column Amount: "1274,02" is not an amount (decimal separator ".", no thousands separator)',
      'column Amount: "03.03.2024" is not an amount',
      'column CreatedDate: "2024-02-30T10:00:00Z" is not a real date or time',
      'column CreatedDate: "2024-02-29T25:61:00Z" is not a real date or time',
      'column CreatedDate: "2024-02-29T10:00:00+2500" has an impossible UTC offset +2500',
      `row 16, column OpportunityId: byte ${bytes.indexOf(0xff)} (0xff) is not valid utf-8`,
      `row 17, column AccountId: byte ${bytes.indexOf(0xfc)} (0xfc) is not valid utf-8`,
      "row 19, column CloseDate: has 7 of the header's 11 columns and ends the file without a line break: the file looks truncated",
    ];
    for (const message of expected) expect(run.stderr).toContain(message);
    // The real 0066LFM2 is held back too: the defective row may be its own.
    expect(run.stderr).toContain("the row may belong to this deal (deal 0066LFM2 not imported)");
    const stored = await events(dir);
    expect(streamsOf(stored)).toEqual(["deal-006GOOD"]);
    expect(stored.find((event) => event.type === "DealWon")?.data).toMatchObject({ amount: 106268.77 });
    expect(readFileSync(`${csv}.rejects.csv`, "utf8")).toContain("history.csv,19,CloseDate,");
  }, 180_000);

  it("refuses a header name that appears twice unless the mapping picks one", async () => {
    const { dir, file } = workspace();
    const csv = file("history.csv", `${header.replace("Probability", "Amount")}\n${historyRow("006A")}\n`);
    const run = revgraph(dir, "import", csv, "--format", "salesforce-history");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'history.csv: the header has column "Amount" 2 times (columns 7, 9); pick one in the mapping: "Amount#1" or "Amount#2"',
    );
    expect(await events(dir)).toEqual([]);
    const mapping = file("mapping.yaml", 'columns: { amount: "Amount#1" }\n');
    const picked = revgraph(dir, "import", csv, "--format", "salesforce-history", "--mapping", mapping);
    expect(picked.code, picked.stderr).toBe(0);
    expect((await events(dir))[0]?.data).toMatchObject({ amount: 106268.77 });
  }, 180_000);

  it("checks mappings: unknown side-table keys, side tables relative to the mapping or absolute, missing files exit 2", async () => {
    const { dir, file } = workspace();
    const pipeline = file(
      "pipeline.csv",
      "dealId,accountId,ownerRepId,stage,createdAt,expectedCloseDate,amount\nD1,acme,rep-1,discovery,2026-01-05,2026-03-31,100\n",
    );
    file("accounts.csv", "account,sector\nacme,Retail\n");
    mkdirSync(join(dir, "maps"));
    const unknownKey = file(
      "maps/unknown.yaml",
      "sideTables:\n  accounts: { file: ../accounts.csv, columns: { id: account }, encodng: latin1 }\n",
    );
    const bad = revgraph(dir, "import", pipeline, "--format", "csv", "--mapping", unknownKey);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("key sideTables.accounts.encodng");
    const unknownField = file("maps/field.yaml", "columns: { amuont: amount }\n");
    expect(revgraph(dir, "import", pipeline, "--format", "csv", "--mapping", unknownField).stderr).toContain(
      "key columns.amuont: unknown field",
    );
    const missing = file("maps/missing.yaml", "sideTables:\n  accounts: { file: accounts.csv, columns: { id: account } }\n");
    const run = revgraph(dir, "import", pipeline, "--format", "csv", "--mapping", missing);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`file ${join(dir, "maps", "accounts.csv")} does not exist`);
    expect(revgraph(dir, "import", join(dir, "nope.csv"), "--format", "csv").stderr).toContain(
      `file ${join(dir, "nope.csv")} does not exist`,
    );
    expect(await events(dir)).toEqual([]);
    const elsewhere = join(outside, "accounts.csv");
    writeFileSync(elsewhere, "account,sector\nacme,Manufacturing\n");
    const absolute = file(
      "maps/absolute.yaml",
      `sideTables:\n  accounts: { file: ${elsewhere}, columns: { id: account, industry: sector } }\n`,
    );
    const ok = revgraph(dir, "import", pipeline, "--format", "csv", "--mapping", absolute);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await events(dir)).find((event) => event.type === "AccountRegistered")?.data).toMatchObject({
      industry: "Manufacturing",
    });
  }, 180_000);

  it("rejects the row a CSV syntax error or an unclosed quote spans and goes on at the next line", async () => {
    const { dir, file } = workspace();
    const stray = file(
      "stray.csv",
      [header, historyRow("006A"), historyRow("006B").replace("Deal 006B", '"Deal" 006B'), historyRow("006C")].join("\n"),
    );
    const run = revgraph(dir, "import", stray, "--format", "salesforce-history");
    expect(run.code, run.stderr).toBe(3);
    expect(readFileSync(`${stray}.rejects.csv`, "utf8")).toMatch(
      /\nstray\.csv,3,OpportunityName,"CSV syntax error, row not read: Invalid Closing Quote: .* at line 3 /,
    );
    expect(streamsOf(await events(dir)).sort()).toEqual(["deal-006A", "deal-006C"]);
    const unclosed = file(
      "unclosed.csv",
      [header, historyRow("006D"), historyRow("006E").replace("Deal 006E", '"Deal 006E'), historyRow("006F")].join("\n"),
    );
    const stopped = revgraph(dir, "import", unclosed, "--format", "salesforce-history");
    expect(stopped.code).toBe(3);
    expect(stopped.stderr).toContain(
      "unclosed.csv row 3, column OpportunityName: a quote opened in this row (line 3) is never closed; reading goes on at the next line",
    );
    expect(streamsOf(await events(dir)).sort()).toEqual(["deal-006A", "deal-006C", "deal-006D", "deal-006F"]);
  }, 180_000);

  it("prints at most 20 rejects, then how many more are in the rejects file", () => {
    const { dir, file } = workspace();
    const rows = Array.from({ length: 500 }, (_, index) => `D${index},rep-1,acme,Engaging,,,`);
    const csv = file(
      "sales_pipeline.csv",
      ["opportunity_id,sales_agent,account,deal_stage,engage_date,close_date,close_value", ...rows].join("\n"),
    );
    const mapping = file(
      "maven.yaml",
      "columns: { dealId: opportunity_id, ownerRepId: sales_agent, accountId: account, stage: deal_stage, createdAt: engage_date, expectedCloseDate: close_date, amount: close_value }\nstages: { Engaging: technical_validation }\n",
    );
    const run = revgraph(dir, "import", csv, "--format", "csv", "--mapping", mapping);
    expect(run.code).toBe(3);
    const lines = run.stderr.trim().split("\n");
    expect(lines.filter((line) => line.startsWith("rejected: "))).toHaveLength(20);
    expect(lines).toContain(`… and 480 more in ${csv}.rejects.csv`);
    expect(readFileSync(`${csv}.rejects.csv`, "utf8").trim().split("\n")).toHaveLength(501);
  }, 180_000);
});

const account = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    streamId: `account-${id}`,
    type: "AccountRegistered",
    occurredAt: "2026-01-01T00:00:00Z",
    data: { accountId: id, name: id },
    ...extra,
  });
const stageChanged = {
  streamId: "deal-x",
  type: "DealStageChanged",
  occurredAt: "2026-01-09T00:00:00Z",
  data: { dealId: "x", from: "discovery", to: "technical_validation" },
};

describe("NDJSON imports (real CLI processes)", () => {
  it("rejects the whole file when a bad line's stream cannot be told, and says so for a null line", async () => {
    const { dir, file } = workspace();
    const noStream = file(
      "no-stream.ndjson",
      [JSON.stringify(sampleDealCreated), JSON.stringify(stageChanged), account("a")].join("\n"),
    );
    const run = revgraph(dir, "import", noStream, "--format", "ndjson");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("no-stream.ndjson row 1, column streamId: is missing or not a non-empty string");
    expect(run.stderr).toContain("nothing from this file is imported");
    const nullLine = file("null.ndjson", [account("a"), "null"].join("\n"));
    const nulls = revgraph(dir, "import", nullLine, "--format", "ndjson");
    expect(nulls.code).toBe(3);
    expect(nulls.stderr).toContain("null.ndjson row 2, column (line): null is not an event (a JSON object)");
    expect(nulls.stderr).not.toContain("TypeError");
    expect(await events(dir)).toEqual([]);
  }, 180_000);

  it("rejects an event naming a deal on another stream than the deal's (deals are read back from their own streams)", async () => {
    const { dir, file } = workspace();
    const lines = [account("a"), JSON.stringify({ ...stageChanged, streamId: "account-a" })];
    const run = revgraph(dir, "--json", "import", file("elsewhere.ndjson", lines.join("\n")), "--format", "ndjson");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('elsewhere.ndjson row 2, column streamId: names deal "x": it belongs on stream deal-x');
    expect(run.stderr).toContain("(stream account-a not imported)");
    expect(await events(dir)).toEqual([]);
  }, 180_000);

  it("rejects a stream whole for any bad line, keeps identical duplicates once, and derives ids from the stream, not line numbers", async () => {
    const { dir, file } = workspace();
    const withId = account("b", { id: "5b0c3c1e-4f7a-4d55-9d5e-0a8f3f2b7c11" });
    const lines = [
      account("a"),
      withId,
      withId,
      JSON.stringify({ ...sampleDealCreated, streamId: "deal-x" }),
      JSON.stringify({ ...stageChanged, data: { dealId: "x", from: "discovery", to: 42 } }),
    ];
    const run = revgraph(dir, "--json", "import", file("events.ndjson", lines.join("\n")), "--format", "ndjson");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("events.ndjson row 5, column data.to");
    expect(run.stderr).toContain("(stream deal-x not imported)");
    const stored = await events(dir);
    expect(stored.map((event) => event.streamId)).toEqual(["account-a", "account-b"]);
    const again = revgraph(
      dir,
      "--json",
      "import",
      file("shifted.ndjson", `\n\n${lines.slice(0, 3).join("\n")}\n`),
      "--format",
      "ndjson",
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ eventsWritten: 0, eventsAlreadyPresent: 2 });
  }, 180_000);

  it("round-trips: export events → import into an empty store gives the same log and the same KPIs", async () => {
    const source = workspace();
    expect(revgraph(source.dir, "seed", "--deals", "60", "--seed", "11").code).toBe(0);
    const exported = join(source.dir, "events.ndjson");
    expect(revgraph(source.dir, "export", "events", "--format", "ndjson", "--out", exported).code).toBe(0);
    const target = workspace();
    const run = revgraph(target.dir, "--json", "import", exported, "--format", "ndjson");
    expect(run.code, run.stderr).toBe(0);
    const shape = (event: RecordedEvent) => ({
      id: event.id,
      streamId: event.streamId,
      streamRevision: event.streamRevision,
      globalPosition: event.globalPosition,
      type: event.type,
      schemaVersion: event.schemaVersion,
      occurredAt: event.occurredAt,
      actor: event.actor,
      source: event.source,
      causationId: event.causationId,
      correlationId: event.correlationId,
      data: event.data,
    });
    const original = (await events(source.dir)).map(shape);
    expect(original.length).toBeGreaterThan(500);
    expect((await events(target.dir)).map(shape)).toEqual(original);
    const kpis = (dir: string) =>
      revgraph(
        dir,
        "--json",
        "kpi",
        "win_rate",
        "pipeline_coverage",
        "slippage_rate",
        "pipeline_velocity",
        "average_deal_size",
        "--period",
        "2026-Q3",
      ).stdout;
    expect(kpis(target.dir)).toBe(kpis(source.dir));
    expect(revgraph(target.dir, "verify").code).toBe(0);
  }, 180_000);
});
