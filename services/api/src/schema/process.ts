import type { StageDefinition } from "@revgraph/domain";
import { builder } from "../builder.ts";

const StageRef = builder.objectRef<StageDefinition>("Stage").implement({
  description: "An open stage of the configured sales process, in order.",
  fields: (t) => ({
    id: t.exposeString("id"),
    title: t.exposeString("title", { description: "Human name of the stage, for display." }),
    probability: t.exposeFloat("probability", { description: "Default win probability while in the stage." }),
    exitGate: t.exposeString("exitGate", { nullable: true, description: "Evidence needed to leave the stage, if any." }),
  }),
});

builder.queryFields((t) => ({
  stages: t.field({
    type: [StageRef],
    description: "The configured sales process's open stages, in order (ids as the API reports them, with titles).",
    resolve: (_root, _args, context) => [...context.config.stages],
  }),
}));
