import { Sparkline } from "@mantine/charts";
import { Badge, Group, Paper, SimpleGrid, Stack, Text, Tooltip, UnstyledButton } from "@mantine/core";
import { bandColor, formatKpiValue, quartersEndingWith } from "../format.ts";
import { readFragment } from "../graphql.ts";
import { useQuery } from "../hooks.ts";
import { KpiValueFields, ScorecardQuery, ScorecardTrendQuery } from "../queries.ts";
import { QueryStatus } from "./Status.tsx";
import type { PeriodViewProps } from "./types.ts";

/** Every active KPI for the period: its value (click → derivation), band, and trend over four quarters. */
export function ScorecardView({
  token,
  period,
  filter,
  onExplain,
}: PeriodViewProps & { readonly onExplain: (kpiId: string) => void }) {
  const scorecard = useQuery(ScorecardQuery, { period, filter }, token);
  const [p1, p2, p3, p4] = quartersEndingWith(period, 4);
  const trend = useQuery(ScorecardTrendQuery, p1 && p2 && p3 && p4 ? { p1, p2, p3, p4, filter } : null, token);
  const series = (kpiId: string): (number | null)[] =>
    trend.data
      ? [trend.data.p1, trend.data.p2, trend.data.p3, trend.data.p4].map(
          (values) => values.find((entry) => entry.kpiId === kpiId)?.value ?? null,
        )
      : [];
  const history = (kpiId: string): number[] => series(kpiId).map((value) => value ?? 0);
  const values = (scorecard.data?.scorecard ?? []).map((entry) => readFragment(KpiValueFields, entry));
  return (
    <Stack>
      <QueryStatus state={scorecard} />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} data-testid="scorecard">
        {values.map((kpi) => (
          <Paper key={kpi.kpiId} withBorder p="md" radius="md" data-testid={`kpi-card-${kpi.kpiId}`}>
            <Group justify="space-between" align="flex-start" gap="xs">
              <Tooltip label={kpi.definition.description} multiline w={320} withArrow>
                <Text size="sm" fw={600}>
                  {kpi.title}
                </Text>
              </Tooltip>
              {kpi.band && (
                <Badge
                  color={bandColor[kpi.band.id] ?? "gray"}
                  variant="light"
                  data-testid={`kpi-band-${kpi.kpiId}`}
                  maw="100%"
                  h="auto"
                  styles={{ label: { whiteSpace: "normal", overflow: "visible" } }}
                >
                  {kpi.band.label}
                </Badge>
              )}
            </Group>
            <UnstyledButton onClick={() => onExplain(kpi.kpiId)} aria-label={`Explain ${kpi.title}`}>
              <Text
                size="xl"
                fw={700}
                mt="xs"
                data-testid={`kpi-value-${kpi.kpiId}`}
                data-value={kpi.value ?? ""}
                td="underline dotted"
              >
                {formatKpiValue(kpi.kpiId, kpi.unit, kpi.value)}
              </Text>
            </UnstyledButton>
            <ChangeSincePrevious
              kpiId={kpi.kpiId}
              unit={kpi.unit}
              direction={kpi.definition.direction}
              previous={series(kpi.kpiId)[2] ?? null}
              current={kpi.value}
              previousPeriod={p3 ?? ""}
            />
            {kpi.nullReason && (
              <Text size="xs" c="dimmed">
                {kpi.nullReason}
              </Text>
            )}
            <Sparkline
              mt="xs"
              h={36}
              data={history(kpi.kpiId)}
              curveType="linear"
              color={bandColor[kpi.band?.id ?? ""] ?? "blue"}
              fillOpacity={0.2}
              aria-label={`${kpi.title}, last four quarters`}
            />
            <Text size="xs" c="dimmed">
              {p1} → {p4} · v{kpi.version}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

/** Colour of a change: better (teal) or worse (red) by the KPI's direction; neutral KPIs and no change stay grey. */
function changeColor(direction: string, delta: number): string {
  if (delta === 0 || direction === "neutral") return "dimmed";
  return delta > 0 === (direction === "higher_is_better") ? "teal" : "red";
}

/** How big a change reads: percentage points for ratios, the KPI's own unit otherwise. */
function changeMagnitude(kpiId: string, unit: string, delta: number): string {
  return unit === "ratio" && !kpiId.includes("coverage") && !kpiId.includes("ratio")
    ? `${Math.abs(delta * 100).toFixed(1)} pts`
    : formatKpiValue(kpiId, unit, Math.abs(delta));
}

/**
 * "▲ 2.1 pts vs 2026-Q3": the change since the previous quarter, coloured by whether it is an improvement; "no change"
 * in grey when it is zero as displayed.
 */
function ChangeSincePrevious(props: {
  readonly kpiId: string;
  readonly unit: string;
  readonly direction: string;
  readonly previous: number | null;
  readonly current: number | null | undefined;
  readonly previousPeriod: string;
}) {
  if (props.previous === null || props.current === null || props.current === undefined) return null;
  const magnitude = changeMagnitude(props.kpiId, props.unit, props.current - props.previous);
  // A change too small to show (it reads as zero) is no change: no arrow, no colour.
  const delta = magnitude === changeMagnitude(props.kpiId, props.unit, 0) ? 0 : props.current - props.previous;
  return (
    <Text size="xs" c={changeColor(props.direction, delta)} data-testid={`kpi-change-${props.kpiId}`} data-delta={delta}>
      {delta === 0 ? "no change" : `${delta > 0 ? "▲" : "▼"} ${magnitude}`} vs {props.previousPeriod}
    </Text>
  );
}
