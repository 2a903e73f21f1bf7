import { repTeamAt, teamManagerAt, timeSlice } from "@revgraph/domain";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { listConnection } from "./connection.ts";
import { dealPage } from "./deals.ts";
import { AccountRef, ContactRef, DealRef, ForecastRef, QuotaRef, RepRef, TeamRef } from "./refs.ts";

const visibleAccountsByRequest = new WeakMap<Context, Promise<Set<string>>>();

/**
 * Whether the caller may see an account: those who read everything see every account, others the accounts with at
 * least one deal they may see (as things stand; read once per request).
 */
function canSeeAccount(context: Context, accountId: string): boolean | Promise<boolean> {
  if (!context.viewer) return false;
  if (context.viewer.readsAll) return true;
  return accountsOfVisibleDeals(context).then((visible) => visible.has(accountId));
}

/** The accounts of the deals the caller may see, as things stand (read once per request). */
function accountsOfVisibleDeals(context: Context): Promise<Set<string>> {
  let ids = visibleAccountsByRequest.get(context);
  if (!ids) {
    ids = context.readModel.dealAccounts(context.viewer?.visibleOwners() ?? []);
    visibleAccountsByRequest.set(context, ids);
  }
  return ids;
}

/** The ids of an account's deals the caller may see, as things stand, by id. */
function accountDealIds(context: Context, accountId: string): Promise<string[]> {
  return context.readModel.dealIds({ filter: { accountId }, owners: context.viewer ? context.viewer.visibleOwners() : [] });
}

function currentTeam(context: Context, repId: string): string | undefined {
  const state = context.readModel.state;
  return repTeamAt(state, repId, timeSlice(state));
}

builder.node(RepRef, {
  description: "A quota-carrying seller.",
  authScopes: (rep, context) => context.viewer?.canSeeRep(rep.repId) ?? false,
  id: { resolve: (rep) => rep.repId },
  // Hidden answers like missing (null), here and in the other nodes.
  loadOne: async (id, context) => {
    const rep = await context.loaders.rep.load(id);
    return rep && context.viewer?.canSeeRep(rep.repId) ? rep : null;
  },
  fields: (t) => ({
    repId: t.exposeString("repId"),
    name: t.exposeString("name"),
    startDate: t.expose("startDate", { type: "Date" }),
    region: t.exposeString("region", { nullable: true }),
    departedOn: t.field({ type: "Date", nullable: true, resolve: (rep) => rep.departed?.endDate ?? null }),
    ramp: t.field({
      type: ["Float"],
      description: "Quota share per month of tenure (configured default when not set).",
      resolve: (rep, _args, context) => [...(rep.ramp ?? context.config.ramp)],
    }),
    team: t.field({
      type: TeamRef,
      nullable: true,
      resolve: (rep, _args, context) => {
        const teamId = currentTeam(context, rep.repId);
        return teamId ? context.loaders.team.load(teamId) : null;
      },
    }),
    quotas: t.field({
      type: [QuotaRef],
      resolve: (rep, _args, context) => context.readModel.state.quotas.filter((quota) => quota.repId === rep.repId),
    }),
    deals: t.connection({
      type: DealRef,
      resolve: async (rep, args, context) =>
        dealPage(context, args, await context.readModel.dealIds({ filter: { ownerRepIds: [rep.repId] } })),
    }),
  }),
});

builder.node(TeamRef, {
  description: "A sales team and its manager.",
  authScopes: (team, context) => context.viewer?.canSeeTeam(team.teamId) ?? false,
  id: { resolve: (team) => team.teamId },
  loadOne: async (id, context) => {
    const team = await context.loaders.team.load(id);
    return team && context.viewer?.canSeeTeam(team.teamId) ? team : null;
  },
  fields: (t) => ({
    teamId: t.exposeString("teamId"),
    name: t.exposeString("name"),
    region: t.exposeString("region", { nullable: true }),
    managerId: t.field({
      type: "String",
      nullable: true,
      resolve: (team, _args, context) =>
        teamManagerAt(context.readModel.state, team.teamId, timeSlice(context.readModel.state)) ?? null,
    }),
    reps: t.field({
      type: [RepRef],
      resolve: (team, _args, context) =>
        Object.values(context.readModel.state.reps)
          .filter((rep) => currentTeam(context, rep.repId) === team.teamId)
          .sort((a, b) => a.repId.localeCompare(b.repId)),
    }),
  }),
});

