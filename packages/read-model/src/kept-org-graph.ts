import { createReadStream } from "node:fs";
import { open, rename } from "node:fs/promises";
import { type GraphState, type OrgPart, orgRecords } from "@revgraph/domain";

/** The org part of a graph kept beside its fact file, with where the graph stood and the event there (which log). */
export interface KeptOrgGraph {
  readonly position: number;
  readonly eventId: string;
  readonly graph: OrgPart;
}

/** Names the layout of a kept org part: a file of another layout is not read (the org part is replayed instead). */
const LAYOUT = "revgraph-org-part-lines-1";

/** Text written to the file at a time while keeping (the file is written in pieces, never as one string). */
const WRITE_CHUNK_CHARS = 1 << 20;

/** Bytes read from the file at a time when restoring. */
const READ_PIECE_BYTES = 1 << 20;

type OrgRecord = (typeof orgRecords)[number];

/**
 * Where the org part of a graph is kept for the fact file at `factsPath` (a file beside it; none in memory). Beside the
 * file rather than in it: at 100k deals it is 61 MB of JSON, which DuckDB read in 0.6 s and 370 MB of memory, a file in
 * a tenth of that.
 */
export function keptOrgGraphPath(factsPath: string): string | undefined {
  return factsPath === ":memory:" ? undefined : `${factsPath}.org.ndjson`;
}

/** An org part with nothing in it, to fill from a kept file. */
function emptyOrgPart(): OrgPart {
  return { accounts: {}, contacts: {}, teams: {}, reps: {}, leads: {}, quotas: [], forecasts: [], rates: [] };
}

/** Puts one kept line (`[record, entry]` for a list, `[record, entry, id]` for a record by id) into `part`. */
function keepLine(part: OrgPart, line: unknown): boolean {
  if (!Array.isArray(line) || !orgRecords.includes(line[0] as OrgRecord)) return false;
  const target = part[line[0] as OrgRecord] as unknown;
  if (Array.isArray(target)) {
    if (line.length !== 2) return false;
    target.push(line[1]);
    return true;
  }
  if (line.length !== 3 || typeof line[2] !== "string") return false;
  (target as Record<string, unknown>)[line[2]] = line[1];
  return true;
}

/**
 * The JSON lines of a file, parsed a piece at a time: a piece's whole lines in one `JSON.parse`, given as one array
 * (no string holds the file, and there is no await per line).
 */
async function* jsonLines(path: string): AsyncGenerator<unknown[]> {
  let rest = "";
  for await (const piece of createReadStream(path, { encoding: "utf8", highWaterMark: READ_PIECE_BYTES })) {
    const text = rest + (piece as string);
    const end = text.lastIndexOf("\n");
    if (end < 0) {
      rest = text;
      continue;
    }
    rest = text.slice(end + 1);
    yield JSON.parse(`[${text.slice(0, end).replaceAll("\n", ",")}]`) as unknown[];
  }
  if (rest.length > 0) yield [JSON.parse(rest) as unknown];
}

/**
 * The org part kept at `path`; null when there is none, it is of another layout, or it cannot be read whole (it is
 * then replayed from the log).
 */
export async function readKeptOrgGraph(path: string): Promise<KeptOrgGraph | null> {
  try {
    let stamp: { position: number; eventId: string } | undefined;
    let entries = 0;
    let ended = false;
    const graph = emptyOrgPart();
    for await (const lines of jsonLines(path)) {
      for (const line of lines) {
        if (ended) return null;
        if (stamp === undefined) {
          const header = line as { layout?: unknown; position?: unknown; eventId?: unknown } | null;
          if (header?.layout !== LAYOUT || typeof header.position !== "number" || typeof header.eventId !== "string") return null;
          stamp = { position: header.position, eventId: header.eventId };
        } else if (!Array.isArray(line)) {
          // The last line counts the entries: a file cut at a line's end is not taken for a whole one.
          if ((line as { entries?: unknown } | null)?.entries !== entries) return null;
          ended = true;
        } else if (keepLine(graph, line)) entries++;
        else return null;
      }
    }
    return stamp && ended ? { ...stamp, graph } : null;
  } catch {
    return null;
  }
}

/**
 * Keeps the org part of `state`, standing at the event `eventId`, at `path`: a header line, one JSON line per
 * account, contact, team, rep, lead, quota, forecast and rate, and a line counting them, written in pieces (at a million deals the org part is
 * more text than one JavaScript string can hold) beside the file, then renamed over it.
 */
export async function keepOrgGraph(path: string, state: GraphState, eventId: string): Promise<void> {
  const partial = `${path}.tmp`;
  const file = await open(partial, "w");
  try {
    let chunk = `${JSON.stringify({ layout: LAYOUT, position: state.position, eventId })}\n`;
    let entries = 0;
    const add = async (line: unknown) => {
      entries++;
      chunk += `${JSON.stringify(line)}\n`;
      if (chunk.length < WRITE_CHUNK_CHARS) return;
      await file.write(chunk);
      chunk = "";
    };
    for (const record of orgRecords) {
      const entries = state[record] as unknown;
      if (Array.isArray(entries)) for (const entry of entries) await add([record, entry]);
      else for (const [id, entry] of Object.entries(entries as Record<string, unknown>)) await add([record, entry, id]);
    }
    await file.write(`${chunk}${JSON.stringify({ entries })}\n`);
  } finally {
    await file.close();
  }
  await rename(partial, path);
}
