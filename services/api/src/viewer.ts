import { type DealSnapshot, type GraphState, repTeamAt, timeSlice } from "@revgraph/domain";
import type { RecordedEvent } from "@revgraph/events";
import type { DimensionFilter } from "@revgraph/kpis";
import type { Role, ViewerClaims } from "./auth.ts";

/** What the viewer's rules read: the org graph (reps and teams) and the current owner of a deal. */
export interface ViewerSources {
  /** The graph's org part (reps, teams). Treat it as read-only. */
  readonly state: GraphState;
  /** The current owner of a deal, undefined when no deal has that id. */
  dealOwner(dealId: string): string | undefined;
}

/**
 * The caller and what they may see. Every visibility rule lives here, and the schema's auth scopes
 * (types and fields) call it, so a rep never reaches another team's data through any path.
 */
export class Viewer {
  readonly claims: ViewerClaims;
  readonly #sources: ViewerSources;

  constructor(claims: ViewerClaims, sources: ViewerSources) {
    this.claims = claims;
    this.#sources = sources;
  }

  get role(): Role {
    return this.claims.role;
  }

  /** The token's subject: commands record it as the actor, and idempotency keys are scoped to it. */
  get id(): string {
    return this.claims.sub;
  }

  /** Admins run the roster commands (teams, reps, quotas). */
  get admin(): boolean {
    return this.role === "admin";
  }

  /** exec, auditor and admin see everything. */
  get readsAll(): boolean {
    return this.role === "exec" || this.role === "auditor" || this.role === "admin";
  }

  /** Everyone but auditors may run commands (on what they can see). */
  get writes(): boolean {
    return this.role !== "auditor";
  }

  #teamOf(repId: string): string | undefined {
    const state = this.#sources.state;
    return repTeamAt(state, repId, timeSlice(state));
  }

  /** Whether the viewer may see (and, with {@link writes}, change) work owned by `repId`. */
  canSeeRep(repId: string): boolean {
    if (this.readsAll) return true;
    if (this.role === "rep") return repId === this.claims.repId;
    return this.#teamOf(repId) === this.claims.teamId;
  }

  canSeeTeam(teamId: string): boolean {
    if (this.readsAll) return true;
    if (this.role === "manager") return teamId === this.claims.teamId;
    return this.claims.repId !== undefined && this.#teamOf(this.claims.repId) === teamId;
  }

  /** Rep forecasts by rep, team forecasts by team, the company forecast for those who read everything. */
  canSeeForecast(scopeKind: string, scopeId: string): boolean {
    if (scopeKind === "rep") return this.canSeeRep(scopeId);
    if (scopeKind === "team") return this.canSeeTeam(scopeId);
    return this.readsAll;
  }

  canSeeDeal(deal: Pick<DealSnapshot, "ownerRepId">): boolean {
    return this.canSeeRep(deal.ownerRepId);
  }

  /** Whether the viewer may see a deal by its id: by its current owner (an unknown deal only for those who read all). */
  canSeeDealId(dealId: string): boolean {
    if (this.readsAll) return true;
    const owner = this.#sources.dealOwner(dealId);
    return owner !== undefined && this.canSeeRep(owner);
  }

  /**
   * The reps whose deals the viewer may see (what {@link canSeeRep} accepts among the known reps), for queries to
   * filter on; undefined for those who read everything.
   */
  visibleOwners(): readonly string[] | undefined {
    if (this.readsAll) return undefined;
    if (this.role === "rep") return this.claims.repId === undefined ? [] : [this.claims.repId];
    return Object.keys(this.#sources.state.reps).filter((repId) => this.canSeeRep(repId));
  }

  /** Whether the viewer may see a raw event: by the stream it belongs to. */
  canSeeEvent(event: Pick<RecordedEvent, "streamId">): boolean {
    if (this.readsAll) return true;
    const [kind, ...rest] = event.streamId.split("-");
    const id = rest.join("-");
    if (kind === "deal") return this.canSeeDealId(id);
    if (kind === "rep") return this.canSeeRep(id);
    if (kind === "team") return this.canSeeTeam(id);
    return false;
  }

  /** The KPI filter this viewer is held to: what they asked for, intersected with what they may see. */
  restrictFilter(filter: DimensionFilter): DimensionFilter {
    if (this.readsAll) return filter;
    const own = (asked: readonly string[] | undefined, mine: string | undefined) =>
      (asked ?? [mine ?? ""]).filter((value) => value === mine);
    if (this.role === "rep") return { ...filter, rep: own(filter.rep, this.claims.repId) };
    return { ...filter, team: own(filter.team, this.claims.teamId) };
  }
}
