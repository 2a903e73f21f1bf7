import { hash } from "node:crypto";
import { basename } from "node:path";
import { dealIdOf, defaultConfig, type RevenueConfig, streamIds } from "@revgraph/domain";
import {
  canonicalJson,
  freezeEvent,
  InvalidEventError,
  lossReasons,
  type NewEvent,
  uuidFromHex,
  validateEvent,
} from "@revgraph/events";
import type { ImportFormat, Mapping } from "./mapping.ts";
import type { SourceLine, SourceRow } from "./rows.ts";
import { CellError, RowReader } from "./values.ts";

/** A bad row: where (row and column) and why. */
export interface RowProblem {
  readonly file: string;
  readonly row: number;
  readonly column: string;
  readonly reason: string;
  readonly dealId?: string;
}

/** Events for one stream and the source rows they came from. */
export interface StreamBatch {
  readonly streamId: string;
  readonly events: NewEvent[];
  readonly rows: readonly number[];
}

/** The result of converting a file: streams to append (organisation first), and the problems found. */
export interface Conversion {
  readonly streams: StreamBatch[];
  readonly problems: RowProblem[];
  readonly rowsRead: number;
  readonly rejectedDeals: number;
}

/** The first 8 hex digits of every id an import derives for a stream's events, and the order streams are written in. */
function streamPrefix(streamId: string): string {
  return hash("sha256", streamId, "hex").slice(0, 8);
}

/**
 * A deterministic event id: the same source content always yields the same id, so re-imports change nothing. Its
 * first 8 hex digits derive from the stream alone, so a stream's events sit together in the store's id index and
 * a batch of streams written in prefix order touches few of its pages.
 */
function sourceEventId(format: string, streamId: string, contentKey: string, ordinal: number): string {
  return uuidFromHex(`${streamPrefix(streamId)}${hash("sha256", `${format}|${contentKey}|${ordinal}`, "hex").slice(8)}`);
}

function slug(value: string): string {
  return (
    value
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "unknown"
  );
}

class StreamCollector {
  readonly #format: string;
  readonly #file: string;
  readonly #seen = new Map<string, number>();
  constructor(format: string, file: string) {
    this.#format = format;
    this.#file = basename(file);
  }
  event(streamId: string, type: string, data: Record<string, unknown>, occurredAt: string, row: number): NewEvent {
    const key = `${streamId}|${type}|${occurredAt}|${canonicalJson(data)}`;
    const ordinal = this.#seen.get(key) ?? 0;
    this.#seen.set(key, ordinal + 1);
    // Frozen, so the store's validation of it is the one this importer already ran (see `freezeEvent`).
    return freezeEvent({
      id: sourceEventId(this.#format, streamId, key, ordinal),
      type,
      data,
      occurredAt,
      actor: `import:${this.#format}`,
      source: { system: this.#format, file: this.#file, row },
    });
  }
}

function lossReason(text: string | undefined): { reason: string; note?: string } {
  if (!text) return { reason: "other" };
  const normalised = text.toLowerCase().replace(/[\s-]+/g, "_");
  if ((lossReasons as readonly string[]).includes(normalised)) return { reason: normalised };
  const table: [RegExp, string][] = [
    [/pric|budget|cost|preis/i, "pricing"],
    [/compet|wettbewerb/i, "competition"],
    [/timing|later|zeit/i, "timing"],
    [/no.?decision|status quo|dark|keine entscheidung/i, "no_decision"],
  ];
  return { reason: table.find(([pattern]) => pattern.test(text))?.[1] ?? "other", note: text };
}

const forecastCategoryNames: Record<string, string> = {
  pipeline: "pipeline",
  "best case": "best_case",
  best_case: "best_case",
  commit: "commit",
  omitted: "omitted",
};

/** Checks every event of a deal like the store will; the first invalid one rejects the deal. */
function validated(events: NewEvent[]): string | null {
  for (const [index, event] of events.entries()) {
    try {
      validateEvent(event, index);
    } catch (error) {
      if (error instanceof InvalidEventError)
        return error.issues.map((issue) => `${error.eventType} ${issue.path}: ${issue.reason}`).join("; ");
      throw error;
    }
  }
  return null;
}

interface DealRows {
  readonly dealId: string;
  readonly rows: SourceRow[];
  /** A defective row elsewhere whose deal id reads as this one once its undecodable bytes are left out. */
  readonly suspect?: SourceRow;
}

function groupByDeal(rows: readonly SourceRow[], reader: RowReader, file: string, problems: RowProblem[]): DealRows[] {
  const byDeal = new Map<string, SourceRow[]>();
  const suspects = new Map<string, SourceRow>();
  for (const row of rows) {
    const dealId = reader.text(row, "dealId");
    if (!dealId) {
      problems.push({
        file,
        row: row.row,
        column: row.defect?.column ?? reader.column("dealId"),
        reason: row.defect?.reason ?? "is empty: every row needs a deal id",
      });
      continue;
    }
    if (row.defect && dealId.includes("\uFFFD")) suspects.set(dealId.replaceAll("\uFFFD", ""), row);
    const list = byDeal.get(dealId);
    if (list) list.push(row);
    else byDeal.set(dealId, [row]);
  }
  return [...byDeal]
    .map(([dealId, dealRows]) => ({ dealId, dealRows, prefix: streamPrefix(streamIds.deal(dealId)) }))
    .sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0))
    .map(({ dealId, dealRows }) => {
      const suspect = suspects.get(dealId);
      return suspect ? { dealId, rows: dealRows, suspect } : { dealId, rows: dealRows };
    });
}

