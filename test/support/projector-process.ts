import { join } from "node:path";
import { type NodeProcess, spawnNode } from "./node-process.ts";

/** The projector's entry point, run as a real process. */
export const projectorMain = join(import.meta.dirname, "../../services/projector/src/main.ts");

/** Spawns `revgraph-projector <args>`, collecting what it prints. */
export function spawnProjector(args: readonly string[]): NodeProcess {
  return spawnNode(projectorMain, args);
}
