import { uuidFromHex } from "@revgraph/events";

/** A seeded pseudo-random source (mulberry32): the same seed always yields the same history. */
export class SeededRandom {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  /** Log-uniform in [min, max): deal sizes cluster low within a band, as real ones do. */
  logBetween(min: number, max: number): number {
    return Math.exp(this.between(Math.log(min), Math.log(max)));
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** Picks a value by weight from `[value, weight]` pairs whose weights add up to 1. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const roll = this.next();
    let cumulative = 0;
    for (const [value, weight] of choices) {
      cumulative += weight;
      if (roll < cumulative) return value;
    }
    return (choices.at(-1) as readonly [T, number])[0];
  }
  /** A version-4-shaped UUID drawn from this source. */
  uuid(): string {
    const word = () =>
      Math.floor(this.next() * 4_294_967_296)
        .toString(16)
        .padStart(8, "0");
    return uuidFromHex(word() + word() + word() + word());
  }
}
