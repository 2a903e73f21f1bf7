import { InvalidEventError, type NewEvent } from "@revgraph/events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectEvents } from "./batching.ts";
import {
  IdempotencyConflictError,
  PartialReplayError,
  RecordTimeError,
  StoreClosedError,
  WrongExpectedRevisionError,
} from "./errors.ts";
import { verifyEvents } from "./hashing.ts";
import { CHECKPOINT_STREAM, chainLogHash, emptyLogDigest, GENESIS_LOG_HASH } from "./log-chain.ts";
import type { EventStore } from "./port.ts";
import { verifyLog } from "./verification.ts";

/** What each adapter supplies to run the shared conformance suite. */
export interface ConformanceHarness {
  /** A fresh, empty store. */
  open(): Promise<EventStore>;
  /** Another connection to the same storage as the last `open()` (memory: the same instance). */
  connect(): Promise<EventStore>;
  /** Reopens the same storage after `close()`; absent for storage that does not outlive its process. */
  reopen?: () => Promise<EventStore>;
  /**
   * Changes the stored data of the event at `position` behind the store's back; absent where the storage cannot be
   * changed after the write (KurrentDB), so there is nothing to detect.
   */
  tamper?: (position: number) => Promise<void>;
  /** Frees the storage (files, tables). */
  dispose(): Promise<void>;
}

/** Sizes of the heavy cases; the defaults are the ones the project promises. */
export interface ConformanceSizes {
  readonly writers?: number;
  readonly appendsPerWriter?: number;
  readonly batchSize?: number;
}

let eventCounter = 0;
/** A valid `DealAmountChanged` event for tests, amount distinguishing it. */
export function amountChanged(dealId: string, amount: number, id?: string): NewEvent {
  eventCounter++;
  return {
    ...(id ? { id } : {}),
    type: "DealAmountChanged",
    occurredAt: new Date(Date.UTC(2026, 0, 1) + eventCounter * 1000).toISOString(),
    data: { dealId, amount, currency: "USD" },
  };
}

async function appendWithRetry(store: EventStore, streamId: string, event: NewEvent): Promise<{ retries: number }> {
  let expected = await store.streamRevision(streamId);
  for (let retries = 0; ; retries++) {
    try {
      await store.append(streamId, [event], { expectedRevision: expected === -1 ? "no_stream" : expected });
      return { retries };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      expected = error.actual;
      // Jittered exponential backoff, as a well-behaved client retries under contention.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** retries, 32)));
    }
  }
}

