import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { collectEvents } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import type { RecordedEvent } from "@revgraph/events";
import { describe, expect, it } from "vitest";
import { germanCrmMapping, revgraph, sampleDealCreated, workspace } from "./cli-harness.ts";

async function events(dir: string): Promise<RecordedEvent[]> {
  const store = openSqliteEventStore({ path: join(dir, "data", "revgraph.db") });
  const all = await collectEvents(store.readAll());
  await store.close();
  return all;
}

const history = `OpportunityId,OpportunityName,AccountId,OwnerId,CreatedDate,StageName,Amount,CloseDate,Probability,ForecastCategoryName,CurrencyIsoCode
006A,Acme renewal,001A,005X,2026-01-05T09:00:00Z,Qualifizierung,10000,2026-03-31,10,Pipeline,EUR
006A,Acme renewal,001A,005X,2026-01-20T09:00:00Z,Angebot,12000,2026-03-31,40,Best Case,EUR
006A,Acme renewal,001A,005X,2026-02-10T09:00:00Z,Angebot,12000,2026-05-15,40,Best Case,EUR
006A,Acme renewal,001A,005X,2026-03-02T09:00:00Z,Gewonnen,12500,2026-03-02,100,Closed,EUR
006B,Globex pilot,001B,005Y,2026-01-10T09:00:00Z,Qualifizierung,50000,2026-02-28,10,Pipeline,USD
006B,Globex pilot,001B,005Y,2026-02-25T09:00:00Z,Verloren,50000,2026-02-25,0,Omitted,USD
006C,Broken row,001C,005Y,not-a-date,Qualifizierung,1000,2026-02-28,10,Pipeline,USD
006D,Unknown stage,001D,005Y,2026-01-10T09:00:00Z,Träumen,1000,2026-02-28,10,Pipeline,USD
`;
const historyMapping = `stages:
  Qualifizierung: discovery
  Angebot: business_case
  Gewonnen: closed_won
  Verloren: closed_lost
`;

