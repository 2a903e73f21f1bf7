import { createMemoryEventStore, type EventStore } from "@revgraph/event-store";
import { describeEventStoreConformance } from "@revgraph/event-store/conformance";

describeEventStoreConformance("memory", () => {
  let store: EventStore | undefined;
  return {
    async open() {
      store = createMemoryEventStore();
      return store;
    },
    async connect() {
      return store as EventStore;
    },
    async tamper(position) {
      for await (const event of (store as EventStore).readAll({ after: position - 1, maxCount: 1 })) {
        (event.data as { amount: number }).amount += 1;
      }
    },
    async dispose() {},
  };
});
