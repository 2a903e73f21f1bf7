import { Anchor, Badge, Group, Pagination, SegmentedControl, Stack, Table, Text, TextInput, Tooltip } from "@mantine/core";
import { useMemo, useState } from "react";
import { formatKpiValue } from "../format.ts";
import { useQuery } from "../hooks.ts";
import { useNames } from "../names.ts";
import { RisksQuery } from "../queries.ts";
import { QueryStatus } from "./Status.tsx";

const riskColor: Record<string, string> = { stale: "gray", single_threaded: "orange", evaluator_silent: "grape", slipped: "red" };
const riskLabel: Record<string, string> = {
  stale: "Stale",
  single_threaded: "Single-threaded",
  evaluator_silent: "Silent evaluator",
  slipped: "Slipped",
};
const pageSize = 25;

interface RisksViewProps {
  readonly token: string;
  readonly teamId: string | null;
  readonly onOpenDeal: (dealId: string) => void;
}

/**
 * Deals at risk the caller may see, one row per deal with a chip per risk (its reason on hover), largest first,
 * filterable by risk kind and by deal, account or owner name, 25 a page; each opens the deal's timeline.
 */
export function RisksView({ token, teamId, onOpenDeal }: RisksViewProps) {
  const [kind, setKind] = useState("all");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const names = useNames();
  const risks = useQuery(RisksQuery, {}, token);
  const deals = useMemo(() => {
    const byDeal = new Map<
      string,
      {
        dealId: string;
        deal: NonNullable<typeof risks.data>["dealRisks"][number]["deal"];
        risks: { kind: string; detail: string }[];
      }
    >();
    for (const risk of risks.data?.dealRisks ?? []) {
      const entry = byDeal.get(risk.dealId) ?? { dealId: risk.dealId, deal: risk.deal, risks: [] };
      entry.risks.push({ kind: risk.kind, detail: risk.detail });
      byDeal.set(risk.dealId, entry);
    }
    return [...byDeal.values()].sort((a, b) => (b.deal?.amount ?? 0) - (a.deal?.amount ?? 0));
  }, [risks.data]);
  const needle = search.trim().toLowerCase();
  const rows = deals.filter(
    (entry) =>
      (kind === "all" || entry.risks.some((risk) => risk.kind === kind)) &&
      (!teamId || entry.deal?.owner?.team?.teamId === teamId) &&
      (!needle || [entry.deal?.name, entry.deal?.owner?.name, entry.dealId].some((text) => text?.toLowerCase().includes(needle))),
  );
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const current = Math.min(page, pages);
  const filterChanged = (apply: () => void) => {
    apply();
    setPage(1);
  };
  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl
          value={kind}
          onChange={(value) => filterChanged(() => setKind(value))}
          data-testid="risk-kind"
          data={[{ value: "all", label: "All" }, ...Object.entries(riskLabel).map(([value, label]) => ({ value, label }))]}
        />
        <TextInput
          aria-label="Find a deal"
          placeholder="Deal or owner"
          value={search}
          onChange={(event) => {
            const value = event.currentTarget.value;
            filterChanged(() => setSearch(value));
          }}
          data-testid="risk-search"
          w={240}
        />
      </Group>
      <QueryStatus state={risks} />
      <Text size="sm" c="dimmed" data-testid="risk-count">
        {rows.length} deals at risk ({rows.reduce((total, entry) => total + entry.risks.length, 0)} risks)
      </Text>
      <Table striped highlightOnHover data-testid="risk-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Deal</Table.Th>
            <Table.Th>Risks</Table.Th>
            <Table.Th>Owner</Table.Th>
            <Table.Th>Team</Table.Th>
            <Table.Th>Stage</Table.Th>
            <Table.Th ta="right">Amount</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.slice((current - 1) * pageSize, current * pageSize).map((entry) => (
            <Table.Tr
              key={entry.dealId}
              data-testid="risk-row"
              data-deal={entry.dealId}
              data-team={entry.deal?.owner?.team?.teamId ?? ""}
              data-owner={entry.deal?.owner?.repId ?? ""}
            >
              <Table.Td>
                <Anchor component="button" onClick={() => onOpenDeal(entry.dealId)} data-testid="risk-deal-link">
                  {entry.deal?.name ?? entry.dealId}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {entry.risks.map((risk) => (
                    <Tooltip key={risk.kind} label={risk.detail} multiline w={320} withArrow>
                      <Badge color={riskColor[risk.kind] ?? "gray"} variant="light" data-testid="risk-chip" data-kind={risk.kind}>
                        {riskLabel[risk.kind] ?? risk.kind}
                      </Badge>
                    </Tooltip>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>{entry.deal?.owner?.name ?? "—"}</Table.Td>
              <Table.Td>{entry.deal?.owner?.team?.name ?? "—"}</Table.Td>
              <Table.Td>{entry.deal ? names.stage(entry.deal.stage) : "—"}</Table.Td>
              <Table.Td ta="right">{entry.deal ? formatKpiValue("amount", "currency", entry.deal.amount) : "—"}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {pages > 1 && <Pagination total={pages} value={current} onChange={setPage} data-testid="risk-pages" />}
    </Stack>
  );
}
