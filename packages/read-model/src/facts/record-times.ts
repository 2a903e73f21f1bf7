/**
 * The record times of a batch of events, in log order, as rows of `record_log`: each distinct `recordedAt` once, in the
 * order it first came, with the last position recorded at it (what a `Map` from time to position set event by event
 * holds). A log records in time order, so a run of one time is merged as it comes and the rows are kept in a list (a
 * map keyed by each event's time took 1.5 s of the main thread in a 100k-deal build); a time earlier than the last one
 * (a log not in record order) switches to that map from then on, which gives the same rows.
 */
export class BatchRecordTimes {
  readonly #rows: [recordedAt: string, position: number][] = [];
  #byTime: Map<string, number> | undefined;

  /** Notes the event at `position`, recorded at `recordedAt` (positions increase from call to call). */
  add(recordedAt: string, position: number): void {
    if (this.#byTime) {
      this.#byTime.set(recordedAt, position);
      return;
    }
    const last = this.#rows.at(-1);
    if (last === undefined || recordedAt > last[0]) this.#rows.push([recordedAt, position]);
    else if (recordedAt === last[0]) last[1] = position;
    else this.#byTime = new Map(this.#rows).set(recordedAt, position);
  }

  /** The rows: (recorded_at, position). */
  rows(): readonly (readonly [string, number])[] {
    return this.#byTime ? [...this.#byTime] : this.#rows;
  }
}
