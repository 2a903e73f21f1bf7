import type { RecordedEvent } from "@revgraph/events";
import type { ReadAllOptions, SubscribeOptions, Subscription } from "./port.ts";

/** Wakes sleeping subscriptions when new events may be available. */
export class ChangeSignal {
  readonly #waiters = new Set<() => void>();

  /** Resolves on the next `notify()` or after `timeoutMs`, whichever is first. */
  wait(timeoutMs: number): { promise: Promise<void>; cancel: () => void } {
    let resolveWait: () => void = () => {};
    const promise = new Promise<void>((resolve) => {
      resolveWait = resolve;
    });
    const timer = setTimeout(() => release(), timeoutMs);
    const release = () => {
      clearTimeout(timer);
      this.#waiters.delete(release);
      resolveWait();
    };
    this.#waiters.add(release);
    return { promise, cancel: release };
  }

  notify(): void {
    for (const release of [...this.#waiters]) release();
  }
}

/**
 * A catch-up-then-live subscription built on `readAll`: it pages from the last delivered
 * position, then sleeps until `signal` fires (or `pollMs` passes, for writers in other processes).
 * Positions are committed in order by every adapter, so reading "after the last one" never skips.
 */
export function pollingSubscription(
  readAll: (options: ReadAllOptions) => AsyncIterable<RecordedEvent>,
  signal: ChangeSignal,
  options: SubscribeOptions,
  pollMs: number,
): Subscription {
  let closed = false;
  let cancelWait: () => void = () => {};
  let position = options.after ?? 0;
  const filter = {
    ...(options.types ? { types: options.types } : {}),
    ...(options.streamPrefix !== undefined ? { streamPrefix: options.streamPrefix } : {}),
  };
  async function* events(): AsyncGenerator<RecordedEvent> {
    while (!closed) {
      const wait = signal.wait(pollMs);
      cancelWait = wait.cancel;
      for await (const event of readAll({ ...filter, after: position })) {
        if (closed) return;
        position = event.globalPosition;
        yield event;
      }
      await wait.promise;
    }
  }
  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    async close() {
      closed = true;
      cancelWait();
      await iterator.return(undefined);
    },
  };
}
