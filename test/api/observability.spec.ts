import { Writable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { createApp } from "@revgraph/api";
import { defaultConfig } from "@revgraph/domain";
import { createLogger, startTracing, type TracingHandle } from "@revgraph/observability";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiHarness, NOW, SECRET } from "./harness.ts";

const exporter = new InMemorySpanExporter();
let tracing: TracingHandle | null;
const lines: Record<string, unknown>[] = [];
let api: Awaited<ReturnType<typeof apiHarness>>;
let app: ReturnType<typeof createApp>;
let openDealId: string;

beforeAll(async () => {
  tracing = startTracing({ serviceName: "revgraph-api-test", exporter });
  api = await apiHarness(60);
  openDealId = (await api.dealsAsTheyStand()).find((deal) => deal.status === "open")?.id ?? "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  app = createApp({
    store: api.store,
    readModel: api.readModel,
    config: defaultConfig,
    jwtSecret: SECRET,
    clock: () => NOW,
    logger: createLogger("revgraph-api", sink, "info"),
  });
});

afterAll(async () => {
  await tracing?.shutdown();
});

async function changeAmount(amount: number, headers: Record<string, string>) {
  const response = await app.fetch("http://revgraph.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${api.tokens.admin}`, ...headers },
    body: JSON.stringify({
      operationName: "Reprice",
      query: `mutation Reprice($id: String!, $amount: Float!) { changeDealAmount(input: { dealId: $id, amount: $amount }) {
        __typename ... on MutationChangeDealAmountSuccess { data { events { correlationId } } } } }`,
      variables: { id: openDealId, amount },
    }),
  });
  const body = (await response.json()) as {
    data: { changeDealAmount: { __typename: string; data: { events: { correlationId: string }[] } } };
  };
  expect(body.data.changeDealAmount.__typename).toBe("MutationChangeDealAmountSuccess");
  return { response, body };
}

describe("observability", () => {
  it("traces a mutation as one trace: the request span is the parent of the event-store spans", async () => {
    exporter.reset();
    await changeAmount(77_777, {});
    const spans = exporter.getFinishedSpans();
    const request = spans.find((span) => span.name === "graphql Reprice");
    const append = spans.find((span) => span.name === "eventstore.append");
    expect(request).toBeDefined();
    expect(append?.spanContext().traceId).toBe(request?.spanContext().traceId);
    expect(append?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    expect(append?.attributes["revgraph.stream"]).toBe(`deal-${openDealId}`);
    expect(
      spans.some(
        (span) => span.name === "eventstore.read_stream" && span.parentSpanContext?.spanId === request?.spanContext().spanId,
      ),
    ).toBe(true);
  });

  it("echoes request and correlation ids, stamps the correlation id on the events written, and logs one line per request", async () => {
    const { response, body } = await changeAmount(88_888, { "x-request-id": "req-42", "x-correlation-id": "import-run-7" });
    expect(response.headers.get("x-request-id")).toBe("req-42");
    expect(response.headers.get("x-correlation-id")).toBe("import-run-7");
    expect(body.data.changeDealAmount.data.events.map((event) => event.correlationId)).toEqual(["import-run-7"]);
    const line = lines.find((entry) => entry.requestId === "req-42");
    expect(line).toMatchObject({
      msg: "request",
      correlationId: "import-run-7",
      operation: "Reprice",
      status: 200,
      path: "/graphql",
    });
    expect(line?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("serves Prometheus metrics: request durations, appends and read-model lag", async () => {
    const text = await (await app.fetch("http://revgraph.test/metrics")).text();
    expect(text).toMatch(/graphql_yoga_http_duration_count\{[^}]*\} \d+/);
    expect(text).toMatch(/revgraph_eventstore_appended_events_total [1-9]/);
    expect(text).toMatch(/revgraph_read_model_lag_events 0/);
  });
});

describe("compression", () => {
  it("gzips answers for clients that accept it, and leaves server-sent events uncompressed", async () => {
    const query = JSON.stringify({ query: `{ scorecard(period: "2026-Q3", groupBy: REP) { kpiId groupKey value } }` });
    const headers = { "content-type": "application/json", authorization: `Bearer ${api.tokens.exec}` };
    const plain = await app.fetch("http://revgraph.test/graphql", { method: "POST", headers, body: query });
    const plainBytes = (await plain.arrayBuffer()).byteLength;
    const gzipped = await app.fetch("http://revgraph.test/graphql", {
      method: "POST",
      headers: { ...headers, "accept-encoding": "gzip" },
      body: query,
    });
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    const compressed = new Uint8Array(await gzipped.arrayBuffer());
    expect(compressed.byteLength * 4).toBeLessThan(plainBytes);
    expect(gunzipSync(compressed).byteLength).toBe(plainBytes);

    const controller = new AbortController();
    const stream = await app.fetch("http://revgraph.test/graphql", {
      method: "POST",
      headers: { ...headers, "accept-encoding": "gzip", accept: "text/event-stream" },
      body: JSON.stringify({
        query: `subscription($id: String!) { dealEvents(dealId: $id) { type } }`,
        variables: { id: openDealId },
      }),
      signal: controller.signal,
    });
    expect(stream.headers.get("content-type")).toMatch(/text\/event-stream/);
    // Yoga marks event streams "content-encoding: none" so proxies leave them alone too.
    expect(stream.headers.get("content-encoding") ?? "none").toBe("none");
    controller.abort();
  });
});