builder.node(AccountRef, {
  description: "A buying organisation.",
  authScopes: (account, context) => canSeeAccount(context, account.accountId),
  id: { resolve: (account) => account.accountId },
  loadOne: async (id, context) => {
    const account = await context.loaders.account.load(id);
    return account && (await canSeeAccount(context, account.accountId)) ? account : null;
  },
  fields: (t) => ({
    accountId: t.exposeString("accountId"),
    name: t.exposeString("name"),
    segment: t.exposeString("segment", { nullable: true }),
    region: t.exposeString("region", { nullable: true }),
    industry: t.exposeString("industry", { nullable: true }),
    addressable: t.exposeBoolean("addressable"),
    contacts: t.field({
      type: [ContactRef],
      resolve: (account, _args, context) =>
        Object.values(context.readModel.state.contacts).filter((contact) => contact.accountId === account.accountId),
    }),
    engagedContactCount: t.int({
      description: "Distinct contacts engaged across the account's visible deals.",
      resolve: async (account, _args, context) => {
        const engaged = new Set<string>();
        for (const deal of await context.readModel.deals(await accountDealIds(context, account.accountId)))
          if (deal && context.viewer?.canSeeDeal(deal)) for (const id of deal.engagedContactIds) engaged.add(id);
        return engaged.size;
      },
    }),
    deals: t.connection({
      type: DealRef,
      resolve: async (account, args, context) => dealPage(context, args, await accountDealIds(context, account.accountId)),
    }),
  }),
});

builder.node(ContactRef, {
  description: "A person at an account.",
  id: { resolve: (contact) => contact.contactId },
  loadOne: (id, context) => context.loaders.contact.load(id),
  fields: (t) => ({
    contactId: t.exposeString("contactId"),
    name: t.exposeString("name"),
    title: t.exposeString("title", { nullable: true }),
    account: t.field({
      type: AccountRef,
      nullable: true,
      resolve: (contact, _args, context) => context.loaders.account.load(contact.accountId),
    }),
  }),
});

QuotaRef.implement({
  description: "A rep's quota for a period (before ramp adjustment).",
  authScopes: (quota, context) => context.viewer?.canSeeRep(quota.repId) ?? false,
  fields: (t) => ({
    repId: t.exposeString("repId"),
    period: t.exposeString("period"),
    from: t.expose("from", { type: "Date" }),
    to: t.expose("to", { type: "Date", description: "Exclusive." }),
    amount: t.exposeFloat("amount"),
    currency: t.exposeString("currency"),
    setAt: t.expose("at", { type: "DateTime" }),
    eventId: t.exposeString("eventId"),
  }),
});

ForecastRef.implement({
  description: "A forecast submitted for a period by a rep, a team or the company.",
  authScopes: (forecast, context) => context.viewer?.canSeeForecast(forecast.scopeKind, forecast.scopeId) ?? false,

  fields: (t) => ({
    forecastId: t.exposeString("forecastId"),
    scope: t.exposeString("scopeKind"),
    scopeId: t.exposeString("scopeId"),
    period: t.exposeString("period"),
    amount: t.exposeFloat("amount"),
    currency: t.exposeString("currency"),
    submittedAt: t.expose("at", { type: "DateTime" }),
    eventId: t.exposeString("eventId"),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: builder.objectRef<{ role: string; repId: string | null; teamId: string | null; subject: string }>("Viewer").implement({
      fields: (f) => ({
        subject: f.exposeString("subject"),
        role: f.exposeString("role"),
        repId: f.exposeString("repId", { nullable: true }),
        teamId: f.exposeString("teamId", { nullable: true }),
      }),
    }),
    resolve: (_root, _args, context) => ({
      subject: context.viewer?.claims.sub ?? "",
      role: context.viewer?.role ?? "",
      repId: context.viewer?.claims.repId ?? null,
      teamId: context.viewer?.claims.teamId ?? null,
    }),
  }),
  reps: t.field({
    type: [RepRef],
    description: "Reps the caller may see.",
    resolve: (_root, _args, context) =>
      Object.values(context.readModel.state.reps)
        .filter((rep) => context.viewer?.canSeeRep(rep.repId))
        .sort((a, b) => a.repId.localeCompare(b.repId, "en", { numeric: true })),
  }),
  teams: t.field({
    type: [TeamRef],
    resolve: (_root, _args, context) =>
      Object.values(context.readModel.state.teams)
        .filter((team) => context.viewer?.canSeeTeam(team.teamId))
        .sort((a, b) => a.teamId.localeCompare(b.teamId, "en", { numeric: true })),
  }),
  accounts: t.connection({
    type: AccountRef,
    args: { segment: t.arg.string({ required: false }), region: t.arg.string({ required: false }) },
    resolve: async (_root, args, context) => {
      const everyone = context.viewer?.readsAll ?? false;
      const visible = everyone ? new Set<string>() : await accountsOfVisibleDeals(context);
      const accounts = Object.values(context.readModel.state.accounts)
        .filter(
          (account) =>
            (everyone || visible.has(account.accountId)) &&
            (!args.segment || account.segment === args.segment) &&
            (!args.region || account.region === args.region),
        )
        .sort((a, b) => a.accountId.localeCompare(b.accountId, "en", { numeric: true }));
      return listConnection(args, accounts);
    },
  }),
  forecasts: t.field({
    type: [ForecastRef],
    args: { period: t.arg.string({ required: true }) },
    resolve: (_root, args, context) =>
      context.readModel.state.forecasts.filter(
        (forecast) =>
          forecast.period === args.period && (context.viewer?.canSeeForecast(forecast.scopeKind, forecast.scopeId) ?? false),
      ),
  }),
}));
