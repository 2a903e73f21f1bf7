import { join } from "node:path";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import { describe, expect, it } from "vitest";
import { germanCrmMapping, revgraph, workspace } from "./cli-harness.ts";

interface Report {
  faithful: boolean;
  deals: { source: number; store: number; compared: number; rejected: number };
  differences: { dealId: string; field: string; source: unknown; store: unknown }[];
  aggregates: { measure: string; key: string; source: number; store: number; matches: boolean }[];
  rejected: { dealId: string | null; rows: number[] }[];
}

/** Salesforce OpportunityHistory in Latin-1 with German stage names, three currencies, and one bad row. */
const history = `OpportunityId;OpportunityName;AccountId;OwnerId;CreatedDate;StageName;Amount;CloseDate;CurrencyIsoCode
Ö-1;Müller Erneuerung;Müller GmbH;Jörg;05.01.2026 09:00;Qualifizierung;10.000,00;31.03.2026;EUR
Ö-1;Müller Erneuerung;Müller GmbH;Jörg;20.01.2026 09:00;Angebot;12.000,00;31.03.2026;EUR
Ö-1;Müller Erneuerung;Müller GmbH;Jörg;10.02.2026 09:00;Angebot;12.000,00;15.05.2026;EUR
Ö-1;Müller Erneuerung;Müller GmbH;Jörg;10.04.2026 09:00;Gewonnen;12.500,00;10.04.2026;EUR
Z-2;Zürich Pilot;Søren AG;Jörg;10.01.2026 23:30;Qualifizierung;50.000,00;28.02.2026;CHF
Z-2;Zürich Pilot;Søren AG;Jörg;25.02.2026 09:00;Verloren;45.000,00;25.02.2026;CHF
U-3;Globex Ausbau;Globex;Luis;12.01.2026 09:00;Qualifizierung;7.500,50;30.06.2026;USD
U-3;Globex Ausbau;Globex;Luis;01.03.2026 09:00;Angebot;;30.06.2026;USD
X-4;Kaputt;Globex;Luis;31.02.2026 09:00;Qualifizierung;1.000,00;30.06.2026;USD
`;
const historyMapping = `encoding: latin1
delimiter: ";"
dateFormat: DD.MM.YYYY
decimalSeparator: ","
thousandsSeparator: "."
timeZone: Europe/Berlin
stages: { Qualifizierung: discovery, Angebot: business_case, Gewonnen: closed_won, Verloren: closed_lost }
`;

function reconcile(dir: string, ...args: string[]) {
  const run = revgraph(dir, "--json", "reconcile", ...args);
  return { code: run.code, stderr: run.stderr, report: () => run.json() as Report };
}

