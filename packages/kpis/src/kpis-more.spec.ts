import { engineRunner } from "./hand-computed.cases.ts";
import { handComputedMoreKpis } from "./hand-computed-more.cases.ts";

handComputedMoreKpis(engineRunner);
