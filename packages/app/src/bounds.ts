import { z } from "zod";
import { idProblem, textProblem } from "./text.ts";
import { defaultYearBounds, parseCalendarDate, TimeParseError, type YearBounds } from "./time.ts";

/** What command input must stay within (every field has a default). */
export interface InputBounds extends YearBounds {
  /** Largest absolute amount on a deal, quota or forecast (default 10¹²). */
  readonly maxAbsAmount: number;
  /** Longest id (default 128). */
  readonly maxIdLength: number;
  /** Longest name (default 200). */
  readonly maxNameLength: number;
  /** Longest free text: summaries, notes, evidence, reasons (default 2,000). */
  readonly maxTextLength: number;
}

/** The default {@link InputBounds}. */
export const defaultInputBounds: InputBounds = {
  ...defaultYearBounds,
  maxAbsAmount: 1e12,
  maxIdLength: 128,
  maxNameLength: 200,
  maxTextLength: 2_000,
};

/** zod schemas for the scalar fields of command input, held to `bounds`. */
export function boundedFields(bounds: InputBounds) {
  const check = (problem: (value: string) => string | undefined) => (value: string, context: z.core.$RefinementCtx<string>) => {
    const found = problem(value);
    if (found) context.addIssue({ code: "custom", message: found });
  };
  const id = z.string().superRefine(check((value) => idProblem(value, bounds.maxIdLength)));
  const name = z
    .string()
    .min(1)
    .superRefine(check((value) => textProblem(value, bounds.maxNameLength)));
  const label = z
    .string()
    .min(1)
    .superRefine(check((value) => textProblem(value, bounds.maxNameLength)));
  const text = z.string().superRefine(check((value) => textProblem(value, bounds.maxTextLength, true)));
  const requiredText = z
    .string()
    .min(1)
    .superRefine(check((value) => textProblem(value, bounds.maxTextLength, true)));
  const amount = z.number().finite().nonnegative().max(bounds.maxAbsAmount, `must be at most ${bounds.maxAbsAmount}`);
  const date = z.string().superRefine(
    check((value) => {
      try {
        parseCalendarDate(value, bounds);
        return undefined;
      } catch (error) {
        return error instanceof TimeParseError ? error.message : String(error);
      }
    }),
  );
  return {
    id,
    name,
    label,
    text,
    requiredText,
    amount,
    date,
    /** A fraction 0–1 (0 % to 100 %), as the event catalog stores it. */
    probability: z.number().min(0).max(1),
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"),
  };
}
