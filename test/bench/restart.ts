/**
 * Restart benchmark of a read model with the org graph (issue 13: an API restart at 100k deals ready in ≤ 5 s, ≤ 1 GB).
 * Over a copy of a seeded store (`revgraph seed --deals 100000 --data DIR`; the run writes into it), each step in a
 * fresh process so each peak RSS is its own:
 *   - the baseline: a raw node:sqlite read + JSON.parse of the whole log;
 *   - opening the store once (the one-time migration creating the (type, position) index);
 *   - when the data directory has no `read-model.restart.duckdb`: building it from nothing with graph "org";
 *   - restarting with graph "org" on that file at the head: first with every org event replayed (no org part kept
 *     beside the file yet: this restart keeps it), then again from the kept org part;
 *   - appending a tail of deal events (spread over many deals, back-dated) and restarting again: the tail is caught up
 *     with the working set of deals read from their streams;
 *   - with `--full`, the same restart with the whole graph replayed, for comparison.
 * Usage: node test/bench/restart.ts --data <copy of a seeded store> [--tail 2000] [--working-set 2000] [--full]
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "@revgraph/domain";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import type { NewEvent } from "@revgraph/events";
import { RevenueReadModel } from "@revgraph/read-model";
import { ceiling, dataOption, option, ratio, rawSqliteRead, saveResults } from "./support.ts";

/** What a child step reports. */
interface Step {
  readonly ms: number;
  readonly peakRssMb: number;
  readonly position?: number;
  readonly workingSet?: number;
}

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** A child step: runs one open in this process and prints its figures as one JSON line. */
async function child(step: string, storePath: string, factsPath: string, workingSetDeals: number): Promise<void> {
  const started = performance.now();
  const store = openSqliteEventStore({ path: storePath });
  if (step === "index") {
    await store.close();
    process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, peakRssMb: rssMb() })}\n`);
    return;
  }
  const graph = step === "full" ? "full" : "org";
  const model = await RevenueReadModel.open({
    store,
    config: defaultConfig,
    factsPath,
    graph,
    workingSetDeals,
    follow: step !== "build",
  });
  const ms = performance.now() - started;
  const figures: Step = {
    ms,
    peakRssMb: rssMb(),
    position: model.position,
    workingSet: Object.keys(model.state.deals).length,
  };
  await model.close();
  await store.close();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

const childIndex = process.argv.indexOf("--child");
if (childIndex !== -1) {
  const [step, storePath, factsPath, workingSet] = process.argv.slice(childIndex + 1);
  await child(step as string, storePath as string, factsPath as string, Number(workingSet));
} else {
  const data = dataOption("restart.ts --data <copy of a seeded store> [--tail 2000] [--working-set 2000] [--full]");
  const tail = option("tail", 2_000);
  const workingSetDeals = option("working-set", 2_000);
  const storePath = join(data, "revgraph.db");
  const factsPath = join(data, "read-model.restart.duckdb");
  const run = (step: string): Step => {
    const spawned = spawnSync(
      process.execPath,
      [import.meta.filename, "--child", step, storePath, factsPath, String(workingSetDeals)],
      { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
    );
    if (spawned.status !== 0) throw new Error(`step ${step} exited ${spawned.status}: ${spawned.stderr}`);
    const figures = JSON.parse(spawned.stdout.trim().split("\n").at(-1) as string) as Step;
    console.log(
      `  ${step.padEnd(12)} ${(figures.ms / 1000).toFixed(2).padStart(8)} s ${String(figures.peakRssMb).padStart(6)} MB`,
    );
    return figures;
  };

  console.log(`restart of a read model with the org graph over ${storePath}`);
  const index = run("index");
  const raw = await rawSqliteRead(storePath, await headOf(storePath));
  const build = existsSync(factsPath) ? undefined : run("build");
  rmSync(`${factsPath}.org.ndjson`, { force: true });
  const firstAtHead = run("restart");
  const atHead = run("restart");
  const store = openSqliteEventStore({ path: storePath });
  const appended = await appendTail(store, tail);
  await store.close();
  const withTail = run("restart");
  const full = process.argv.includes("--full") ? run("full") : undefined;
  const figures = {
    events: await headOf(storePath),
    tailEvents: appended,
    workingSetDeals,
    rawReadSeconds: raw.seconds,
    openStoreMs: index.ms,
    buildFromNothing: build,
    firstRestartAtHead: firstAtHead,
    restartAtHead: atHead,
    restartWithTail: withTail,
    restartFullGraph: full,
  };
  console.log(JSON.stringify(figures, null, 2));
  if (build) {
    ratio("build from nothing vs raw read (raw s ÷ build s)", raw.seconds / (build.ms / 1000), 0.5);
    ceiling("peak RSS of the build from nothing", build.peakRssMb, 1_000, "MB");
  }
  ratio("restart at the head vs raw read (raw s ÷ restart s)", raw.seconds / (atHead.ms / 1000), 1);
  ceiling("first restart at the head (org events replayed), org graph", firstAtHead.ms, 5_000);
  ceiling("restart at the head, org graph", atHead.ms, 5_000);
  ceiling("restart with a tail to catch up, org graph", withTail.ms, 5_000);
  ceiling("peak RSS of the restart at the head", atHead.peakRssMb, 1_000, "MB");
  ceiling("peak RSS of the restart with a tail", withTail.peakRssMb, 1_000, "MB");
  saveResults("restart", figures);
}

async function headOf(storePath: string): Promise<number> {
  const store = openSqliteEventStore({ path: storePath });
  try {
    return await store.headPosition();
  } finally {
    await store.close();
  }
}

/**
 * Appends `count` deal events spread over the log's deals (every 7th deal created, in log order), back-dated by up to
 * a year: amount changes and close-date pushes, in requests of 100.
 */
async function appendTail(store: ReturnType<typeof openSqliteEventStore>, count: number): Promise<number> {
  const dealIds: string[] = [];
  let created = 0;
  for await (const event of store.readAll({ types: ["DealCreated"] }))
    if (created++ % 7 === 0) dealIds.push((event.data as { dealId: string }).dealId);
  const requests = Array.from({ length: count }, (_, index) => {
    const dealId = dealIds[(index * 7919) % dealIds.length] as string;
    const occurredAt = new Date(Date.now() - ((index * 37) % 365) * 86_400_000).toISOString();
    const event: NewEvent =
      index % 2 === 0
        ? { type: "DealAmountChanged", occurredAt, data: { dealId, amount: 10_000 + index, currency: "USD" } }
        : { type: "DealCloseDateChanged", occurredAt, data: { dealId, expectedCloseDate: "2027-06-30" } };
    return { streamId: `deal-${dealId}`, events: [event] };
  });
  for (let start = 0; start < requests.length; start += 100) await store.appendMany(requests.slice(start, start + 100));
  return count;
}