/** The one suite every event store adapter must pass. */
export function describeEventStoreConformance(name: string, makeHarness: () => ConformanceHarness, sizes: ConformanceSizes = {}) {
  const writers = sizes.writers ?? 16;
  const appendsPerWriter = sizes.appendsPerWriter ?? 1_000;
  const batchSize = sizes.batchSize ?? 10_000;

  describe(`event store conformance: ${name}`, () => {
    let harness: ConformanceHarness;
    let store: EventStore;
    beforeEach(async () => {
      harness = makeHarness();
      store = await harness.open();
    });
    afterEach(async () => {
      await store.close();
      await harness.dispose();
    });

    it("appends to a stream and reads it forwards and backwards", async () => {
      const result = await store.append("deal-1", [amountChanged("1", 10), amountChanged("1", 20), amountChanged("1", 30)]);
      expect(result.nextExpectedRevision).toBe(2);
      expect(result.positions).toEqual([1, 2, 3]);
      const forwards = await store.readStream("deal-1");
      expect(forwards.map((event) => event.streamRevision)).toEqual([0, 1, 2]);
      expect(forwards.map((event) => (event.data as { amount: number }).amount)).toEqual([10, 20, 30]);
      const backwards = await store.readStream("deal-1", { direction: "backwards", maxCount: 2 });
      expect(backwards.map((event) => event.streamRevision)).toEqual([2, 1]);
      const fromOne = await store.readStream("deal-1", { fromRevision: 1, maxCount: 1 });
      expect(fromOne.map((event) => event.streamRevision)).toEqual([1]);
      const backFromOne = await store.readStream("deal-1", { direction: "backwards", fromRevision: 1 });
      expect(backFromOne.map((event) => event.streamRevision)).toEqual([1, 0]);
      expect(await store.readStream("deal-none")).toEqual([]);
      const [second, first] = await store.readEventsById([
        forwards[1]?.id as string,
        "00000000-0000-4000-8000-000000000000",
        forwards[0]?.id as string,
      ]);
      expect([second?.streamRevision, first?.streamRevision]).toEqual([1, 0]);
      expect(await store.streamRevision("deal-none")).toBe(-1);
      expect(await store.streamRevision("deal-1")).toBe(2);
    });

    it("fills the envelope: ids, positions, record time, actor, source, correlation", async () => {
      const id = "0b6f6a52-8a55-4c45-9a0f-0c9f1e0d7a11";
      const [event] = (
        await store.append("deal-e", [
          {
            id,
            type: "DealWon",
            occurredAt: "2026-03-31T23:30:00-05:00",
            actor: "rep:ana",
            source: { system: "salesforce", file: "history.csv", row: 7 },
            correlationId: "corr-1",
            causationId: "cmd-1",
            data: { dealId: "e", amount: 1200, currency: "EUR" },
          },
        ])
      ).events;
      expect(event).toMatchObject({
        id,
        type: "DealWon",
        schemaVersion: 1,
        streamId: "deal-e",
        streamRevision: 0,
        globalPosition: 1,
        occurredAt: "2026-04-01T04:30:00.000Z",
        actor: "rep:ana",
        source: { system: "salesforce", file: "history.csv", row: 7 },
        correlationId: "corr-1",
        causationId: "cmd-1",
        prevHash: null,
      });
      expect(event?.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(event?.recordedAt ?? "")).not.toBeNaN();
      const generated = await store.append("deal-e", [amountChanged("e", 5)]);
      expect(generated.events[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(generated.events[0]?.prevHash).toBe(event?.hash);
    });

    it("enforces every kind of expected revision and writes nothing on a conflict", async () => {
      await expect(store.append("s", [amountChanged("s", 1)], { expectedRevision: "stream_exists" })).rejects.toThrow(
        WrongExpectedRevisionError,
      );
      await store.append("s", [amountChanged("s", 1)], { expectedRevision: "no_stream" });
      const noStream = store.append("s", [amountChanged("s", 2)], { expectedRevision: "no_stream" });
      await expect(noStream).rejects.toMatchObject({ streamId: "s", expected: "no_stream", actual: 0 });
      await expect(store.append("s", [amountChanged("s", 3)], { expectedRevision: 5 })).rejects.toThrow(
        /stream "s": expected revision 5, but it is at revision 0/,
      );
      await store.append("s", [amountChanged("s", 4)], { expectedRevision: 0 });
      await store.append("s", [amountChanged("s", 5)], { expectedRevision: "stream_exists" });
      await store.append("s", [amountChanged("s", 6)], { expectedRevision: "any" });
      expect((await store.readStream("s")).map((event) => (event.data as { amount: number }).amount)).toEqual([1, 4, 5, 6]);
      expect(await store.headPosition()).toBe(4);
    });

    it("is idempotent by event id and rejects an id reused with other content", async () => {
      const batch = [
        amountChanged("i", 1, "11111111-1111-4111-8111-111111111111"),
        amountChanged("i", 2, "22222222-2222-4222-8222-222222222222"),
      ];
      const first = await store.append("deal-i", batch, { expectedRevision: "no_stream" });
      const again = await store.append("deal-i", batch, { expectedRevision: "no_stream" });
      expect(again.idempotentReplay).toBe(true);
      expect(again.positions).toEqual(first.positions);
      expect(again.nextExpectedRevision).toBe(1);
      expect(await store.headPosition()).toBe(2);
      const reused = { ...amountChanged("i", 99), id: "11111111-1111-4111-8111-111111111111" };
      await expect(store.append("deal-i", [reused])).rejects.toThrow(IdempotencyConflictError);
      await expect(store.append("deal-other", [batch[0] as NewEvent])).rejects.toThrow(/stored in stream "deal-i"/);
      await expect(store.append("deal-i", [batch[0] as NewEvent, amountChanged("i", 3)])).rejects.toThrow(PartialReplayError);
      expect(await store.headPosition()).toBe(2);
    });

    it("with skipStored, leaves out the events already stored and appends the rest", async () => {
      const first = amountChanged("k", 1, "33333333-3333-4333-8333-333333333333");
      const second = amountChanged("k", 2, "44444444-4444-4444-8444-444444444444");
      await store.append("deal-k", [first]);
      const [result] = await store.appendMany([{ streamId: "deal-k", events: [first, second], skipStored: true }]);
      expect(result?.idempotentReplay).toBe(false);
      expect(result?.events.map((event) => event.id)).toEqual(["44444444-4444-4444-8444-444444444444"]);
      expect(result?.nextExpectedRevision).toBe(1);
      const [again] = await store.appendMany([{ streamId: "deal-k", events: [first, second], skipStored: true }]);
      expect(again?.idempotentReplay).toBe(true);
      const changed = { ...amountChanged("k", 7), id: "33333333-3333-4333-8333-333333333333" };
      await expect(
        store.appendMany([{ streamId: "deal-k", events: [changed, amountChanged("k", 8)], skipStored: true }]),
      ).rejects.toThrow(IdempotencyConflictError);
      expect((await store.readStream("deal-k")).map((event) => (event.data as { amount: number }).amount)).toEqual([1, 2]);
    });

    it("rejects invalid events naming the event, the field and the reason, and writes none of the batch", async () => {
      await store.append("deal-v", [amountChanged("v", 1)]);
      const unknownType = store.append("deal-v", [
        amountChanged("v", 2),
        { type: "DealTeleported", occurredAt: "2026-01-01T00:00:00Z", data: {} },
      ]);
      await expect(unknownType).rejects.toThrow(/invalid event #1 of type "DealTeleported": type: unknown event type/);
      const badField = store.append("deal-v", [
        amountChanged("v", 2),
        { type: "DealWon", occurredAt: "2026-01-01T00:00:00Z", data: { dealId: "v", amount: -5 } },
      ]);
      await expect(badField).rejects.toBeInstanceOf(InvalidEventError);
      await expect(badField).rejects.toMatchObject({ eventIndex: 1, issues: [{ path: "data.amount" }] });
      const badTime = store.append("deal-v", [{ ...amountChanged("v", 3), occurredAt: "yesterday" }]);
      await expect(badTime).rejects.toThrow(/occurredAt/);
      expect(await store.headPosition()).toBe(1);
      expect(await store.streamRevision("deal-v")).toBe(0);
    });

    it(`lets ${writers} concurrent writers with expected revision and retry land every append exactly once, gapless`, async () => {
      const connections = await Promise.all(Array.from({ length: writers }, () => harness.connect()));
      const results = await Promise.all(
        connections.map(async (connection, writer) => {
          let retries = 0;
          for (let index = 0; index < appendsPerWriter; index++) {
            const event = amountChanged("hot", writer * 1_000_000 + index);
            retries += (await appendWithRetry(connection, "deal-hot", event)).retries;
          }
          return retries;
        }),
      );
      for (const connection of connections) if (connection !== store) await connection.close();
      const stream = await store.readStream("deal-hot");
      expect(stream).toHaveLength(writers * appendsPerWriter);
      expect(stream.map((event) => event.streamRevision)).toEqual(stream.map((_, index) => index));
      const amounts = new Set(stream.map((event) => (event.data as { amount: number }).amount));
      expect(amounts.size).toBe(writers * appendsPerWriter);
      for (let writer = 0; writer < writers; writer++) {
        const mine = stream
          .map((event) => (event.data as { amount: number }).amount)
          .filter((amount) => Math.floor(amount / 1_000_000) === writer);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
      expect(results.every((retries) => retries >= 0)).toBe(true);
      expect((await verifyEvents(store.readAll())).firstViolation).toBeNull();
    }, 600_000);

    it("keeps global positions strictly increasing and gapless across streams under concurrent writers", async () => {
      const connections = await Promise.all(Array.from({ length: 8 }, () => harness.connect()));
      await Promise.all(
        connections.map(async (connection, writer) => {
          for (let index = 0; index < 50; index++) {
            await connection.append(`deal-w${writer}`, [amountChanged(`w${writer}`, index), amountChanged(`w${writer}`, index)]);
          }
        }),
      );
      for (const connection of connections) if (connection !== store) await connection.close();
      const all = await collectEvents(store.readAll({ batchSize: 97 }));
      expect(all.map((event) => event.globalPosition)).toEqual(all.map((_, index) => index + 1));
      const recorded = all.map((event) => event.recordedAt);
      expect(recorded).toEqual([...recorded].sort());
    }, 120_000);

    it(`writes a ${batchSize}-event batch all or nothing`, async () => {
      const batch = Array.from({ length: batchSize }, (_, index) => amountChanged("big", index));
      const poisoned = [...batch.slice(0, -1), { type: "DealWon", occurredAt: "2026-01-01T00:00:00Z", data: { dealId: "big" } }];
      await expect(store.append("deal-big", poisoned)).rejects.toMatchObject({ eventIndex: batchSize - 1 });
      expect(await store.headPosition()).toBe(0);
      await store.append("deal-big", [amountChanged("big", 0)]);
      await expect(store.append("deal-big", batch, { expectedRevision: "no_stream" })).rejects.toThrow(
        WrongExpectedRevisionError,
      );
      expect(await store.headPosition()).toBe(1);
      const result = await store.append("deal-big", batch, { expectedRevision: 0 });
      expect(result.positions).toHaveLength(batchSize);
      expect(result.nextExpectedRevision).toBe(batchSize);
      // Passing a multiple of 10,000 events makes the store write a checkpoint digest right after the batch.
      const checkpoints = batchSize + 1 >= 10_000 ? 1 : 0;
      expect(await store.headPosition()).toBe(batchSize + 1 + checkpoints);
    }, 120_000);

    it("chains every event into the log hash, records the head as the digest, and checkpoints it into the log", async () => {
      expect(await store.digest()).toEqual(emptyLogDigest);
      await store.append("deal-c", [amountChanged("c", 1), amountChanged("c", 2)]);
      await store.appendMany([
        { streamId: "deal-d", events: [amountChanged("d", 1)] },
        { streamId: "deal-c", events: [amountChanged("c", 3)] },
      ]);
      const events = await collectEvents(store.readAll());
      let logHash = GENESIS_LOG_HASH;
      for (const event of events) logHash = chainLogHash(logHash, event.hash);
      const digest = await store.digest();
      expect(digest).toEqual({ position: 4, logHash, recordedAt: events.at(-1)?.recordedAt });
      expect(await verifyLog(store.readRows(), { head: digest })).toMatchObject({ ok: true, eventsChecked: 4, findings: [] });
      const beforeCheckpoint = 10_000 - 4;
      await store.append(
        "deal-bulk",
        Array.from({ length: beforeCheckpoint }, (_, index) => amountChanged("bulk", index)),
      );
      const head = await store.digest();
      expect(head.position).toBe(10_001);
      const [checkpoint] = await collectEvents(store.readAll({ after: 10_000 }));
      expect(checkpoint).toMatchObject({ type: "LogCheckpointed", streamId: CHECKPOINT_STREAM, globalPosition: 10_001 });
      const rows = await collectEvents(store.readRows({ after: 9_999, batchSize: 7 }));
      expect(checkpoint?.data).toEqual({ position: 10_000, logHash: rows[0]?.logHash });
      expect((await verifyLog(store.readRows({ batchSize: 997 }), { head })).findings).toEqual([]);
    }, 120_000);

    it("honours explicit record times only for a trusted request, never in the future or below the log's latest", async () => {
      const at = (day: number) => new Date(Date.UTC(2026, 0, day, 12)).toISOString();
      const result = await store.appendMany([
        {
          streamId: "deal-r1",
          events: [amountChanged("r1", 1), amountChanged("r1", 2)],
          recordedAt: [at(1), at(2)],
          trustRecordedAt: true,
        },
        {
          streamId: "deal-r2",
          events: [amountChanged("r2", 1)],
          recordedAt: ["2026-01-03T13:00:00+01:00"],
          trustRecordedAt: true,
        },
      ]);
      expect(result.flatMap((entry) => entry.events.map((event) => event.recordedAt))).toEqual([at(1), at(2), at(3)]);
      const refused = async (request: Parameters<EventStore["appendMany"]>[0][number], reason: RegExp) => {
        // A trusted request that alone would land, so the refusal must undo it too.
        const attempt = store.appendMany([
          { streamId: "deal-r3", events: [amountChanged("r3", 1)], recordedAt: [at(3)], trustRecordedAt: true },
          request,
        ]);
        await expect(attempt).rejects.toThrow(RecordTimeError);
        await expect(attempt).rejects.toThrow(reason);
      };
      await refused({ streamId: "deal-r1", events: [amountChanged("r1", 3)], recordedAt: [at(4)] }, /trusted request/);
      await refused(
        { streamId: "deal-r1", events: [amountChanged("r1", 3)], recordedAt: [at(2)], trustRecordedAt: true },
        /event #0: recordedAt .* before the log's latest record time/,
      );
      await refused(
        {
          streamId: "deal-r1",
          events: [amountChanged("r1", 3), amountChanged("r1", 4)],
          recordedAt: [at(5), at(4)],
          trustRecordedAt: true,
        },
        /event #1: recordedAt .* before/,
      );
      await refused(
        { streamId: "deal-r1", events: [amountChanged("r1", 3)], recordedAt: ["2999-01-01T00:00:00Z"], trustRecordedAt: true },
        /in the future/,
      );
      await refused(
        { streamId: "deal-r1", events: [amountChanged("r1", 3)], recordedAt: ["2026-01-05 12:00"], trustRecordedAt: true },
        /not an ISO-8601 timestamp/,
      );
      await refused(
        { streamId: "deal-r1", events: [amountChanged("r1", 3)], recordedAt: [], trustRecordedAt: true },
        /0 entries for 1 events/,
      );
      expect(await store.headPosition()).toBe(3);
      expect(await store.streamRevision("deal-r3")).toBe(-1);
      const [later] = (await store.append("deal-r1", [amountChanged("r1", 5)])).events;
      expect(later?.recordedAt && later.recordedAt > at(3)).toBe(true);
      expect((await verifyEvents(store.readAll())).firstViolation).toBeNull();
    });

    it("appends to several streams atomically: all requests land, or none", async () => {
      await store.append("deal-m1", [amountChanged("m1", 1)]);
      const results = await store.appendMany([
        { streamId: "deal-m1", events: [amountChanged("m1", 2)], expectedRevision: 0 },
        { streamId: "deal-m2", events: [amountChanged("m2", 1), amountChanged("m2", 2)], expectedRevision: "no_stream" },
        { streamId: "deal-m1", events: [amountChanged("m1", 3)], expectedRevision: 1 },
      ]);
      expect(results.map((result) => result.positions)).toEqual([[2], [3, 4], [5]]);
      expect(results.map((result) => result.nextExpectedRevision)).toEqual([1, 1, 2]);
      const conflicting = store.appendMany([
        { streamId: "deal-m3", events: [amountChanged("m3", 1)] },
        { streamId: "deal-m1", events: [amountChanged("m1", 4)], expectedRevision: 0 },
      ]);
      await expect(conflicting).rejects.toThrow(WrongExpectedRevisionError);
      const invalid = store.appendMany([
        { streamId: "deal-m3", events: [amountChanged("m3", 1)] },
        { streamId: "deal-m4", events: [{ type: "DealWon", occurredAt: "2026-01-01T00:00:00Z", data: {} }] },
      ]);
      await expect(invalid).rejects.toThrow(InvalidEventError);
      expect(await store.headPosition()).toBe(5);
      expect(await store.streamRevision("deal-m3")).toBe(-1);
      expect((await verifyEvents(store.readAll())).firstViolation).toBeNull();
    });

    it("reads all with filters, paging and a start position", async () => {
      await store.append("deal-a", [
        amountChanged("a", 1),
        { type: "DealWon", occurredAt: "2026-02-01T00:00:00Z", data: { dealId: "a", amount: 1 } },
      ]);
      await store.append("account-x", [
        { type: "AccountRegistered", occurredAt: "2026-01-01T00:00:00Z", data: { accountId: "x", name: "X" } },
      ]);
      await store.append("deal-b", [amountChanged("b", 2)]);
      expect(
        (await collectEvents(store.readAll({ types: ["DealWon", "AccountRegistered"] }))).map((event) => event.type),
      ).toEqual(["DealWon", "AccountRegistered"]);
      expect((await collectEvents(store.readAll({ streamPrefix: "deal-" }))).map((event) => event.globalPosition)).toEqual([
        1, 2, 4,
      ]);
      expect((await collectEvents(store.readAll({ after: 2, maxCount: 1 }))).map((event) => event.globalPosition)).toEqual([3]);
      expect((await collectEvents(store.readAll({ batchSize: 1 }))).map((event) => event.globalPosition)).toEqual([1, 2, 3, 4]);
    });

    it("filters reads by type and stream prefix together, across pages, after a position and up to a count", async () => {
      const account = (id: string) => ({
        type: "AccountRegistered",
        occurredAt: "2026-01-01T00:00:00Z",
        data: { accountId: id, name: id },
      });
      for (let index = 0; index < 6; index++) {
        await store.append(`deal-${index}`, [amountChanged(String(index), index + 1)]);
        await store.append(`account-${index}`, [account(String(index))]);
      }
      const positions = async (options: Parameters<EventStore["readAll"]>[0]) =>
        (await collectEvents(store.readAll(options))).map((event) => event.globalPosition);
      expect(await positions({ types: ["AccountRegistered"], batchSize: 1 })).toEqual([2, 4, 6, 8, 10, 12]);
      expect(await positions({ types: ["AccountRegistered"], after: 4, maxCount: 2, batchSize: 1 })).toEqual([6, 8]);
      expect(await positions({ types: ["AccountRegistered", "DealAmountChanged"], streamPrefix: "account-" })).toEqual([
        2, 4, 6, 8, 10, 12,
      ]);
      expect(await positions({ types: ["DealAmountChanged"], streamPrefix: "account-" })).toEqual([]);
      expect(await positions({ streamPrefix: "deal-", after: 9, batchSize: 2 })).toEqual([11]);
      expect(await positions({ types: [] })).toEqual([]);
      expect(await positions({ types: ["NoSuchType"] })).toEqual([]);
    });

    it("delivers every event once, in order, to a subscription started mid-write", async () => {
      const writer = await harness.connect();
      const total = 600;
      const writing = (async () => {
        for (let index = 0; index < total / 3; index++) {
          await writer.append(`deal-sub${index % 7}`, [
            amountChanged("sub", index),
            amountChanged("sub", index),
            amountChanged("sub", index),
          ]);
          if (index % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const subscription = store.subscribeToAll();
      const seen: number[] = [];
      for await (const event of subscription) {
        seen.push(event.globalPosition);
        if (seen.length === total) break;
      }
      await subscription.close();
      await writing;
      if (writer !== store) await writer.close();
      expect(seen).toEqual(seen.map((_, index) => index + 1));
    }, 60_000);

    it("lets a subscription filter and start after a position, then close", async () => {
      await store.append("deal-f", [amountChanged("f", 1), amountChanged("f", 2)]);
      const subscription = store.subscribeToAll({ after: 1, streamPrefix: "deal-f" });
      const iterator = subscription[Symbol.asyncIterator]();
      expect((await iterator.next()).value?.globalPosition).toBe(2);
      const pending = iterator.next();
      await store.append("account-z", [
        { type: "AccountRegistered", occurredAt: "2026-01-01T00:00:00Z", data: { accountId: "z", name: "Z" } },
      ]);
      await store.append("deal-f", [amountChanged("f", 3)]);
      expect((await pending).value?.globalPosition).toBe(4);
      await subscription.close();
      expect((await iterator.next()).done).toBe(true);
    });

    it("verifies the hash chain and names a tampered event", async (context) => {
      if (!harness.tamper) {
        context.skip("this adapter's storage cannot be changed after the write, so there is no tampering to detect");
        return;
      }
      for (let index = 0; index < 5; index++) await store.append(`deal-h${index % 2}`, [amountChanged(`h${index % 2}`, index)]);
      const clean = await verifyEvents(store.readAll());
      expect(clean).toMatchObject({ eventsChecked: 5, streamsChecked: 2, firstViolation: null });
      await harness.tamper(3);
      const tampered = await verifyEvents(store.readAll());
      expect(tampered.firstViolation).toMatchObject({ globalPosition: 3, streamId: "deal-h0", streamRevision: 1 });
      expect(tampered.firstViolation?.reason).toMatch(/hash mismatch/);
      const report = await verifyLog(store.readRows(), { head: await store.digest() });
      expect(report.findings).toEqual([
        expect.objectContaining({
          check: "content-hash",
          position: 3,
          streamId: "deal-h0",
          reason: expect.stringMatching(/hash mismatch/),
        }),
      ]);
    });

    it("refuses use after close", async () => {
      await store.close();
      await expect(store.append("x", [amountChanged("x", 1)])).rejects.toThrow(StoreClosedError);
      await expect(store.readStream("x")).rejects.toThrow(StoreClosedError);
    });

    it("keeps everything after close and reopen (durable adapters only)", async (context) => {
      if (!harness.reopen) {
        context.skip("this adapter's storage does not outlive the store instance");
        return;
      }
      await store.append("deal-r", [amountChanged("r", 1), amountChanged("r", 2)]);
      const before = await collectEvents(store.readAll());
      await store.close();
      store = await harness.reopen();
      expect(await collectEvents(store.readAll())).toEqual(before);
      await store.append("deal-r", [amountChanged("r", 3)], { expectedRevision: 1 });
      expect(await store.headPosition()).toBe(3);
    });
  });
}
