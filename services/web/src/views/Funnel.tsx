import { BarChart } from "@mantine/charts";
import { Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { formatNumber } from "../format.ts";
import { useQuery } from "../hooks.ts";
import { useNames } from "../names.ts";
import { FunnelQuery } from "../queries.ts";
import { QueryStatus } from "./Status.tsx";
import type { PeriodViewProps } from "./types.ts";

/** Every category label on the x axis (Recharts drops some when they crowd), wrapped over lines where long. */
const everyLabel = { interval: 0, height: 48, tick: { fontSize: 11, width: 110 } } as const;

/** Stage-to-stage conversion with the counts behind each rate, and time in stage per stage. */
export function FunnelView({ token, period, filter }: PeriodViewProps) {
  const funnel = useQuery(FunnelQuery, { period, filter }, token);
  const names = useNames();
  const first = funnel.data?.funnel[0];
  const steps = (first?.steps ?? []).map((step) => ({
    step: `${names.stage(step.from)} → ${names.stage(step.to)}`,
    "conversion %": step.rate === null ? 0 : Math.round(step.rate * 1000) / 10,
    entered: step.entered,
    converted: step.converted,
  }));
  const stages = (first?.timeInStage ?? []).map((stage) => ({
    stage: names.stage(stage.stage),
    "median days": stage.medianDays ?? 0,
    "p90 days": stage.p90Days ?? 0,
  }));
  return (
    <Stack>
      <QueryStatus state={funnel} />
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Paper withBorder p="md" radius="md">
          <Title order={4}>Stage conversion</Title>
          <BarChart
            h={300}
            data={steps}
            dataKey="step"
            series={[{ name: "conversion %", color: "blue.6" }]}
            unit="%"
            xAxisProps={everyLabel}
            data-testid="funnel-chart"
          />
          <Table mt="md" data-testid="funnel-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Step</Table.Th>
                <Table.Th ta="right">Entered</Table.Th>
                <Table.Th ta="right">Converted</Table.Th>
                <Table.Th ta="right">Rate</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {steps.map((step) => (
                <Table.Tr key={step.step}>
                  <Table.Td>{step.step}</Table.Td>
                  <Table.Td ta="right">{step.entered}</Table.Td>
                  <Table.Td ta="right">{step.converted}</Table.Td>
                  <Table.Td ta="right">{step["conversion %"]}%</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
        <Paper withBorder p="md" radius="md">
          <Title order={4}>Time in stage</Title>
          <BarChart
            h={300}
            data={stages}
            dataKey="stage"
            xAxisProps={everyLabel}
            withLegend
            series={[
              { name: "median days", color: "teal.6" },
              { name: "p90 days", color: "orange.5" },
            ]}
          />
          <Table mt="md">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Stage</Table.Th>
                <Table.Th ta="right">Completed stays</Table.Th>
                <Table.Th ta="right">Median days</Table.Th>
                <Table.Th ta="right">Open stays</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(first?.timeInStage ?? []).map((stage) => (
                <Table.Tr key={stage.stage}>
                  <Table.Td>{names.stage(stage.stage)}</Table.Td>
                  <Table.Td ta="right">{stage.completed}</Table.Td>
                  <Table.Td ta="right">{formatNumber(stage.medianDays)}</Table.Td>
                  <Table.Td ta="right">{stage.openStays}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      </SimpleGrid>
      {funnel.data && !first && <Text c="dimmed">No deals entered the funnel in this period.</Text>}
    </Stack>
  );
}