describe("revgraph reconcile (real CLI processes)", () => {
  // Four CLI processes: more than the default 30 s when the machine is busy.
  it("finds a Latin-1 history import with localized stages and three currencies faithful, listing rejected rows apart, then names a deal edited in the store", {
    timeout: 120_000,
  }, async () => {
    const { dir, file } = workspace();
    const csv = file("history.csv", history, "latin1");
    const mapping = file("mapping.yaml", historyMapping);
    expect(revgraph(dir, "import", csv, "--format", "salesforce-history", "--mapping", mapping).code).toBe(3);

    const faithful = reconcile(dir, csv, "--format", "salesforce-history", "--mapping", mapping);
    expect(faithful.code, faithful.stderr).toBe(0);
    const report = faithful.report();
    expect(report).toMatchObject({ faithful: true, deals: { source: 3, store: 3, compared: 3, rejected: 1 }, differences: [] });
    expect(report.rejected).toEqual([expect.objectContaining({ dealId: "X-4", rows: [10] })]);
    expect(report.aggregates).toEqual(
      expect.arrayContaining([
        { measure: "amount in currency", key: "EUR", source: 12_500, store: 12_500, matches: true },
        { measure: "amount in currency", key: "CHF", source: 45_000, store: 45_000, matches: true },
        { measure: "amount in currency", key: "USD", source: 7_500.5, store: 7_500.5, matches: true },
        { measure: "deals in stage", key: "business_case", source: 1, store: 1, matches: true },
        { measure: "won in quarter", key: "2026-Q2", source: 1, store: 1, matches: true },
        { measure: "lost in quarter", key: "2026-Q1", source: 1, store: 1, matches: true },
      ]),
    );

    // Someone edits an imported deal in the store afterwards: a new amount, and a later close date.
    const store = openSqliteEventStore({ path: join(dir, "data", "revgraph.db") });
    await store.append("deal-U-3", [
      { type: "DealAmountChanged", data: { dealId: "U-3", amount: 9_000, currency: "USD" }, occurredAt: "2026-03-05T10:00:00Z" },
      {
        type: "DealCloseDateChanged",
        data: { dealId: "U-3", expectedCloseDate: "2026-09-30" },
        occurredAt: "2026-03-05T10:00:00Z",
      },
    ]);
    await store.close();

    const edited = reconcile(dir, csv, "--format", "salesforce-history", "--mapping", mapping);
    expect(edited.code).toBe(5);
    const differences = edited.report().differences;
    expect(differences).toEqual([
      { dealId: "U-3", field: "amount", source: 7_500.5, store: 9_000 },
      { dealId: "U-3", field: "expectedCloseDate", source: "2026-06-30", store: "2026-09-30" },
      { dealId: "U-3", field: "changes", source: 1, store: 2 },
    ]);
    expect(edited.report().aggregates.filter((row) => !row.matches)).toEqual([
      { measure: "amount in currency", key: "USD", source: 7_500.5, store: 9_000, matches: false },
    ]);

    const text = revgraph(dir, "reconcile", csv, "--format", "salesforce-history", "--mapping", mapping);
    expect(text.code).toBe(5);
    expect(text.stdout).toContain("NOT faithful");
    expect(text.stdout).toMatch(/U-3\s+amount\s+7,500\.5\s+9,000/);
    expect(text.stdout).toMatch(/X-4\s+10\s+row 10, column CreatedDate/);
  });

  const opportunitiesCsv = `Id,Name,AccountId,OwnerId,StageName,Amount,CreatedDate,CloseDate,CurrencyIsoCode
O-1,Alpha,A1,R1,Closed Won,20000,2026-01-05T10:00:00Z,2026-02-20,USD
O-2,Beta,A1,R1,Closed Lost,15000,2026-01-06T10:00:00Z,2026-03-01,EUR
O-3,Gamma,A2,R2,Negotiation/Review,30000,2026-02-01T10:00:00Z,2026-05-31,USD
`;

  // Six CLI processes: more than the default 30 s when the machine is busy.
  it("reconciles the one-row formats (Salesforce opportunities, HubSpot deals, a Latin-1 mapped CSV) as faithful", {
    timeout: 120_000,
  }, () => {
    const { dir, file } = workspace();
    const opportunities = file("opportunities.csv", opportunitiesCsv);
    const hubspot = file(
      "hubspot.csv",
      `Record ID,Deal Name,Associated Company,Deal owner,Deal Stage,Amount,Create Date,Close Date,Currency
H-1,Delta,C1,R3,closedwon,5000,2026-01-10 09:00,2026-04-02,GBP
H-2,Epsilon,C2,R3,qualifiedtobuy,8000,2026-01-11 09:00,2026-06-30,USD
`,
    );
    const crm = file(
      "pipeline.csv",
      [
        "opportunity_id;sales_agent;account;deal_stage;engage_date;close_date;close_value;currency",
        "P1;Jörg Weiß;Müller GmbH;Gewonnen;03.01.2026;17.02.2026;4.821,50;EUR",
        "P2;Jörg Weiß;Müller GmbH;Verloren;05.01.2026;20.03.2026;;EUR",
        "P3;Luis Peña;Søren & Co;In Prüfung;10.02.2026;;;DKK",
      ].join("\n"),
      "latin1",
    );
    const crmMapping = file(
      "crm.yaml",
      germanCrmMapping(
        "{ dealId: opportunity_id, ownerRepId: sales_agent, accountId: account, stage: deal_stage, createdAt: engage_date, expectedCloseDate: close_date, amount: close_value, currency: currency }",
        "{ In Prüfung: technical_validation, Gewonnen: closed_won, Verloren: closed_lost }",
      ),
    );
    const sources: [string, string, ...string[]][] = [
      [opportunities, "salesforce-opportunities"],
      [hubspot, "hubspot-deals"],
      [crm, "csv", "--mapping", crmMapping],
    ];
    const reports = sources.map(([path, format, ...rest]) => {
      expect(revgraph(dir, "import", path, "--format", format, ...rest).code).toBe(0);
      const run = reconcile(dir, path, "--format", format, ...rest);
      expect(run.code, `${format}: ${run.stderr}`).toBe(0);
      expect(run.report()).toMatchObject({ faithful: true, differences: [] });
      return run.report();
    });
    expect(reports[1]?.aggregates).toEqual(
      expect.arrayContaining([{ measure: "won in quarter", key: "2026-Q2", source: 1, store: 1, matches: true }]),
    );
    expect(reports[2]?.aggregates).toEqual(
      expect.arrayContaining([
        { measure: "amount in currency", key: "EUR", source: 4_821.5, store: 4_821.5, matches: true },
        { measure: "deals in stage", key: "technical_validation", source: 1, store: 1, matches: true },
        { measure: "lost in quarter", key: "2026-Q1", source: 1, store: 1, matches: true },
      ]),
    );
  });

  // Two CLI processes, which can take over 10 s each when the machine is busy.
  it("names every planted difference when the export no longer matches the store", { timeout: 120_000 }, () => {
    const { dir, file } = workspace();
    const opportunities = file("opportunities.csv", opportunitiesCsv);
    expect(revgraph(dir, "import", opportunities, "--format", "salesforce-opportunities").code).toBe(0);
    // The export changes after the import: O-3 is now won, O-1's amount differs, and O-4 was never imported.
    file(
      "opportunities.csv",
      `Id,Name,AccountId,OwnerId,StageName,Amount,CreatedDate,CloseDate,CurrencyIsoCode
O-1,Alpha,A1,R1,Closed Won,21000,2026-01-05T10:00:00Z,2026-02-20,USD
O-2,Beta,A1,R1,Closed Lost,15000,2026-01-06T10:00:00Z,2026-03-01,EUR
O-3,Gamma,A2,R2,Closed Won,30000,2026-02-01T10:00:00Z,2026-05-31,USD
O-4,Omega,A2,R2,Prospecting,1000,2026-02-02T10:00:00Z,2026-06-30,USD
`,
    );
    const planted = reconcile(dir, opportunities, "--format", "salesforce-opportunities");
    expect(planted.code).toBe(5);
    expect(planted.report().differences).toEqual([
      { dealId: "O-1", field: "amount", source: 21_000, store: 20_000 },
      { dealId: "O-3", field: "stage", source: "closed_won", store: "negotiation" },
      { dealId: "O-3", field: "status", source: "won", store: "open" },
      { dealId: "O-3", field: "closedDate", source: "2026-05-31", store: null },
      { dealId: "O-3", field: "changes", source: 1, store: 0 },
      { dealId: "O-4", field: "presence", source: "present", store: "missing" },
    ]);
  });

  // Six CLI processes: more than the default 30 s when the machine is busy.
  it("refuses NDJSON, a missing file, a bad mapping, an unmapped id column and a file that is not CSV with exit 2, naming what", {
    timeout: 120_000,
  }, () => {
    const { dir, file } = workspace();
    expect(revgraph(dir, "reconcile", "events.ndjson", "--format", "ndjson").code).toBe(2);
    const missing = revgraph(dir, "reconcile", join(dir, "nope.csv"), "--format", "csv");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.csv: no such file");
    const csv = file("x.csv", "a,b\n1,2\n");
    const bad = revgraph(dir, "reconcile", csv, "--format", "csv", "--mapping", file("bad.yaml", "timeZone: Mars/Olympus\n"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("timeZone");
    const unmapped = revgraph(dir, "reconcile", csv, "--format", "salesforce-history");
    expect(unmapped.code).toBe(2);
    expect(unmapped.stderr).toContain('x.csv has no column "OpportunityId" for dealId (map it under "columns:"); columns: a, b');
    const broken = revgraph(
      dir,
      "reconcile",
      file("broken.csv", 'Id,Name\n"O-1,Alpha\nO-2,"Be"ta"\n'),
      "--format",
      "hubspot-deals",
    );
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^revgraph: broken\.csv: DuckDB's CSV reader cannot read it: .+\n$/);
  });
});
