import { Anchor, Badge, SegmentedControl, Stack, Table, Text } from "@mantine/core";
import { useState } from "react";
import { formatKpiValue } from "../format.ts";
import { useQuery } from "../hooks.ts";
import { RisksQuery } from "../queries.ts";
import { QueryStatus } from "./Status.tsx";

const riskColor: Record<string, string> = { stale: "gray", single_threaded: "orange", evaluator_silent: "grape", slipped: "red" };

interface RisksViewProps {
  readonly token: string;
  readonly teamId: string | null;
  readonly onOpenDeal: (dealId: string) => void;
}

/** Stale, single-threaded, silent-evaluator and slipped deals the caller may see; each opens the deal's timeline. */
export function RisksView({ token, teamId, onOpenDeal }: RisksViewProps) {
  const [kind, setKind] = useState("all");
  const risks = useQuery(RisksQuery, {}, token);
  const rows = (risks.data?.dealRisks ?? []).filter(
    (risk) => (kind === "all" || risk.kind === kind) && (!teamId || risk.deal?.owner?.team?.teamId === teamId),
  );
  return (
    <Stack>
      <SegmentedControl
        value={kind}
        onChange={setKind}
        data={[
          { value: "all", label: "All" },
          { value: "stale", label: "Stale" },
          { value: "single_threaded", label: "Single-threaded" },
          { value: "evaluator_silent", label: "Silent evaluator" },
          { value: "slipped", label: "Slipped" },
        ]}
      />
      <QueryStatus state={risks} />
      <Text size="sm" c="dimmed" data-testid="risk-count">
        {rows.length} risks
      </Text>
      <Table striped highlightOnHover data-testid="risk-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Risk</Table.Th>
            <Table.Th>Deal</Table.Th>
            <Table.Th>Owner</Table.Th>
            <Table.Th>Team</Table.Th>
            <Table.Th>Stage</Table.Th>
            <Table.Th ta="right">Amount</Table.Th>
            <Table.Th>Why</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.slice(0, 200).map((risk) => (
            <Table.Tr
              key={`${risk.kind}-${risk.dealId}`}
              data-testid="risk-row"
              data-team={risk.deal?.owner?.team?.teamId ?? ""}
              data-owner={risk.deal?.owner?.repId ?? ""}
            >
              <Table.Td>
                <Badge color={riskColor[risk.kind] ?? "gray"} variant="light">
                  {risk.kind.replace("_", " ")}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Anchor component="button" onClick={() => onOpenDeal(risk.dealId)} data-testid="risk-deal-link">
                  {risk.deal?.name ?? risk.dealId}
                </Anchor>
              </Table.Td>
              <Table.Td>{risk.deal?.owner?.name ?? "—"}</Table.Td>
              <Table.Td>{risk.deal?.owner?.team?.name ?? "—"}</Table.Td>
              <Table.Td>{risk.deal?.stage ?? "—"}</Table.Td>
              <Table.Td ta="right">{risk.deal ? formatKpiValue("amount", "currency", risk.deal.amount) : "—"}</Table.Td>
              <Table.Td>{risk.detail}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {rows.length > 200 && <Text c="dimmed">Showing the first 200 of {rows.length}.</Text>}
    </Stack>
  );
}
