import { z } from "zod";

/** One open stage of the sales process, in order. */
export interface StageDefinition {
  readonly id: string;
  readonly title: string;
  /** Default win probability while a deal sits in this stage (0..1). */
  readonly probability: number;
  /** Evidence that must be recorded before a deal may advance past this stage. */
  readonly exitGate?: string;
}

/** A deal-size archetype: deals whose amount is below `maxAmount` (exclusive) fall into it. */
export interface SegmentBand {
  readonly id: string;
  readonly maxAmount: number;
}

/** Everything about the sales process that is configuration, not code. */
export interface RevenueConfig {
  readonly stages: readonly StageDefinition[];
  readonly wonStage: string;
  readonly lostStage: string;
  /** Quota share for tenure month 1, 2, 3, …; the last entry applies from then on. */
  readonly ramp: readonly number[];
  readonly segments: readonly SegmentBand[];
  readonly staleAfterDays: number;
  readonly technicalEvaluatorSilentDays: number;
  readonly technicalValidationStage: string;
  readonly singleThread: { readonly minAmount: number; readonly minStakeholders: number; readonly stage: string };
  readonly engagementCadenceDays: number;
  readonly meetingToOpportunityDays: number;
  readonly baseCurrency: string;
}

const configSchema = z.object({
  stages: z
    .array(
      z.object({
        id: z.string().min(1),
        title: z.string().min(1),
        probability: z.number().min(0).max(1),
        exitGate: z.string().min(1).optional(),
      }),
    )
    .min(1),
  wonStage: z.string().min(1),
  lostStage: z.string().min(1),
  ramp: z.array(z.number().min(0).max(1)).min(1),
  segments: z.array(z.object({ id: z.string().min(1), maxAmount: z.number().positive() })).min(1),
  staleAfterDays: z.number().positive(),
  technicalEvaluatorSilentDays: z.number().positive(),
  technicalValidationStage: z.string().min(1),
  singleThread: z.object({
    minAmount: z.number().nonnegative(),
    minStakeholders: z.number().int().positive(),
    stage: z.string().min(1),
  }),
  engagementCadenceDays: z.number().positive(),
  meetingToOpportunityDays: z.number().positive(),
  baseCurrency: z.string().regex(/^[A-Z]{3}$/),
});

/** The default process from KPIS.md: four open stages with exit gates, then won or lost. */
export const defaultConfig: RevenueConfig = {
  stages: [
    { id: "discovery", title: "Discovery", probability: 0.1, exitGate: "pain_statement" },
    { id: "technical_validation", title: "Technical validation", probability: 0.25, exitGate: "technical_champion" },
    { id: "business_case", title: "Business case", probability: 0.5, exitGate: "economic_buyer" },
    { id: "negotiation", title: "Negotiation", probability: 0.75 },
  ],
  wonStage: "closed_won",
  lostStage: "closed_lost",
  ramp: [0.25, 0.5, 0.75, 1],
  segments: [
    { id: "SMB", maxAmount: 25_000 },
    { id: "Mid-Market", maxAmount: 150_000 },
    { id: "Enterprise", maxAmount: 1_000_000 },
    { id: "Strategic", maxAmount: Number.POSITIVE_INFINITY },
  ],
  staleAfterDays: 14,
  technicalEvaluatorSilentDays: 9,
  technicalValidationStage: "technical_validation",
  singleThread: { minAmount: 25_000, minStakeholders: 3, stage: "technical_validation" },
  engagementCadenceDays: 14,
  meetingToOpportunityDays: 30,
  baseCurrency: "USD",
};

/** Validates a configuration (e.g. from a file), naming the bad key; stage references must exist. */
export function parseConfig(input: unknown): RevenueConfig {
  const config = configSchema.parse(input) as RevenueConfig;
  const ids = new Set(config.stages.map((stage) => stage.id));
  for (const key of ["technicalValidationStage"] as const) {
    if (!ids.has(config[key])) throw new Error(`config.${key}: unknown stage ${JSON.stringify(config[key])}`);
  }
  if (!ids.has(config.singleThread.stage))
    throw new Error(`config.singleThread.stage: unknown stage ${config.singleThread.stage}`);
  return config;
}

/** Index of a stage in the process: open stages 0..n-1, won n, lost -1, unknown undefined. */
export function stageIndex(config: RevenueConfig, stage: string): number | undefined {
  if (stage === config.wonStage) return config.stages.length;
  if (stage === config.lostStage) return -1;
  const index = config.stages.findIndex((candidate) => candidate.id === stage);
  return index === -1 ? undefined : index;
}

/** The configured default win probability of a stage (won 1, lost 0). */
export function stageProbability(config: RevenueConfig, stage: string): number {
  if (stage === config.wonStage) return 1;
  if (stage === config.lostStage) return 0;
  return config.stages.find((candidate) => candidate.id === stage)?.probability ?? 0;
}

/** The deal-size archetype for an amount. */
export function segmentOf(config: RevenueConfig, amount: number): string {
  return (config.segments.find((band) => amount < band.maxAmount) ?? config.segments.at(-1))?.id ?? "unknown";
}
