import { BarChart } from "@mantine/charts";
import { Group, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { formatKpiValue } from "../format.ts";
import { useQuery } from "../hooks.ts";
import { useNames } from "../names.ts";
import { AttainmentQuery } from "../queries.ts";
import { QueryStatus } from "./Status.tsx";
import type { PeriodViewProps } from "./types.ts";

/** Histogram buckets of attainment, 25 points wide up to 150%, then one open bucket. */
const buckets = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5] as const;

function bucketLabel(index: number): string {
  const low = buckets[index] ?? 0;
  const high = buckets[index + 1];
  return high === undefined ? `≥ ${low * 100}%` : `${low * 100}–${high * 100}%`;
}

/** Quota attainment across reps against ramp-adjusted quota: a histogram, percentiles and the per-rep table. */
export function AttainmentView({ token, period, filter }: PeriodViewProps) {
  const attainment = useQuery(AttainmentQuery, { period, filter }, token);
  const names = useNames();
  const distribution = attainment.data?.attainmentDistribution;
  // Attainment is null only when it is not a finite number (see the rep's nullReason): such reps sort last, unbucketed.
  const rank = (rep: { attainment: number | null }) => rep.attainment ?? -1;
  const reps = [...(distribution?.reps ?? [])].sort((a, b) => rank(b) - rank(a));
  const histogram = buckets.map((_, index) => ({
    bucket: bucketLabel(index),
    reps: reps.filter(({ attainment }) => {
      const high = buckets[index + 1];
      return attainment !== null && attainment >= (buckets[index] ?? 0) && (high === undefined || attainment < high);
    }).length,
  }));
  const percent = (value: number | null | undefined) => formatKpiValue("quota_attainment", "ratio", value);
  return (
    <Stack>
      <QueryStatus state={attainment} />
      {distribution && (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <Paper withBorder p="md" radius="md">
            <Title order={4}>Reps by attainment</Title>
            <BarChart
              h={260}
              data={histogram}
              dataKey="bucket"
              series={[{ name: "reps", color: "violet.6" }]}
              data-testid="attainment-histogram"
            />
            <Group mt="md" gap="lg">
              <Text size="sm">median {percent(distribution.p50)}</Text>
              <Text size="sm">
                p10–p90 {percent(distribution.p10)} – {percent(distribution.p90)}
              </Text>
              <Text size="sm" data-testid="share-at-quota">
                at or above quota {percent(distribution.shareAtOrAbove100)}
              </Text>
            </Group>
          </Paper>
          <Paper withBorder p="md" radius="md">
            <Title order={4}>Per rep (ramp-adjusted quota)</Title>
            <Table striped data-testid="attainment-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Rep</Table.Th>
                  <Table.Th ta="right">Won</Table.Th>
                  <Table.Th ta="right">Ramp-adjusted quota</Table.Th>
                  <Table.Th ta="right">Attainment</Table.Th>
                  <Table.Th ta="right">Payout ×</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {reps.map((rep) => (
                  <Table.Tr key={rep.repId} data-rep={rep.repId}>
                    <Table.Td data-testid="attainment-rep">{names.rep(rep.repId)}</Table.Td>
                    <Table.Td ta="right">{formatKpiValue("won", "currency", rep.won)}</Table.Td>
                    <Table.Td ta="right">{formatKpiValue("quota", "currency", rep.rampAdjustedQuota)}</Table.Td>
                    <Table.Td ta="right">{percent(rep.attainment)}</Table.Td>
                    <Table.Td ta="right">{rep.payoutMultiplier?.toFixed(2) ?? "—"}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Paper>
        </SimpleGrid>
      )}
    </Stack>
  );
}
