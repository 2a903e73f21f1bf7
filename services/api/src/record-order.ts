import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** An item with the time it was recorded, in epoch milliseconds. */
export interface Timed<T> {
  readonly recordedMs: number;
  readonly item: T;
}

/** Bytes gathered before one write to the spool file. */
const WRITE_CHUNK = 4 * 1024 * 1024;

/** A growable typed array of numbers (`Float64Array`), without an object per element. */
class Numbers {
  #values = new Float64Array(1 << 16);
  #length = 0;
  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }
  get length(): number {
    return this.#length;
  }
  at(index: number): number {
    return this.#values[index] as number;
  }
}

/**
 * Yields `items` sorted by record time (stable: equal times keep their order), holding only three numbers per item in
 * memory: each item is written to a temporary file as JSON and read back in order. A million-deal demo history is
 * about 21 million events, far more than a JavaScript heap holds as objects at once. The file is removed when the
 * iteration ends, also when it is abandoned or fails.
 */
export function* inRecordOrder<T>(items: Iterable<Timed<T>>): Generator<T> {
  const dir = mkdtempSync(join(tmpdir(), "revgraph-record-order-"));
  const path = join(dir, "spool.ndjson");
  const fd = openSync(path, "w+");
  try {
    const times = new Numbers();
    const offsets = new Numbers();
    let written = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = () => {
      const chunk = Buffer.concat(pending, pendingBytes);
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at, chunk.length - at, written + at);
      written += chunk.length;
      pending = [];
      pendingBytes = 0;
    };
    for (const { recordedMs, item } of items) {
      const bytes = Buffer.from(JSON.stringify(item));
      times.push(recordedMs);
      offsets.push(written + pendingBytes);
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= WRITE_CHUNK) flush();
    }
    flush();
    offsets.push(written);
    const order = new Uint32Array(times.length);
    for (let index = 0; index < order.length; index++) order[index] = index;
    order.sort((a, b) => times.at(a) - times.at(b) || a - b);
    let buffer = Buffer.alloc(64 * 1024);
    for (const index of order) {
      const start = offsets.at(index);
      const length = offsets.at(index + 1) - start;
      if (length > buffer.length) buffer = Buffer.alloc(length * 2);
      for (let at = 0; at < length; ) {
        const read = readSync(fd, buffer, at, length - at, start + at);
        if (read === 0) throw new Error(`${path}: ended at byte ${start + at}, before the item written there`);
        at += read;
      }
      yield JSON.parse(buffer.toString("utf8", 0, length)) as T;
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
