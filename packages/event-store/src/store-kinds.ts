/** The kinds of event store a process can be pointed at (a module of its own, so help texts load no driver). */
export const storeKinds = ["sqlite", "postgres", "kurrentdb"] as const;
