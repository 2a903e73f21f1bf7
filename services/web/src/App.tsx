import { Alert, AppShell, Badge, Group, Loader, SegmentedControl, Select, Tabs, Text, TextInput, Title } from "@mantine/core";
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { quarterOf, quartersEndingWith } from "./format.ts";
import { useQuery } from "./hooks.ts";
import { NamesProvider, namesFrom } from "./names.ts";
import { ViewerQuery } from "./queries.ts";
import type { KpiFilter } from "./views/types.ts";

// Each view is its own chunk, loaded when its tab (or drawer) first opens.
const ScorecardView = lazy(() => import("./views/Scorecard.tsx").then((module) => ({ default: module.ScorecardView })));
const FunnelView = lazy(() => import("./views/Funnel.tsx").then((module) => ({ default: module.FunnelView })));
const AttainmentView = lazy(() => import("./views/Attainment.tsx").then((module) => ({ default: module.AttainmentView })));
const RisksView = lazy(() => import("./views/Risks.tsx").then((module) => ({ default: module.RisksView })));
const DealsView = lazy(() => import("./views/Deals.tsx").then((module) => ({ default: module.DealsView })));
const DealTimelineDrawer = lazy(() =>
  import("./views/DealTimeline.tsx").then((module) => ({ default: module.DealTimelineDrawer })),
);
const DerivationDrawer = lazy(() => import("./views/Derivation.tsx").then((module) => ({ default: module.DerivationDrawer })));

const demoRoles = ["rep", "manager", "exec", "auditor"] as const;
type DemoRole = (typeof demoRoles)[number];

/** Loads the demo tokens the API offers in demo mode (`/demo/tokens`); null when it offers none. */
function useDemoTokens(): Partial<Record<DemoRole, string>> | null | undefined {
  const [tokens, setTokens] = useState<Partial<Record<DemoRole, string>> | null | undefined>(undefined);
  useEffect(() => {
    fetch("/demo/tokens").then(
      async (response) => setTokens(response.ok ? ((await response.json()) as Partial<Record<DemoRole, string>>) : null),
      () => setTokens(null),
    );
  }, []);
  return tokens;
}

/** The dashboard: role, period and team pickers over the scorecard, funnel, attainment and risk views. */
export function App() {
  const demoTokens = useDemoTokens();
  const [role, setRole] = useState<DemoRole>("exec");
  const [pastedToken, setPastedToken] = useState("");
  const token = demoTokens ? (demoTokens[role] ?? "") : pastedToken;
  const periods = useMemo(() => quartersEndingWith(quarterOf(new Date()), 8).reverse(), []);
  const [period, setPeriod] = useState(periods[0] ?? quarterOf(new Date()));
  // The team picked belongs to the token it was picked under; another role starts from all teams it may see.
  const [teamChoice, setTeamChoice] = useState<{ token: string; teamId: string | null }>({ token: "", teamId: null });
  const teamId = teamChoice.token === token ? teamChoice.teamId : null;
  const [explaining, setExplaining] = useState<string | null>(null);
  const [dealId, setDealId] = useState<string | null>(null);
  const viewer = useQuery(ViewerQuery, token ? {} : null, token);
  const filter: KpiFilter = teamId ? { team: [teamId] } : null;
  const names = useMemo(() => namesFrom(viewer.data ?? { reps: [], teams: [], stages: [] }), [viewer.data]);

  return (
    <NamesProvider value={names}>
      <AppShell header={{ height: 64 }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap">
            <Group gap="xs">
              <Title order={3}>revgraph</Title>
              <Text c="dimmed" size="sm">
                revenue dashboard
              </Text>
            </Group>
            <Group gap="sm" wrap="nowrap">
              {demoTokens ? (
                <SegmentedControl
                  aria-label="Role"
                  data-testid="role-switch"
                  value={role}
                  onChange={(value) => setRole(value as DemoRole)}
                  data={demoRoles.map((value) => ({ value, label: value }))}
                />
              ) : (
                <TextInput
                  aria-label="Bearer token"
                  placeholder="Paste a bearer token"
                  value={pastedToken}
                  onChange={(event) => setPastedToken(event.currentTarget.value.trim())}
                />
              )}
              <Select
                aria-label="Period"
                data-testid="period-select"
                w={120}
                data={periods}
                value={period}
                allowDeselect={false}
                onChange={(value) => value && setPeriod(value)}
              />
              <Select
                aria-label="Team"
                data-testid="team-select"
                w={200}
                placeholder="All teams"
                clearable
                data={(viewer.data?.teams ?? []).map((team) => ({ value: team.teamId, label: team.name }))}
                value={teamId}
                onChange={(value) => setTeamChoice({ token, teamId: value })}
              />
              {viewer.data && (
                <Badge variant="light" data-testid="viewer">
                  {viewer.data.viewer.role}
                  {viewer.data.viewer.repId ? ` · ${names.rep(viewer.data.viewer.repId)}` : ""}
                  {viewer.data.viewer.teamId ? ` · ${names.team(viewer.data.viewer.teamId)}` : ""}
                </Badge>
              )}
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Main>
          {demoTokens === undefined ? (
            <Loader />
          ) : !token ? (
            <Alert title="No token">This API offers no demo tokens; paste a bearer token to see the numbers you may see.</Alert>
          ) : viewer.error ? (
            <Alert color="red" title="The API refused this token">
              {viewer.error.message}
            </Alert>
          ) : (
            <Suspense fallback={<Loader />}>
              <Tabs defaultValue="scorecard" keepMounted={false}>
                <Tabs.List mb="md">
                  <Tabs.Tab value="scorecard">Scorecard</Tabs.Tab>
                  <Tabs.Tab value="funnel">Funnel</Tabs.Tab>
                  <Tabs.Tab value="attainment">Quota attainment</Tabs.Tab>
                  <Tabs.Tab value="risks">Deal risks</Tabs.Tab>
                  <Tabs.Tab value="deals">Deals</Tabs.Tab>
                </Tabs.List>
                <Tabs.Panel value="scorecard">
                  <ScorecardView token={token} period={period} filter={filter} onExplain={setExplaining} />
                </Tabs.Panel>
                <Tabs.Panel value="funnel">
                  <FunnelView token={token} period={period} filter={filter} />
                </Tabs.Panel>
                <Tabs.Panel value="attainment">
                  <AttainmentView token={token} period={period} filter={filter} />
                </Tabs.Panel>
                <Tabs.Panel value="risks">
                  <RisksView token={token} teamId={teamId} onOpenDeal={setDealId} />
                </Tabs.Panel>
                <Tabs.Panel value="deals">
                  <DealsView token={token} onOpenDeal={setDealId} />
                </Tabs.Panel>
              </Tabs>
            </Suspense>
          )}
        </AppShell.Main>
        <Suspense fallback={null}>
          {explaining !== null && (
            <DerivationDrawer
              token={token}
              kpiId={explaining}
              period={period}
              filter={filter}
              onClose={() => setExplaining(null)}
              onOpenDeal={setDealId}
            />
          )}
          {dealId !== null && <DealTimelineDrawer token={token} dealId={dealId} onClose={() => setDealId(null)} />}
        </Suspense>
      </AppShell>
    </NamesProvider>
  );
}