/** What a deal conversion found, filled in while its streams are taken. */
export interface DealConversionReport {
  readonly problems: RowProblem[];
  rejectedDeals: number;
  /** Deal id → the business date it started (for reps' default start dates). */
  readonly dealStartDates: Map<string, string>;
}

/** An empty {@link DealConversionReport}. */
export function dealConversionReport(): DealConversionReport {
  return { problems: [], rejectedDeals: 0, dealStartDates: new Map() };
}

/**
 * Converts source rows of any deal format into per-deal event streams, yielded one deal at a time in the order of
 * their id prefix (so a caller can write them as they come); a deal with any bad row is rejected whole and reported
 * in `report`.
 */
export function* convertDeals(
  format: Exclude<ImportFormat, "ndjson">,
  file: string,
  rows: readonly SourceRow[],
  mapping: Mapping,
  report: DealConversionReport,
  config: RevenueConfig = defaultConfig,
): Generator<StreamBatch> {
  const reader = new RowReader(mapping);
  const { problems, dealStartDates } = report;
  const knownStages = [...config.stages.map((stage) => stage.id), config.wonStage, config.lostStage];
  for (const { dealId, rows: dealRows, suspect } of groupByDeal(rows, reader, file, problems)) {
    const streamId = streamIds.deal(dealId);
    // One collector per deal: it numbers identical events within their stream, and is dropped with the deal.
    const collector = new StreamCollector(format, file);
    const dealProblems: RowProblem[] = [];
    const events: NewEvent[] = [];
    const attempt = (row: SourceRow, work: () => void) => {
      if (row.defect) return;
      try {
        work();
      } catch (error) {
        if (!(error instanceof CellError)) throw error;
        dealProblems.push({ file, row: row.row, column: error.column, reason: error.message, dealId });
      }
    };
    if (format === "salesforce-history") {
      const ordered = dealRows
        .map((row) => {
          let at = "";
          attempt(row, () => {
            at =
              reader.instant(row, "changedAt") ??
              (() => {
                throw new CellError(reader.column("changedAt"), "is empty: each change needs its timestamp");
              })();
          });
          return { row, at };
        })
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.row.row - b.row.row));
      let previous: { stage: string; amount: number; close: string; probability?: number; category?: string } | undefined;
      for (const { row, at } of ordered) {
        if (!at) continue;
        attempt(row, () => {
          const stage = reader.stage(row, "stage", knownStages);
          const amount = reader.money(row, "amount") ?? previous?.amount ?? 0;
          const close = reader.date(row, "expectedCloseDate") ?? previous?.close ?? at.slice(0, 10);
          const probability = reader.probability(row, "probability");
          const categoryText = reader.text(row, "forecastCategory");
          const category = categoryText ? forecastCategoryNames[categoryText.toLowerCase()] : undefined;
          const currency = reader.text(row, "currency") ?? mapping.currency;
          const data = { dealId };
          if (!previous) {
            const openStage = stage === config.wonStage || stage === config.lostStage ? (config.stages[0]?.id as string) : stage;
            events.push(
              collector.event(
                streamId,
                "DealCreated",
                {
                  dealId,
                  accountId: reader.text(row, "accountId") ?? "unknown-account",
                  ownerRepId: reader.text(row, "ownerRepId") ?? "unknown-owner",
                  name: reader.text(row, "name") ?? dealId,
                  amount,
                  currency,
                  stage: openStage,
                  expectedCloseDate: close,
                },
                at,
                row.row,
              ),
            );
            dealStartDates.set(dealId, at.slice(0, 10));
            previous = { stage: openStage, amount, close };
          }
          // A row that closes the deal is one act (KPIS.md): the amount and close date it sets go on the close event,
          // so they are never a change (or a push) of the open deal.
          const closes = stage !== previous.stage && (stage === config.wonStage || stage === config.lostStage);
          const amountChanges = amount !== previous.amount;
          const closeChanges = close !== previous.close;
          if (amountChanges && !closes)
            events.push(collector.event(streamId, "DealAmountChanged", { ...data, amount, currency }, at, row.row));
          if (closeChanges && !closes)
            events.push(collector.event(streamId, "DealCloseDateChanged", { ...data, expectedCloseDate: close }, at, row.row));
          const closingDate = closeChanges ? { expectedCloseDate: close } : {};
          if (stage !== previous.stage) {
            const wasClosed = previous.stage === config.wonStage || previous.stage === config.lostStage;
            if (stage === config.wonStage)
              events.push(collector.event(streamId, "DealWon", { ...data, amount, currency, ...closingDate }, at, row.row));
            else if (stage === config.lostStage)
              events.push(
                collector.event(
                  streamId,
                  "DealLost",
                  {
                    ...data,
                    ...lossReason(reader.text(row, "lossReason")),
                    ...(amountChanges ? { amount, currency } : {}),
                    ...closingDate,
                  },
                  at,
                  row.row,
                ),
              );
            else if (wasClosed) events.push(collector.event(streamId, "DealReopened", { ...data, stage }, at, row.row));
            else
              events.push(
                collector.event(streamId, "DealStageChanged", { ...data, from: previous.stage, to: stage }, at, row.row),
              );
          }
          if (
            probability !== undefined &&
            probability !== previous.probability &&
            stage !== config.wonStage &&
            stage !== config.lostStage
          ) {
            events.push(collector.event(streamId, "DealProbabilityChanged", { ...data, probability }, at, row.row));
          }
          if (category && category !== previous.category)
            events.push(collector.event(streamId, "DealForecastCategoryChanged", { ...data, category }, at, row.row));
          previous = {
            stage,
            amount,
            close,
            ...(probability !== undefined ? { probability } : {}),
            ...(category ? { category } : {}),
          };
        });
      }
    } else {
      if (dealRows.length > 1) {
        for (const row of dealRows.slice(1))
          dealProblems.push({
            file,
            row: row.row,
            column: reader.column("dealId"),
            reason: `deal ${dealId} appears more than once in a one-row-per-deal export`,
            dealId,
          });
      }
      const row = dealRows[0] as SourceRow;
      attempt(row, () => {
        const stage = reader.stage(row, "stage", knownStages);
        const createdAt = reader.instant(row, "createdAt");
        if (!createdAt)
          throw new CellError(reader.column("createdAt"), "is empty: the deal's creation (or engage) date is needed");
        const closeDate = reader.date(row, "expectedCloseDate");
        const closedAt = reader.instant(row, "expectedCloseDate");
        const amount = reader.money(row, "amount");
        const closed = stage === config.wonStage || stage === config.lostStage;
        if (closed && !closedAt)
          throw new CellError(reader.column("expectedCloseDate"), "is empty: a closed deal needs its close date");
        if (stage === config.wonStage && amount === undefined)
          throw new CellError(reader.column("amount"), "is empty: a won deal needs its amount");
        const currency = reader.text(row, "currency") ?? mapping.currency;
        const product = reader.text(row, "product");
        events.push(
          collector.event(
            streamIds.deal(dealId),
            "DealCreated",
            {
              dealId,
              accountId: reader.text(row, "accountId") ?? "unknown-account",
              ownerRepId: reader.text(row, "ownerRepId") ?? "unknown-owner",
              name: reader.text(row, "name") ?? dealId,
              amount: amount ?? 0,
              currency,
              stage: closed ? (config.stages[0]?.id as string) : stage,
              expectedCloseDate: closeDate ?? createdAt.slice(0, 10),
              ...(product ? { product } : {}),
              ...(reader.text(row, "leadSource") ? { leadSource: reader.text(row, "leadSource") } : {}),
            },
            createdAt,
            row.row,
          ),
        );
        dealStartDates.set(dealId, createdAt.slice(0, 10));
        if (closedAt && closedAt < createdAt)
          throw new CellError(
            reader.column("expectedCloseDate"),
            `closes (${closeDate}) before it was created (${createdAt.slice(0, 10)})`,
          );
        // The close carries the row's close date and amount (one act, as in the history formats); a one-row export
        // has no earlier values, so the deal is created with the same ones and nothing changes at the close.
        if (stage === config.wonStage)
          events.push(
            collector.event(
              streamId,
              "DealWon",
              { dealId, amount, currency, expectedCloseDate: closeDate },
              closedAt as string,
              row.row,
            ),
          );
        if (stage === config.lostStage) {
          const competitor = reader.text(row, "competitor");
          events.push(
            collector.event(
              streamId,
              "DealLost",
              {
                dealId,
                ...lossReason(reader.text(row, "lossReason")),
                ...(competitor ? { competitor } : {}),
                ...(amount !== undefined ? { amount, currency } : {}),
                expectedCloseDate: closeDate,
              },
              closedAt as string,
              row.row,
            ),
          );
        }
      });
    }
    for (const row of dealRows)
      if (row.defect) dealProblems.push({ file, row: row.row, column: row.defect.column, reason: row.defect.reason, dealId });
    if (suspect?.defect)
      dealProblems.push({
        file,
        row: suspect.row,
        column: suspect.defect.column,
        reason: `${suspect.defect.reason}; the row may belong to this deal`,
        dealId,
      });
    if (dealProblems.length === 0) {
      const invalid = validated(events);
      if (invalid) dealProblems.push({ file, row: dealRows[0]?.row ?? 0, column: "(event)", reason: invalid, dealId });
    }
    if (dealProblems.length > 0) {
      problems.push(...dealProblems);
      report.rejectedDeals++;
      continue;
    }
    yield { streamId, events, rows: dealRows.map((row) => row.row) };
  }
}

