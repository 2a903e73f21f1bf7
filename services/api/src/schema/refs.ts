import type { GraphState, InteractionFacts, StageStay } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import type { DealRisk } from "@revgraph/kpis";
import type { ServedDeal, ServedKpiResult } from "@revgraph/read-model";
import { builder } from "../builder.ts";

/** Read-model records exposed as GraphQL objects. */
export type RepRecord = GraphState["reps"][string];
export type TeamRecord = GraphState["teams"][string];
export type AccountRecord = GraphState["accounts"][string];
export type ContactRecord = GraphState["contacts"][string];
export type QuotaRecord = GraphState["quotas"][number];
export type ForecastRecord = GraphState["forecasts"][number];

/** Object references shared by the schema files (declared here, implemented beside their queries). */
export const DealRef = builder.objectRef<ServedDeal>("Deal");
export const RepRef = builder.objectRef<RepRecord>("Rep");
export const TeamRef = builder.objectRef<TeamRecord>("Team");
export const AccountRef = builder.objectRef<AccountRecord>("Account");
export const ContactRef = builder.objectRef<ContactRecord>("Contact");
export const QuotaRef = builder.objectRef<QuotaRecord>("Quota");
export const ForecastRef = builder.objectRef<ForecastRecord>("Forecast");
export const StageStayRef = builder.objectRef<StageStay>("StageStay");
export const InteractionRef = builder.objectRef<InteractionFacts>("Interaction");
export const EventRef = builder.objectRef<RecordedEvent>("Event");
export const KpiValueRef = builder.objectRef<ServedKpiResult>("KpiValue");
export const DealRiskRef = builder.objectRef<DealRisk>("DealRisk");
