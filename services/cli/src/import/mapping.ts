import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** Import formats the CLI understands. */
export const importFormats = ["salesforce-history", "salesforce-opportunities", "hubspot-deals", "csv", "ndjson"] as const;
/** One import format. */
export type ImportFormat = (typeof importFormats)[number];

const sideTable = z.object({
  file: z.string().min(1),
  /** Defaults to the main file's delimiter. */
  delimiter: z.string().length(1).optional(),
  columns: z.record(z.string(), z.string()),
});

const mappingSchema = z
  .object({
    encoding: z.enum(["utf-8", "latin1", "windows-1252"]).default("utf-8"),
    delimiter: z.string().length(1).default(","),
    timeZone: z.string().default("UTC"),
    dateFormat: z.enum(["iso", "YYYY-MM-DD", "DD.MM.YYYY", "DD/MM/YYYY", "MM/DD/YYYY"]).default("iso"),
    decimalSeparator: z.enum([".", ","]).default("."),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default("USD"),
    /** revgraph field → source column. */
    columns: z.record(z.string(), z.string()).default({}),
    /** Source stage name → configured stage (or closed_won / closed_lost). */
    stages: z.record(z.string(), z.string()).default({}),
    /** Per field: source spelling → normalised value (e.g. two spellings of one product). */
    normalize: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    /** Values used when a column is absent or empty. */
    defaults: z.record(z.string(), z.string()).default({}),
    sideTables: z
      .object({ accounts: sideTable.optional(), reps: sideTable.optional(), products: sideTable.optional() })
      .default({}),
  })
  .strict();

/** A validated mapping: how to read one export. */
export type Mapping = z.output<typeof mappingSchema>;

/** A mapping file that could not be used; names the key. */
export class MappingError extends Error {
  override readonly name = "MappingError";
}

const builtInColumns: Record<ImportFormat, Record<string, string>> = {
  "salesforce-history": {
    dealId: "OpportunityId",
    changedAt: "CreatedDate",
    stage: "StageName",
    amount: "Amount",
    expectedCloseDate: "CloseDate",
    probability: "Probability",
    forecastCategory: "ForecastCategoryName",
    accountId: "AccountId",
    ownerRepId: "OwnerId",
    name: "OpportunityName",
    currency: "CurrencyIsoCode",
  },
  "salesforce-opportunities": {
    dealId: "Id",
    name: "Name",
    accountId: "AccountId",
    ownerRepId: "OwnerId",
    stage: "StageName",
    amount: "Amount",
    createdAt: "CreatedDate",
    expectedCloseDate: "CloseDate",
    product: "Product",
    lossReason: "Loss_Reason__c",
    competitor: "Competitor__c",
    currency: "CurrencyIsoCode",
  },
  "hubspot-deals": {
    dealId: "Record ID",
    name: "Deal Name",
    accountId: "Associated Company",
    ownerRepId: "Deal owner",
    stage: "Deal Stage",
    amount: "Amount",
    createdAt: "Create Date",
    expectedCloseDate: "Close Date",
    product: "Product",
    lossReason: "Closed Lost Reason",
    currency: "Currency",
  },
  csv: {},
  ndjson: {},
};

const builtInStages: Record<string, string> = {
  Prospecting: "discovery",
  Qualification: "discovery",
  "Needs Analysis": "discovery",
  Discovery: "discovery",
  "Value Proposition": "technical_validation",
  "Technical Validation": "technical_validation",
  "Id. Decision Makers": "business_case",
  "Perception Analysis": "business_case",
  "Proposal/Price Quote": "business_case",
  "Business Case": "business_case",
  "Negotiation/Review": "negotiation",
  Negotiation: "negotiation",
  "Closed Won": "closed_won",
  "Closed Lost": "closed_lost",
  appointmentscheduled: "discovery",
  qualifiedtobuy: "discovery",
  presentationscheduled: "technical_validation",
  decisionmakerboughtin: "business_case",
  contractsent: "negotiation",
  closedwon: "closed_won",
  closedlost: "closed_lost",
  Won: "closed_won",
  Lost: "closed_lost",
};

/** Reads and validates a mapping file (YAML or JSON) and merges it over the format's built-in defaults. */
export function loadMapping(format: ImportFormat, path?: string): Mapping {
  let raw: unknown = {};
  if (path) {
    const text = readFileSync(path, "utf8");
    try {
      raw = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new MappingError(
        `mapping ${path}: not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  const parsed = mappingSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key =
      issue?.path.join(".") || (issue?.code === "unrecognized_keys" ? (issue as { keys?: string[] }).keys?.join(", ") : "");
    throw new MappingError(`mapping ${path ?? "(defaults)"}: ${key ? `key ${key}: ` : ""}${issue?.message ?? "invalid"}`);
  }
  const mapping = parsed.data;
  return {
    ...mapping,
    columns: { ...builtInColumns[format], ...mapping.columns },
    stages: { ...builtInStages, ...mapping.stages },
  };
}
