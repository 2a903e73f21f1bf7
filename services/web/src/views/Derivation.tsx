import { Alert, Anchor, Button, Code, Drawer, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMemo, useState } from "react";
import { formatKpiValue, formatNumber } from "../format.ts";
import { readFragment } from "../graphql.ts";
import { useQuery } from "../hooks.ts";
import { DerivationQuery, KpiValueFields, RestatementQuery } from "../queries.ts";
import { QueryStatus } from "./Status.tsx";
import type { KpiFilter } from "./types.ts";

interface DerivationDrawerProps {
  readonly token: string;
  readonly kpiId: string | null;
  readonly period: string;
  readonly filter: KpiFilter;
  readonly onClose: () => void;
  readonly onOpenDeal: (dealId: string) => void;
}

/** A `yyyy-mm-dd` date picked in the page, as the end of that day in UTC. */
function endOfDay(date: string): string {
  return `${date}T23:59:59.999Z`;
}

/**
 * One number's derivation: its formula, the inputs with their values, and the events behind it (paged), as known now
 * or as known at a chosen date — in which case the restatement between then and now is shown too.
 */
export function DerivationDrawer({ token, kpiId, period, filter, onClose, onOpenDeal }: DerivationDrawerProps) {
  const [knownAtDate, setKnownAtDate] = useState("");
  // Event page cursors belong to one question (KPI, scope, known-at, caller); a new question starts at the first page.
  const question = JSON.stringify([kpiId, knownAtDate, period, filter, token]);
  const [paging, setPaging] = useState<{ question: string; cursors: string[] }>({ question, cursors: [] });
  const cursors = paging.question === question ? paging.cursors : [];
  const setCursors = (next: string[]) => setPaging({ question, cursors: next });
  const openedAt = useMemo(() => new Date().toISOString(), []);
  const after = cursors.at(-1) ?? null;
  const knownAt = knownAtDate ? endOfDay(knownAtDate) : null;
  const derivation = useQuery(DerivationQuery, kpiId ? { kpi: kpiId, period, filter, knownAt, after } : null, token);
  const restatement = useQuery(
    RestatementQuery,
    kpiId && knownAt ? { kpi: kpiId, period, filter, knownAtA: knownAt, knownAtB: openedAt } : null,
    token,
  );
  const value = derivation.data?.kpi[0];
  const fields = value ? readFragment(KpiValueFields, value) : undefined;
  const change = restatement.data?.restatements[0];
  return (
    <Drawer opened={kpiId !== null} onClose={onClose} position="right" size="xl" title={fields?.title ?? kpiId ?? ""}>
      <Stack data-testid="derivation">
        <TextInput
          type="date"
          label="As known at"
          description="Only events recorded by the end of this day (UTC); empty = everything recorded so far."
          value={knownAtDate}
          onChange={(event) => setKnownAtDate(event.currentTarget.value)}
          data-testid="known-at"
        />
        <QueryStatus state={derivation} />
        {fields && value && (
          <>
            <Group align="baseline">
              <Title order={2} data-testid="derivation-value" data-value={fields.value ?? ""}>
                {formatKpiValue(fields.kpiId, fields.unit, fields.value)}
              </Title>
              <Text c="dimmed">
                {fields.period} · {fields.kpiId} v{fields.version}
                {value.knownAt ? ` · as known at ${value.knownAt.slice(0, 10)}` : ""}
              </Text>
            </Group>
            {fields.nullReason && <Text c="dimmed">{fields.nullReason}</Text>}
            {change && (
              <Alert color={change.changed ? "orange" : "gray"} title="Restatement" data-testid="restatement">
                {change.changed
                  ? `Known then: ${formatKpiValue(fields.kpiId, fields.unit, change.before.value)}; known now: ${formatKpiValue(fields.kpiId, fields.unit, change.after.value)} — ${change.addedEventIds.length} events recorded since, ${change.removedEventIds.length} no longer counted.`
                  : "The value is the same as known now."}
              </Alert>
            )}
            <div>
              <Text fw={600}>Formula</Text>
              <Code block data-testid="derivation-formula">
                {value.derivation.formula}
              </Code>
            </div>
            {value.derivation.warnings.map((warning) => (
              <Alert key={warning} color="yellow">
                {warning}
              </Alert>
            ))}
            <Table striped data-testid="derivation-inputs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Input</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th ta="right">Value</Table.Th>
                  <Table.Th ta="right">Events</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {value.derivation.inputs.map((input) => (
                  <Table.Tr key={input.name}>
                    <Table.Td title={input.description}>{input.name}</Table.Td>
                    <Table.Td>{input.role}</Table.Td>
                    <Table.Td ta="right">{formatNumber(input.value)}</Table.Td>
                    <Table.Td ta="right">{input.eventCount}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Text fw={600}>Contributing events ({value.derivation.eventCount})</Text>
            <Table striped data-testid="derivation-events">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Stream</Table.Th>
                  <Table.Th>Occurred</Table.Th>
                  <Table.Th>Recorded</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {value.derivation.events.edges.map(({ node }) => (
                  <Table.Tr key={node.eventId} title={node.eventId}>
                    <Table.Td>{node.globalPosition}</Table.Td>
                    <Table.Td>{node.type}</Table.Td>
                    <Table.Td>
                      {node.streamId.startsWith("deal-") ? (
                        <Anchor component="button" size="sm" onClick={() => onOpenDeal(node.streamId.slice("deal-".length))}>
                          {node.streamId}
                        </Anchor>
                      ) : (
                        node.streamId
                      )}
                    </Table.Td>
                    <Table.Td>{node.occurredAt.slice(0, 10)}</Table.Td>
                    <Table.Td>{node.recordedAt.slice(0, 10)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Group>
              <Button variant="default" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                Previous events
              </Button>
              <Button
                variant="default"
                disabled={!value.derivation.events.pageInfo.hasNextPage}
                onClick={() => {
                  const next = value.derivation.events.pageInfo.endCursor;
                  if (next) setCursors([...cursors, next]);
                }}
              >
                Next events
              </Button>
            </Group>
          </>
        )}
        {derivation.data && !value && <Text c="dimmed">No value for this KPI in this scope.</Text>}
      </Stack>
    </Drawer>
  );
}
