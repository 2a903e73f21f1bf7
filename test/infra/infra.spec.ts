import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { storeKinds } from "@revgraph/event-store/open";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

/**
 * What can be checked of infra/ without Docker or a Kubernetes cluster: the files parse, every service and
 * container runs an entry point that exists with a store kind revgraph knows, probes hit endpoints the services
 * serve, and the load balancer points at the compose services. (Running them is documented in infra/README.md.)
 */
const root = join(import.meta.dirname, "../..");
const infra = join(root, "infra");

type ComposeService = {
  command?: string[];
  image?: string;
  environment?: Record<string, string>;
  build?: { dockerfile: string };
};

function entryPointOf(command: readonly string[] | undefined): string | undefined {
  return command?.find((part) => part.endsWith("main.ts"));
}

describe("infra/compose.yaml", () => {
  const compose = parse(readFileSync(join(infra, "compose.yaml"), "utf8"), { merge: true }) as {
    services: Record<string, ComposeService>;
  };

  it("starts a 3-node KurrentDB cluster, PostgreSQL, the projector, two API instances and a load balancer", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ["api-1", "api-2", "kurrentdb-1", "kurrentdb-2", "kurrentdb-3", "lb", "postgres", "projector"].sort(),
    );
    for (const node of ["kurrentdb-1", "kurrentdb-2", "kurrentdb-3"]) {
      expect(compose.services[node]?.environment?.KURRENTDB_CLUSTER_SIZE).toBe("3");
    }
  });

  it("runs revgraph services from entry points that exist, on a store kind revgraph knows, built by infra/Dockerfile", () => {
    for (const name of ["api-1", "api-2", "projector"]) {
      const service = compose.services[name] as ComposeService;
      const entryPoint = entryPointOf(service.command);
      expect(entryPoint && existsSync(join(root, entryPoint)), `${name}: ${service.command?.join(" ")}`).toBe(true);
      expect(storeKinds).toContain(service.environment?.REVGRAPH_STORE);
      expect(service.environment?.REVGRAPH_DATABASE_URL).toMatch(
        /^kurrentdb:\/\/kurrentdb-1:2113,kurrentdb-2:2113,kurrentdb-3:2113/,
      );
      expect(service.build?.dockerfile).toBe("infra/Dockerfile");
    }
  });

  it("balances exactly the API services", () => {
    const upstreams = [...readFileSync(join(infra, "nginx.conf"), "utf8").matchAll(/server (\S+):4000/g)].map(
      (match) => match[1],
    );
    expect(upstreams).toEqual(["api-1", "api-2"]);
  });
});

describe("infra/Dockerfile", () => {
  const dockerfile = readFileSync(join(infra, "Dockerfile"), "utf8");

  it("copies only paths that exist and starts an entry point that exists", () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => (match[1] as string).split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) expect(existsSync(join(root, source)), source).toBe(true);
    const cmd = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
    expect(existsSync(join(root, entryPointOf(cmd) ?? "missing"))).toBe(true);
  });

  it("runs on Node 24, installs from the lockfile and does not run as root", () => {
    expect(dockerfile).toMatch(/^FROM node:24-/m);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile --prod/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});

describe("infra/k8s", () => {
  const dir = join(infra, "k8s");
  const kustomization = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as { resources: string[] };
  const documents = kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((document) => {
      expect(document.errors, file).toEqual([]);
      return document.toJS() as { kind: string; metadata: { name: string }; spec?: Record<string, unknown> };
    }),
  );
  type Container = {
    command?: string[];
    env?: { name: string; value?: string }[];
    readinessProbe?: { httpGet?: { path: string } };
  };
  const containers = (name: string) =>
    (
      (documents.find((document) => document.metadata.name === name && /Deployment|StatefulSet/.test(document.kind))?.spec as {
        template: { spec: { containers: Container[] } };
      }) ?? { template: { spec: { containers: [] } } }
    ).template.spec.containers;

  it("lists every manifest file in the kustomization, and each document has a kind and a name", () => {
    expect(
      readdirSync(dir)
        .filter((file) => file !== "kustomization.yaml")
        .sort(),
    ).toEqual([...kustomization.resources].sort());
    for (const document of documents) expect(document.kind && document.metadata?.name).toBeTruthy();
  });

  it("runs a 3-node KurrentDB StatefulSet, two API replicas and one projector with the Recreate strategy", () => {
    const byName = (kind: string, name: string) =>
      documents.find((document) => document.kind === kind && document.metadata.name === name);
    expect(byName("StatefulSet", "kurrentdb")?.spec?.replicas).toBe(3);
    expect(byName("Deployment", "api")?.spec?.replicas).toBe(2);
    expect(byName("Deployment", "projector")?.spec).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
  });

  it("starts entry points that exist, on store kinds revgraph knows, and probes /ready", () => {
    for (const name of ["api", "projector"]) {
      const [container] = containers(name);
      expect(existsSync(join(root, entryPointOf(container?.command) ?? "missing")), name).toBe(true);
      expect(storeKinds).toContain(container?.env?.find((variable) => variable.name === "REVGRAPH_STORE")?.value);
      expect(container?.readinessProbe?.httpGet?.path).toBe("/ready");
    }
  });
});