/** Side tables (accounts, reps with their managers, products) as organisation events. */
export function convertSideTables(
  format: string,
  tables: { accounts?: { file: string; rows: SourceRow[] }; reps?: { file: string; rows: SourceRow[] } },
  mapping: Mapping,
  dealsByOwner: Map<string, string>,
): Conversion {
  const streams: StreamBatch[] = [];
  const problems: RowProblem[] = [];
  const epoch = "2000-01-01T00:00:00.000Z";
  const columns = (table: "accounts" | "reps") => mapping.sideTables[table]?.columns ?? {};
  const cell = (row: SourceRow, table: "accounts" | "reps", field: string) => {
    const raw = row.values[columns(table)[field] ?? field]?.trim();
    return raw ? (mapping.normalize[field]?.[raw] ?? raw) : undefined;
  };
  if (tables.accounts) {
    const collector = new StreamCollector(format, tables.accounts.file);
    for (const row of tables.accounts.rows) {
      if (row.defect) {
        problems.push({ file: tables.accounts.file, row: row.row, column: row.defect.column, reason: row.defect.reason });
        continue;
      }
      const accountId = cell(row, "accounts", "id");
      if (!accountId) {
        problems.push({
          file: tables.accounts.file,
          row: row.row,
          column: columns("accounts").id ?? "id",
          reason: "is empty: every account needs an id",
        });
        continue;
      }
      const data = {
        accountId,
        name: cell(row, "accounts", "name") ?? accountId,
        ...(cell(row, "accounts", "segment") ? { segment: cell(row, "accounts", "segment") } : {}),
        ...(cell(row, "accounts", "region") ? { region: cell(row, "accounts", "region") } : {}),
        ...(cell(row, "accounts", "industry") ? { industry: cell(row, "accounts", "industry") } : {}),
      };
      streams.push({
        streamId: streamIds.account(accountId),
        events: [collector.event(streamIds.account(accountId), "AccountRegistered", data, epoch, row.row)],
        rows: [row.row],
      });
    }
  }
  if (tables.reps) {
    const collector = new StreamCollector(format, tables.reps.file);
    const teams = new Map<string, { events: NewEvent[]; rows: number[] }>();
    for (const row of tables.reps.rows) {
      if (row.defect) {
        problems.push({ file: tables.reps.file, row: row.row, column: row.defect.column, reason: row.defect.reason });
        continue;
      }
      const repId = cell(row, "reps", "id");
      if (!repId) {
        problems.push({
          file: tables.reps.file,
          row: row.row,
          column: columns("reps").id ?? "id",
          reason: "is empty: every rep needs an id",
        });
        continue;
      }
      const manager = cell(row, "reps", "manager") ?? "unassigned";
      const teamId = slug(manager);
      if (!teams.has(teamId)) {
        const region = cell(row, "reps", "region");
        teams.set(teamId, {
          events: [
            collector.event(
              streamIds.team(teamId),
              "TeamFormed",
              { teamId, name: manager, ...(region ? { region } : {}) },
              epoch,
              row.row,
            ),
            collector.event(streamIds.team(teamId), "ManagerAssigned", { teamId, managerRepId: slug(manager) }, epoch, row.row),
          ],
          rows: [row.row],
        });
      }
      const startDate =
        cell(row, "reps", "startDate") ?? mapping.defaults.repStartDate ?? dealsByOwner.get(repId) ?? "2000-01-01";
      const region = cell(row, "reps", "region");
      const hired = collector.event(
        streamIds.rep(repId),
        "RepHired",
        { repId, name: cell(row, "reps", "name") ?? repId, teamId, startDate, ...(region ? { region } : {}) },
        `${startDate}T00:00:00.000Z`,
        row.row,
      );
      const invalid = validated([hired]);
      if (invalid) {
        problems.push({ file: tables.reps.file, row: row.row, column: "(event)", reason: invalid });
        continue;
      }
      streams.push({ streamId: streamIds.rep(repId), events: [hired], rows: [row.row] });
    }
    for (const [teamId, team] of teams)
      streams.unshift({ streamId: streamIds.team(teamId), events: team.events, rows: team.rows });
  }
  return { streams, problems, rowsRead: (tables.accounts?.rows.length ?? 0) + (tables.reps?.rows.length ?? 0), rejectedDeals: 0 };
}

