import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectEvents, verifyEvents } from "@revgraph/event-store";
import { openSqliteEventStore } from "@revgraph/event-store/sqlite";
import type { RecordedEvent } from "@revgraph/events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const writerScript = join(import.meta.dirname, "../support/sqlite-writer.ts");

function startWriter(path: string, streamId: string, count: number, tag: string) {
  const child = spawn(process.execPath, [writerScript, path, streamId, String(count), tag], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const acked: string[] = [];
  let stderr = "";
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.startsWith("ack ")) acked.push(line.split(" ")[1] as string);
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, acked, exited, stderr: () => stderr };
}

async function readAllEvents(path: string): Promise<RecordedEvent[]> {
  const store = openSqliteEventStore({ path });
  const events = await collectEvents(store.readAll());
  await store.close();
  return events;
}

describe("embedded SQLite store shared by several processes", () => {
  let dir: string;
  let children: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "revgraph-mp-"));
  });
  afterEach(() => {
    for (const child of children) child.kill("SIGKILL");
    children = [];
    rmSync(dir, { recursive: true, force: true });
  });

  it("two writer processes on one stream never lose an update", async () => {
    const path = join(dir, "events.db");
    const writers = [startWriter(path, "deal-shared", 300, "a"), startWriter(path, "deal-shared", 300, "b")];
    children = writers.map((writer) => writer.child);
    const codes = await Promise.all(writers.map((writer) => writer.exited));
    expect(codes, writers.map((writer) => writer.stderr()).join("\n")).toEqual([0, 0]);
    const events = await readAllEvents(path);
    expect(events).toHaveLength(600);
    expect(events.map((event) => event.streamRevision)).toEqual(events.map((_, index) => index));
    expect(new Set(events.map((event) => event.id))).toEqual(new Set(writers.flatMap((writer) => writer.acked)));
    expect((await verifyEvents(events)).firstViolation).toBeNull();
  }, 120_000);

  it("a writer killed with SIGKILL loses nothing it acknowledged", async () => {
    const path = join(dir, "events.db");
    const writer = startWriter(path, "deal-kill", 100_000, "k");
    children = [writer.child];
    while (writer.acked.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    writer.child.kill("SIGKILL");
    await writer.exited;
    const acknowledged = [...writer.acked];
    const stored = new Set((await readAllEvents(path)).map((event) => event.id));
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    const events = await readAllEvents(path);
    expect((await verifyEvents(events)).firstViolation).toBeNull();
  }, 60_000);
});
