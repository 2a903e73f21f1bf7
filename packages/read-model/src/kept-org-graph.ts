import { readFile, rename, writeFile } from "node:fs/promises";
import { type GraphState, type OrgPart, orgPartOf } from "@revgraph/domain";

/** The org part of a graph kept beside its fact file, with where the graph stood and the event there (which log). */
export interface KeptOrgGraph {
  readonly position: number;
  readonly eventId: string;
  readonly graph: OrgPart;
}

/**
 * Where the org part of a graph is kept for the fact file at `factsPath` (a file beside it; none in memory). Beside the
 * file rather than in it: at 100k deals it is 61 MB of JSON, which DuckDB read in 0.6 s and 370 MB of memory, a file in
 * a tenth of that.
 */
export function keptOrgGraphPath(factsPath: string): string | undefined {
  return factsPath === ":memory:" ? undefined : `${factsPath}.org.json`;
}

/** The org part kept at `path`; null when there is none or it cannot be read (it is then replayed from the log). */
export async function readKeptOrgGraph(path: string): Promise<KeptOrgGraph | null> {
  try {
    const kept = JSON.parse(await readFile(path, "utf8")) as Partial<KeptOrgGraph>;
    return typeof kept.position === "number" && typeof kept.eventId === "string" && kept.graph ? (kept as KeptOrgGraph) : null;
  } catch {
    return null;
  }
}

/** Keeps the org part of `state`, standing at the event `eventId`, at `path` (written beside it, then renamed over it). */
export async function keepOrgGraph(path: string, state: GraphState, eventId: string): Promise<void> {
  const kept: KeptOrgGraph = { position: state.position, eventId, graph: orgPartOf(state) };
  await writeFile(`${path}.tmp`, JSON.stringify(kept));
  await rename(`${path}.tmp`, path);
}