/** Keys an NDJSON event line may have: what `revgraph export events` writes. Store-assigned ones are not imported. */
const ndjsonKeys = new Set([
  "id",
  "type",
  "schemaVersion",
  "streamId",
  "streamRevision",
  "globalPosition",
  "occurredAt",
  "recordedAt",
  "actor",
  "source",
  "causationId",
  "correlationId",
  "data",
  "prevHash",
  "hash",
]);
/** Envelope fields that may be `null` in an export, meaning "not set". */
const nullableKeys = ["source", "causationId", "correlationId"] as const;

interface NdjsonEvent {
  readonly line: number;
  readonly event: NewEvent;
  /** The line's content in canonical form, to tell identical duplicates from conflicting ones. */
  readonly canonical: string;
}

/** The stream id a line names, also from a line that is not valid JSON, or undefined when it cannot be told. */
function namedStream(text: string, parsed: unknown): string | undefined {
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
    const streamId = (parsed as Record<string, unknown>).streamId;
    return typeof streamId === "string" && streamId.length > 0 ? streamId : undefined;
  }
  if (parsed !== undefined) return undefined;
  const literal = /"streamId"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(text)?.[1];
  try {
    const streamId: unknown = literal ? JSON.parse(literal) : undefined;
    return typeof streamId === "string" && streamId.length > 0 ? streamId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * NDJSON of events, one `{ streamId, type, data, occurredAt, id?, … }` per line (what `export events` writes; the
 * store's own fields such as positions, `recordedAt` and hashes are assigned again). A stream with any bad line is
 * rejected whole; a bad line whose stream cannot be told rejects the whole file. Events without `id` get one derived
 * from their stream, their place in it and their content, so blank lines or other streams do not change it;
 * identical lines with the same `id` are one event.
 */
export function convertNdjson(file: string, lines: readonly SourceLine[]): Conversion {
  const name = basename(file);
  const problems: RowProblem[] = [];
  const byStream = new Map<string, { events: NdjsonEvent[]; bad: boolean }>();
  const streamOf = (streamId: string) => {
    const entry = byStream.get(streamId) ?? { events: [], bad: false };
    byStream.set(streamId, entry);
    return entry;
  };
  let unknownStream = false;
  const reject = (line: number, column: string, reason: string, streamId: string | undefined) => {
    problems.push({
      file,
      row: line,
      column,
      reason: streamId === undefined ? reason : `${reason} (stream ${streamId} not imported)`,
    });
    if (streamId === undefined) unknownStream = true;
    else streamOf(streamId).bad = true;
  };
  for (const { line, text, defect } of lines) {
    let parsed: unknown;
    let syntax: string | undefined;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      syntax = error instanceof Error ? error.message : String(error);
    }
    const streamId = namedStream(text, parsed);
    if (defect) {
      reject(line, defect.column, defect.reason, streamId);
      continue;
    }
    if (syntax !== undefined) {
      reject(line, "(line)", `not JSON: ${syntax}`, streamId);
      continue;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      reject(line, "(line)", `${JSON.stringify(parsed)} is not an event (a JSON object)`, undefined);
      continue;
    }
    const fields = parsed as Record<string, unknown>;
    if (streamId === undefined) {
      reject(line, "streamId", "is missing or not a non-empty string", undefined);
      continue;
    }
    const unknownKeys = Object.keys(fields).filter((key) => !ndjsonKeys.has(key));
    if (unknownKeys.length > 0) {
      reject(line, unknownKeys.join(", "), "unknown key (not an event envelope field)", streamId);
      continue;
    }
    const candidate: Record<string, unknown> = {
      type: fields.type,
      data: fields.data,
      occurredAt: fields.occurredAt,
      source: { system: "ndjson", file: name, row: line },
    };
    for (const key of ["id", "schemaVersion", "actor", ...nullableKeys] as const)
      if (fields[key] !== undefined && fields[key] !== null) candidate[key] = fields[key];
    try {
      validateEvent(candidate as unknown as NewEvent, line);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      for (const issue of error.issues) reject(line, issue.path || "(event)", issue.reason, streamId);
      continue;
    }
    const dealId = dealIdOf(candidate.data);
    if (dealId !== undefined && streamIds.deal(dealId) !== streamId) {
      reject(line, "streamId", `names deal ${JSON.stringify(dealId)}: it belongs on stream ${streamIds.deal(dealId)}`, streamId);
      continue;
    }
    const { source: _source, ...content } = candidate;
    streamOf(streamId).events.push({
      line,
      event: candidate as unknown as NewEvent,
      canonical: canonicalJson({ streamId, ...content }),
    });
  }
  // One event per explicit id: identical lines are one event, different content under one id rejects the streams.
  const byId = new Map<string, { streamId: string; entry: NdjsonEvent }>();
  const duplicateLines = new Set<NdjsonEvent>();
  for (const [streamId, stream] of byStream) {
    for (const entry of stream.events) {
      const id = entry.event.id;
      if (id === undefined) continue;
      const first = byId.get(id);
      if (!first) byId.set(id, { streamId, entry });
      else if (first.entry.canonical === entry.canonical) duplicateLines.add(entry);
      else {
        reject(entry.line, "id", `${id} is also the id of line ${first.entry.line}, with other content`, streamId);
        streamOf(first.streamId).bad = true;
      }
    }
  }
  const known = [...byStream.keys()];
  if (unknownStream) {
    for (const problem of problems.splice(0))
      problems.push({
        ...problem,
        reason: `${problem.reason} (the stream of a bad line cannot be told, so nothing from this file is imported)`,
      });
    return { streams: [], problems, rowsRead: lines.length, rejectedDeals: known.length };
  }
  const accepted: { line: number; streamId: string; event: NewEvent }[] = [];
  for (const [streamId, stream] of byStream) {
    if (stream.bad) continue;
    stream.events
      .filter((entry) => !duplicateLines.has(entry))
      .forEach(({ line, event, canonical }, ordinal) => {
        const id = event.id ?? sourceEventId("ndjson", streamId, `${streamId}|${canonical}`, ordinal);
        accepted.push({ line, streamId, event: freezeEvent({ ...event, id }) });
      });
  }
  // Written in the file's order, one request per run of lines of one stream: an export imported into an empty
  // store gets its global positions back, not only its stream revisions.
  accepted.sort((a, b) => a.line - b.line);
  const streams: StreamBatch[] = [];
  for (const { line, streamId, event } of accepted) {
    const last = streams.at(-1);
    if (last?.streamId === streamId) {
      last.events.push(event);
      (last.rows as number[]).push(line);
    } else streams.push({ streamId, events: [event], rows: [line] });
  }
  return { streams, problems, rowsRead: lines.length, rejectedDeals: known.filter((id) => byStream.get(id)?.bad).length };
}
