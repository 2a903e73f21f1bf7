import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** The projector's entry point, run as a real process. */
export const projectorMain = join(import.meta.dirname, "../../services/projector/src/main.ts");

/** Spawns `revgraph-projector <args>`, collecting what it prints. */
export function spawnProjector(args: readonly string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [projectorMain, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}