describe("revgraph import (real CLI processes)", () => {
  it("turns Salesforce OpportunityHistory into back-dated deal events, rejecting bad rows with row, column and reason", async () => {
    const { dir, file } = workspace();
    const csv = file("history.csv", history);
    const mapping = file("mapping.yaml", historyMapping);
    const run = revgraph(dir, "--json", "import", csv, "--format", "salesforce-history", "--mapping", mapping);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json()).toMatchObject({ rowsRead: 8, streams: 2, dealsRejected: 2, rowsRejected: 2 });
    expect(run.stderr).toContain('history.csv row 8, column CreatedDate: "not-a-date" is not a date');
    expect(run.stderr).toContain('history.csv row 9, column StageName: unknown stage "Träumen"');
    expect(readFileSync(`${csv}.rejects.csv`, "utf8")).toMatch(/^file,row,column,reason,deal\n/);
    const stored = await events(dir);
    const deal = stored.filter((event) => event.streamId === "deal-006A");
    expect(deal.map((event) => event.type)).toEqual([
      "DealCreated",
      "DealProbabilityChanged",
      "DealForecastCategoryChanged",
      "DealAmountChanged",
      "DealStageChanged",
      "DealProbabilityChanged",
      "DealForecastCategoryChanged",
      "DealCloseDateChanged",
      "DealWon",
    ]);
    // The closing row sets the amount and the close date: one act, carried by the close event.
    expect(deal.find((event) => event.type === "DealWon")).toMatchObject({
      occurredAt: "2026-03-02T09:00:00.000Z",
      data: { amount: 12500, currency: "EUR", expectedCloseDate: "2026-03-02" },
      source: { system: "salesforce-history", file: "history.csv", row: 5 },
    });
    expect(stored.some((event) => event.streamId === "deal-006C" || event.streamId === "deal-006D")).toBe(false);
    const kpi = revgraph(dir, "--json", "kpi", "win_rate", "slippage_rate", "--period", "2026-Q1");
    expect(kpi.json().map((row: { kpi: string; value: number }) => [row.kpi, row.value])).toEqual([
      ["win_rate", 0.5],
      ["slippage_rate", 0],
    ]);
  });

  // Six CLI processes: more than the default 30 s when the machine is busy.
  it("treats a closing row as one act: a close date moved later by the row that wins is neither a push nor a forecast", {
    timeout: 120_000,
  }, async () => {
    const { dir, file } = workspace();
    const csv = file(
      "closing.csv",
      `OpportunityId,OpportunityName,AccountId,OwnerId,CreatedDate,StageName,Amount,CloseDate,CurrencyIsoCode
006E,Late win,001E,005X,2026-01-05T09:00:00Z,Qualification,10000,2026-03-31,USD
006E,Late win,001E,005X,2026-04-10T09:00:00Z,Closed Won,15000,2026-04-10,USD
006F,Still open,001F,005X,2026-01-05T09:00:00Z,Qualification,20000,2026-05-31,USD
006G,Lost early,001G,005X,2026-01-06T09:00:00Z,Qualification,30000,2026-06-30,USD
006G,Lost early,001G,005X,2026-05-02T09:00:00Z,Closed Lost,25000,2026-05-02,USD
`,
    );
    expect(revgraph(dir, "import", csv, "--format", "salesforce-history").code).toBe(0);
    const stored = await events(dir);
    expect(stored.filter((event) => event.streamId === "deal-006G").map((event) => [event.type, event.data])).toEqual([
      ["DealCreated", expect.objectContaining({ amount: 30000, expectedCloseDate: "2026-06-30" })],
      ["DealLost", { dealId: "006G", reason: "other", amount: 25000, currency: "USD", expectedCloseDate: "2026-05-02" }],
    ]);
    // 006E's row moving Mar 31 to Apr 10 is part of its win, not a push (it counted as one before).
    const deals = revgraph(dir, "export", "deals", "--format", "json").json() as { dealId: string; pushes: number }[];
    expect(deals.map((deal) => [deal.dealId, deal.pushes])).toEqual([
      ["006E", 0],
      ["006F", 0],
      ["006G", 0],
    ]);
    // Q2: forecast to close are 006F (May 31, still open: slipped) and 006G (Jun 30 while open; lost in Q2, not slipped).
    // 006E's Apr 10 came with its win: not a forecast for Q2 (before, it made Q2 read 1 ÷ 3).
    const kpi = (period: string) =>
      (revgraph(dir, "--json", "kpi", "slippage_rate", "--period", period).json() as { value: number }[])[0]?.value;
    expect(kpi("2026-Q2")).toBe(0.5);
    // Q1: 006E was forecast to close on Mar 31 and still open at the quarter's end.
    expect(kpi("2026-Q1")).toBe(1);
  });

  it("is idempotent: importing the same file again writes nothing", async () => {
    const { dir, file } = workspace();
    const csv = file("history.csv", history);
    const mapping = file("mapping.yaml", historyMapping);
    revgraph(dir, "import", csv, "--format", "salesforce-history", "--mapping", mapping);
    const before = await events(dir);
    const again = revgraph(dir, "--json", "import", csv, "--format", "salesforce-history", "--mapping", mapping);
    expect(again.json()).toMatchObject({ eventsWritten: 0, eventsAlreadyPresent: before.length });
    expect((await events(dir)).map((event) => event.id)).toEqual(before.map((event) => event.id));
  });

  it("reads a Latin-1 snapshot export with localized dates, decimal commas, side tables and a misspelled duplicate", async () => {
    const { dir, file } = workspace();
    file(
      "accounts.csv",
      "account,sector,office_location\nMüller GmbH,Maschinenbau,Deutschland\nSøren & Co,Retail,Denmark\n",
      "latin1",
    );
    file(
      "teams.csv",
      "sales_agent,manager,regional_office\nJörg Weiß,Anna Schäfer,Central\nLuis Peña,Anna Schäfer,Central\n",
      "latin1",
    );
    const pipeline = file(
      "pipeline.csv",
      [
        "opportunity_id;sales_agent;product;account;deal_stage;engage_date;close_date;close_value;currency",
        "O1;Jörg Weiß;GTX Pro;Müller GmbH;Won;03.01.2026;17.02.2026;4.821,50;EUR",
        "O2;Jörg Weiß;GTXPro;Müller GmbH;Lost;05.01.2026;20.03.2026;;EUR",
        "O3;Luis Peña;MG Special;Søren & Co;Engaging;10.02.2026;;;DKK",
        "O4;Luis Peña;MG Special;Søren & Co;Won;31.02.2026;01.03.2026;55;USD",
        "O5;Luis Peña;MG Special;Søren & Co;Won;01.02.2026;01.03.2026;zwölf;USD",
      ].join("\n"),
      "latin1",
    );
    const mapping = file(
      "crm.yaml",
      germanCrmMapping(
        "{ dealId: opportunity_id, ownerRepId: sales_agent, product: product, accountId: account, stage: deal_stage, createdAt: engage_date, expectedCloseDate: close_date, amount: close_value, currency: currency }",
        "{ Engaging: technical_validation, Prospecting: discovery }",
        "normalize: { product: { GTXPro: GTX Pro } }",
        "sideTables:",
        '  accounts: { file: accounts.csv, delimiter: ",", columns: { id: account, industry: sector, region: office_location } }',
        '  reps: { file: teams.csv, delimiter: ",", columns: { id: sales_agent, manager: manager, region: regional_office } }',
      ),
    );
    const run = revgraph(dir, "--json", "import", pipeline, "--format", "csv", "--mapping", mapping);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('row 5, column engage_date: "31.02.2026" is not a real date or time');
    expect(run.stderr).toContain(
      'row 6, column close_value: "zwölf" is not an amount (decimal separator ",", thousands separator ".")',
    );
    const stored = await events(dir);
    expect(
      stored.find(
        (event) => event.type === "AccountRegistered" && (event.data as { accountId: string }).accountId === "Müller GmbH",
      ),
    ).toBeTruthy();
    expect(stored.find((event) => event.type === "TeamFormed")?.data).toMatchObject({ name: "Anna Schäfer", region: "Central" });
    const won = stored.find((event) => event.type === "DealWon");
    expect(won).toMatchObject({
      streamId: "deal-O1",
      data: { amount: 4821.5, currency: "EUR" },
      occurredAt: "2026-02-16T23:00:00.000Z",
    });
    const products = stored
      .filter((event) => event.type === "DealCreated")
      .map((event) => (event.data as { product?: string }).product);
    expect(new Set(products)).toEqual(new Set(["GTX Pro", "MG Special"]));
    const rep = stored.find((event) => event.type === "RepHired" && (event.data as { repId: string }).repId === "Jörg Weiß");
    expect(rep?.data).toMatchObject({ teamId: "anna-schafer", startDate: "2026-01-02" });
  });

  it("names the bad key of a mapping file and exits 2", () => {
    const { dir, file } = workspace();
    const csv = file("x.csv", "a,b\n1,2\n");
    const mapping = file("bad.yaml", "dateFormat: 31/12/1999\ncolumns: { dealId: a }\n");
    const run = revgraph(dir, "import", csv, "--format", "csv", "--mapping", mapping);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/mapping .*bad\.yaml: key dateFormat: Invalid option/);
  });

  it("writes nothing on --dry-run", async () => {
    const { dir, file } = workspace();
    const csv = file("history.csv", history);
    const mapping = file("mapping.yaml", historyMapping);
    const run = revgraph(dir, "--json", "import", csv, "--format", "salesforce-history", "--mapping", mapping, "--dry-run");
    expect(run.json()).toMatchObject({ dryRun: true, eventsWritten: 0, streams: 2 });
    expect(await events(dir)).toEqual([]);
  });

  it("imports NDJSON events, rejecting a stream with a malformed line", async () => {
    const { dir, file } = workspace();
    const lines = [
      JSON.stringify({
        streamId: "account-a",
        type: "AccountRegistered",
        occurredAt: "2026-01-01T00:00:00Z",
        data: { accountId: "a", name: "A" },
      }),
      JSON.stringify({ streamId: "deal-x", ...sampleDealCreated }),
      JSON.stringify({
        streamId: "deal-y",
        type: "DealWon",
        occurredAt: "2026-01-02T00:00:00Z",
        data: { dealId: "y", amount: -1 },
      }),
      '{"streamId":"deal-z","type":"DealCre',
    ];
    const run = revgraph(dir, "--json", "import", file("events.ndjson", lines.join("\n")), "--format", "ndjson");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("events.ndjson row 3, column data.amount");
    expect(run.stderr).toContain("events.ndjson row 4, column (line): not JSON");
    expect(run.stderr).toContain("(stream deal-z not imported)");
    expect((await events(dir)).map((event) => event.streamId)).toEqual(["account-a", "deal-x"]);
  });

  it("prints help with examples, and exits 2 on a bad option", () => {
    const { dir } = workspace();
    const help = revgraph(dir, "import", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--format <format>");
    expect(help.stdout).toContain("Example:");
    const bad = revgraph(dir, "import", "x.csv", "--format", "excel");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are salesforce-history/);
    expect(existsSync(join(dir, "data", "revgraph.db"))).toBe(false);
  });
});
