import { Anchor, Badge, Button, Group, SegmentedControl, Stack, Table, Text } from "@mantine/core";
import { useState } from "react";
import { formatKpiValue } from "../format.ts";
import { useQuery } from "../hooks.ts";
import { useNames } from "../names.ts";
import { DealsQuery } from "../queries.ts";
import { QueryStatus } from "./Status.tsx";

const statuses = ["open", "won", "lost"] as const;

interface DealsViewProps {
  readonly token: string;
  readonly onOpenDeal: (dealId: string) => void;
}

/** The deals the caller may see, largest first, 25 a page (Relay cursors), each opening its timeline. */
export function DealsView({ token, onOpenDeal }: DealsViewProps) {
  const names = useNames();
  const [status, setStatus] = useState<(typeof statuses)[number]>("open");
  // Cursors of the pages before the current one belong to one status and one caller; another starts at page one.
  const [paging, setPaging] = useState<{ status: string; token: string; cursors: string[] }>({ status, token, cursors: [] });
  const cursors = paging.status === status && paging.token === token ? paging.cursors : [];
  const deals = useQuery(DealsQuery, { status: [status], after: cursors.at(-1) ?? null }, token);
  const connection = deals.data?.deals;
  return (
    <Stack>
      <SegmentedControl
        data-testid="deal-status"
        value={status}
        onChange={(value) => setStatus(value as (typeof statuses)[number])}
        data={[...statuses]}
      />
      <QueryStatus state={deals} />
      <Table striped highlightOnHover data-testid="deal-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Deal</Table.Th>
            <Table.Th>Account</Table.Th>
            <Table.Th>Owner</Table.Th>
            <Table.Th>Team</Table.Th>
            <Table.Th>Stage</Table.Th>
            <Table.Th ta="right">Amount</Table.Th>
            <Table.Th>Closes</Table.Th>
            <Table.Th ta="right">Contacts</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(connection?.edges ?? []).map(({ node }) => (
            <Table.Tr key={node.dealId} data-testid="deal-row" data-owner={node.owner?.repId ?? ""}>
              <Table.Td>
                <Anchor component="button" onClick={() => onOpenDeal(node.dealId)}>
                  {node.name}
                </Anchor>
              </Table.Td>
              <Table.Td>{node.account?.name ?? "—"}</Table.Td>
              <Table.Td>{node.owner?.name ?? "—"}</Table.Td>
              <Table.Td>{node.owner?.team?.name ?? "—"}</Table.Td>
              <Table.Td>
                <Badge variant="light">{names.stage(node.stage)}</Badge>
              </Table.Td>
              <Table.Td ta="right">{formatKpiValue("amount", "currency", node.amount)}</Table.Td>
              <Table.Td>
                {node.expectedCloseDate}
                {node.pushes > 0 ? ` (pushed ${node.pushes}×)` : ""}
              </Table.Td>
              <Table.Td ta="right">{node.engagedContactCount}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group>
        <Button
          variant="default"
          disabled={cursors.length === 0}
          onClick={() => setPaging({ status, token, cursors: cursors.slice(0, -1) })}
        >
          Previous page
        </Button>
        <Button
          variant="default"
          disabled={!connection?.pageInfo.hasNextPage}
          onClick={() => {
            const next = connection?.pageInfo.endCursor;
            if (next) setPaging({ status, token, cursors: [...cursors, next] });
          }}
        >
          Next page
        </Button>
        <Text size="sm" c="dimmed">
          page {cursors.length + 1}
        </Text>
      </Group>
    </Stack>
  );
}
