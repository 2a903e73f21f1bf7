import { createContext, useContext } from "react";

/** Display names for the ids the API reports: reps, teams and stages (titles from the configured process). */
export interface Names {
  rep(repId: string): string;
  team(teamId: string): string;
  stage(stageId: string): string;
}

const closedStages: Record<string, string> = { closed_won: "Won", closed_lost: "Lost" };

/** "technical_validation" → "Technical validation", for a stage the configuration does not name. */
export function humanize(id: string): string {
  const words = id.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Look-ups over what the viewer query returned; an id it does not know reads as itself (stages humanized). */
export function namesFrom(data: {
  readonly reps: readonly { readonly repId: string; readonly name: string }[];
  readonly teams: readonly { readonly teamId: string; readonly name: string }[];
  readonly stages: readonly { readonly id: string; readonly title: string }[];
}): Names {
  const reps = new Map(data.reps.map((rep) => [rep.repId, rep.name]));
  const teams = new Map(data.teams.map((team) => [team.teamId, team.name]));
  const stages = new Map(data.stages.map((stage) => [stage.id, stage.title]));
  return {
    rep: (repId) => reps.get(repId) ?? repId,
    team: (teamId) => teams.get(teamId) ?? teamId,
    stage: (stageId) => stages.get(stageId) ?? closedStages[stageId] ?? humanize(stageId),
  };
}

const NamesContext = createContext<Names>(namesFrom({ reps: [], teams: [], stages: [] }));

/** Provides the names to every view. */
export const NamesProvider = NamesContext.Provider;

/** The display names of the page's viewer. */
export function useNames(): Names {
  return useContext(NamesContext);
}
