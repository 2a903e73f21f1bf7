import { createApp, type Role, signToken } from "@revgraph/api";
import { seedDemoData } from "@revgraph/api/demo";
import { defaultConfig, repTeamAt, timeSlice } from "@revgraph/domain";
import { createMemoryEventStore, type EventStore } from "@revgraph/event-store";
import { RevenueReadModel, type ServedDeal } from "@revgraph/read-model";

/** The instant the test history ends and the API's clock stands still at. */
export const NOW = new Date("2026-11-15T12:00:00Z");
export const SECRET = "test-secret-test-secret-test-secret-0123";

/** Every deal as things stand, by id (code units), read as the API reads them (from the fact tables and streams). */
export async function dealsAsTheyStand(readModel: RevenueReadModel): Promise<ServedDeal[]> {
  const ids = (await readModel.dealIds({})).sort();
  return (await readModel.deals(ids)).filter((deal): deal is ServedDeal => deal !== null);
}

/**
 * An API app over a memory store with generated history, plus tokens for every role and the ids tests need. The read
 * model holds the org part of the graph only, as the API runs (`graph: "full"` for specs that hold answers to the engine).
 */
export async function apiHarness(deals = 300, given?: EventStore, graph: "org" | "full" = "org") {
  let recordClock = NOW;
  const store = given ?? createMemoryEventStore({ clock: () => recordClock });
  if ((await store.headPosition()) === 0) await seedDemoData(store, { deals, seed: 3, now: NOW });
  const readModel = await RevenueReadModel.open({ store, config: defaultConfig, factsPath: ":memory:", graph });
  const app = createApp({ store, readModel, config: defaultConfig, jwtSecret: SECRET, clock: () => NOW, maskErrors: true });
  const state = readModel.state;
  const slice = timeSlice(state);
  const teamOf = (repId: string) => repTeamAt(state, repId, slice) as string;
  const seededDeals = await dealsAsTheyStand(readModel);
  const deal = seededDeals.find((candidate) => candidate.ownerRepId === "rep-1") as {
    id: string;
    ownerRepId: string;
  };
  const myTeam = teamOf("rep-1");
  const foreign = seededDeals.find((candidate) => teamOf(candidate.ownerRepId) !== myTeam) as {
    id: string;
    ownerRepId: string;
  };
  const teammate = Object.keys(state.reps).find((repId) => repId !== "rep-1" && teamOf(repId) === myTeam);
  const teammateDeal = seededDeals.find((candidate) => candidate.ownerRepId === teammate);
  const tokens: Record<Role, string> = {
    rep: await signToken({ sub: "ana", role: "rep", repId: "rep-1" }, SECRET),
    manager: await signToken({ sub: "mia", role: "manager", teamId: myTeam }, SECRET),
    exec: await signToken({ sub: "eve", role: "exec" }, SECRET),
    auditor: await signToken({ sub: "aud", role: "auditor" }, SECRET),
    admin: await signToken({ sub: "adm", role: "admin" }, SECRET),
  };

  /** Runs an operation through `yoga.fetch`, returning status and parsed body. */
  async function gql(token: string | null, query: string, variables: Record<string, unknown> = {}) {
    const response = await app.fetch("http://revgraph.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const json = (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
    };
    return { status: response.status, body: { data: json.data ?? {}, ...(json.errors ? { errors: json.errors } : {}) } };
  }
  /** Moves the store's record clock: later appends are "recorded" at this instant. */
  const recordAt = (instant: string) => {
    recordClock = new Date(instant);
  };
  return {
    recordAt,
    app,
    store,
    readModel,
    /** Every deal as things stand now (see {@link dealsAsTheyStand}). */
    dealsAsTheyStand: () => dealsAsTheyStand(readModel),
    tokens,
    gql,
    myDeal: deal,
    foreignDeal: foreign,
    teammateDeal,
    myTeam,
    foreignTeam: teamOf(foreign.ownerRepId),
  };
}
