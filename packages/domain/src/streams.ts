/** Stream naming: one stream per deal, account, contact, team, rep, lead and forecast scope. */
export const streamIds = {
  deal: (dealId: string) => `deal-${dealId}`,
  account: (accountId: string) => `account-${accountId}`,
  contact: (contactId: string) => `contact-${contactId}`,
  team: (teamId: string) => `team-${teamId}`,
  rep: (repId: string) => `rep-${repId}`,
  lead: (leadId: string) => `lead-${leadId}`,
  forecast: (scopeKind: string, scopeId: string) => `forecast-${scopeKind}-${scopeId}`,
  rates: (currency: string) => `fx-${currency}`,
} as const;
