import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";

const BIN_DIR = process.env.REVGRAPH_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** A throwaway PostgreSQL cluster on a free loopback port, removed by `stop()`. */
export interface PostgresCluster {
  readonly connectionString: string;
  readonly port: number;
  stop(): void;
}

/**
 * Starts a fresh cluster with `initdb` + `pg_ctl` (as the `postgres` OS user when running as root,
 * since PostgreSQL refuses to run as root). Throws with the server's own output when it cannot start.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  if (!existsSync(join(BIN_DIR, "initdb"))) {
    throw new Error(
      `PostgreSQL server binaries not found in ${BIN_DIR}: install them (apt-get install postgresql) or set REVGRAPH_PG_BIN`,
    );
  }
  const root = mkdtempSync(join(tmpdir(), "revgraph-pg-"));
  chmodSync(root, 0o777);
  const dataDir = join(root, "data");
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const [file, finalArgs] = asRoot
      ? ["runuser", ["-u", "postgres", "--", join(BIN_DIR, command), ...args]]
      : [join(BIN_DIR, command), args];
    const result = spawnSync(file, finalArgs, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  };
  run("initdb", ["-D", dataDir, "-U", "revgraph", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  run("pg_ctl", [
    "-D",
    dataDir,
    "-l",
    join(root, "server.log"),
    "-w",
    "-o",
    `-h 127.0.0.1 -p ${port} -k ${root} -c fsync=off -c max_connections=200 -c shared_buffers=128MB`,
    "start",
  ]);
  return {
    connectionString: `postgres://revgraph@127.0.0.1:${port}/postgres`,
    port,
    stop() {
      try {
        run("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
