import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** Import formats the CLI understands. */
export const importFormats = ["salesforce-history", "salesforce-opportunities", "hubspot-deals", "csv", "ndjson"] as const;
/** One import format. */
export type ImportFormat = (typeof importFormats)[number];

/** Fields a side table's `columns` may map. */
export const sideTableFields = {
  accounts: ["id", "name", "segment", "region", "industry"],
  reps: ["id", "name", "manager", "region", "startDate"],
  products: ["id", "name"],
} as const;

/** A record whose keys must be one of `keys`; an unknown key is reported with its path. */
function keyedBy<V extends z.ZodType>(keys: readonly string[], value: V) {
  return z.record(z.string(), value).superRefine((record, context) => {
    for (const key of Object.keys(record)) {
      if (!keys.includes(key))
        context.addIssue({ code: "custom", path: [key], message: `unknown field (one of ${keys.join(", ")})` });
    }
  });
}

const sideTable = (table: keyof typeof sideTableFields) =>
  z
    .object({
      /** Relative to the mapping file's folder; absolute paths are taken as they are. */
      file: z.string().min(1),
      /** Defaults to the main file's delimiter. */
      delimiter: z.string().length(1).optional(),
      columns: keyedBy(sideTableFields[table], z.string()),
    })
    .strict();

/** Every revgraph field a deal import reads from a row; `columns`, `defaults` and `normalize` may name only these. */
export const dealFields = [
  "dealId",
  "changedAt",
  "stage",
  "amount",
  "expectedCloseDate",
  "probability",
  "forecastCategory",
  "accountId",
  "ownerRepId",
  "name",
  "currency",
  "createdAt",
  "product",
  "leadSource",
  "lossReason",
  "competitor",
] as const;
const normalizedFields = [...dealFields, ...new Set(Object.values(sideTableFields).flat())];

const mappingSchema = z
  .object({
    encoding: z.enum(["utf-8", "latin1", "windows-1252"]).default("utf-8"),
    delimiter: z.string().length(1).default(","),
    timeZone: z.string().default("UTC"),
    dateFormat: z.enum(["iso", "YYYY-MM-DD", "DD.MM.YYYY", "DD/MM/YYYY", "MM/DD/YYYY"]).default("iso"),
    decimalSeparator: z.enum([".", ","]).default("."),
    /** Written between groups of three digits of amounts; `none` (the default) allows none. */
    thousandsSeparator: z.enum(["none", ",", ".", " ", "'"]).default("none"),
    /** Amounts may carry a currency symbol or ISO code before or after the number (it must match the row's currency). */
    currencyInAmounts: z.boolean().default(false),
    /** `(500)` is read as -500 (and rejected as a negative amount where amounts cannot be negative). */
    accountingNegatives: z.boolean().default(false),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default("USD"),
    /** revgraph field → source column. */
    columns: keyedBy(dealFields, z.string()).default({}),
    /** Source stage name → configured stage (or closed_won / closed_lost). */
    stages: z.record(z.string(), z.string()).default({}),
    /** Per field: source spelling → normalised value (e.g. two spellings of one product). */
    normalize: keyedBy(normalizedFields, z.record(z.string(), z.string())).default({}),
    /** Values used when a column is absent or empty (`repStartDate`: a rep's start date when the reps table has none). */
    defaults: keyedBy([...dealFields, "repStartDate"], z.string()).default({}),
    sideTables: z
      .object({
        accounts: sideTable("accounts").optional(),
        reps: sideTable("reps").optional(),
        products: sideTable("products").optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .refine((mapping) => mapping.thousandsSeparator !== mapping.decimalSeparator, {
    path: ["thousandsSeparator"],
    message: "must differ from decimalSeparator",
  });

/** A validated mapping: how to read one export. */
export type Mapping = z.output<typeof mappingSchema>;

/** A mapping file that could not be used; names the key. */
export class MappingError extends Error {
  override readonly name = "MappingError";
}

/** An input file that cannot be imported at all (missing, unreadable, a header it cannot use); names the file. */
export class ImportInputError extends Error {
  override readonly name = "ImportInputError";
}

/** Reads a file the import needs; a missing or unreadable one is an {@link ImportInputError} naming its path. */
export function readInputFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a folder" : `cannot be read (${code ?? error})`;
    throw new ImportInputError(`${what} ${resolve(path)} ${reason}`);
  }
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
    const text = readInputFile(path, "mapping file").toString("utf8");
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
    const keys = issue?.code === "unrecognized_keys" ? issue.keys : [undefined];
    const key = keys.map((name) => [...(issue?.path ?? []), ...(name === undefined ? [] : [name])].join(".")).join(", ");
    throw new MappingError(`mapping ${path ?? "(defaults)"}: ${key ? `key ${key}: ` : ""}${issue?.message ?? "invalid"}`);
  }
  const mapping = parsed.data;
  return {
    ...mapping,
    columns: { ...builtInColumns[format], ...mapping.columns },
    stages: { ...builtInStages, ...mapping.stages },
  };
}
