import { type ChildProcess, spawn } from "node:child_process";

/** A real Node process of the project's, with everything it printed (stdout and stderr) so far. */
export interface NodeProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
}

/** Runs `node <script> <args>` with extra environment, collecting its output. */
export function spawnNode(script: string, args: readonly string[], env: Record<string, string> = {}): NodeProcess {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let output = "";
  const collect = (chunk: string) => {
    output += chunk;
  };
  child.stdout?.setEncoding("utf8").on("data", collect);
  child.stderr?.setEncoding("utf8").on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}
