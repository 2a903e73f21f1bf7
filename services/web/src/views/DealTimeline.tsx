import { Badge, Code, Drawer, Group, Stack, Table, Text, Timeline, Title } from "@mantine/core";
import { formatKpiValue, formatNumber } from "../format.ts";
import { useQuery } from "../hooks.ts";
import { useNames } from "../names.ts";
import { DealTimelineQuery } from "../queries.ts";
import { QueryStatus } from "./Status.tsx";

/** An event recorded more than a day after it happened was entered late (back-dated), not just logged that evening. */
const backDatedAfterMs = 86_400_000;

/** One deal's timeline: its stage stays and every event of its stream, with back-dated events marked. */
export function DealTimelineDrawer({ token, dealId, onClose }: { token: string; dealId: string | null; onClose: () => void }) {
  const timeline = useQuery(DealTimelineQuery, dealId ? { dealId } : null, token);
  const deal = timeline.data?.deal;
  const names = useNames();
  return (
    <Drawer opened={dealId !== null} onClose={onClose} position="right" size="lg" title={deal?.name ?? dealId ?? ""}>
      <Stack data-testid="deal-timeline">
        <QueryStatus state={timeline} />
        {timeline.data && !deal && <Text c="dimmed">This deal does not exist or is not yours to see.</Text>}
        {deal && (
          <>
            <Group>
              <Badge>{deal.status}</Badge>
              <Badge variant="light">{names.stage(deal.stage)}</Badge>
              <Text fw={600}>{formatKpiValue("amount", "currency", deal.amount)}</Text>
              <Text c="dimmed" size="sm">
                {deal.account?.name} · {deal.owner?.name} ({deal.owner?.team?.name}) · closes {deal.expectedCloseDate} · pushed{" "}
                {deal.pushes}× · {deal.engagedContactCount} contacts engaged
              </Text>
            </Group>
            <Title order={5}>Stage stays</Title>
            <Table>
              <Table.Tbody>
                {deal.stageHistory.map((stay) => (
                  <Table.Tr key={`${stay.stage}-${stay.enteredAt}`}>
                    <Table.Td>{names.stage(stay.stage)}</Table.Td>
                    <Table.Td>{stay.enteredAt.slice(0, 10)}</Table.Td>
                    <Table.Td>{stay.leftAt?.slice(0, 10) ?? "open"}</Table.Td>
                    <Table.Td ta="right">{formatNumber(stay.days)} d</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Title order={5}>Events</Title>
            <Timeline bulletSize={14} lineWidth={2} active={deal.events.edges.length}>
              {deal.events.edges.map(({ node }) => {
                const backDated = Date.parse(node.recordedAt) - Date.parse(node.occurredAt) > backDatedAfterMs;
                return (
                  <Timeline.Item key={node.eventId} title={node.type} data-testid="timeline-event" data-back-dated={backDated}>
                    <Text size="xs" c="dimmed">
                      #{node.streamRevision} · occurred {node.occurredAt.slice(0, 16).replace("T", " ")}
                      {backDated ? ` · recorded ${node.recordedAt.slice(0, 10)} (back-dated)` : ""}
                    </Text>
                    <Code block fz="xs" style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>
                      {JSON.stringify(node.data)}
                    </Code>
                  </Timeline.Item>
                );
              })}
            </Timeline>
          </>
        )}
      </Stack>
    </Drawer>
  );
}
