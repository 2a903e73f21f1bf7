/**
 * The four deal archetypes, with figures from the domain articles: ACV band, cycle length in days,
 * buying-group size and win rate. `share` is the fraction of generated deals of that archetype (and of reps, beyond one
 * of each). `quarterlyQuota` is the fallback quota when a history is too short to set one from what reps won.
 */
export interface Archetype {
  readonly id: "SMB" | "Mid-Market" | "Enterprise" | "Strategic";
  readonly share: number;
  readonly acv: readonly [number, number];
  readonly cycleDays: readonly [number, number];
  readonly buyingGroup: readonly [number, number];
  readonly winRate: readonly [number, number];
  readonly quarterlyQuota: number;
}

/** SMB 5k–25k in 7–30 days; Mid-Market 25k–150k in 30–90; Enterprise 150k–1M in 90–365; Strategic above 1M in 9–24 months. */
export const archetypes: readonly Archetype[] = [
  {
    id: "SMB",
    share: 0.55,
    acv: [5_000, 25_000],
    cycleDays: [7, 30],
    buyingGroup: [1, 2],
    winRate: [0.22, 0.3],
    quarterlyQuota: 200_000,
  },
  {
    id: "Mid-Market",
    share: 0.3,
    acv: [25_000, 150_000],
    cycleDays: [30, 90],
    buyingGroup: [3, 5],
    winRate: [0.18, 0.25],
    quarterlyQuota: 300_000,
  },
  {
    id: "Enterprise",
    share: 0.12,
    acv: [150_000, 1_000_000],
    cycleDays: [90, 365],
    buyingGroup: [6, 12],
    winRate: [0.12, 0.2],
    quarterlyQuota: 400_000,
  },
  {
    id: "Strategic",
    share: 0.03,
    acv: [1_000_000, 5_000_000],
    cycleDays: [270, 730],
    buyingGroup: [8, 14],
    winRate: [0.1, 0.15],
    quarterlyQuota: 900_000,
  },
];
