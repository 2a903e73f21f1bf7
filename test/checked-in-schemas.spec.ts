import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderCheckedInSchemas, renderWebIntrospection, webIntrospectionPath } from "../scripts/checked-in-schemas.ts";

const root = join(import.meta.dirname, "..");

describe("checked-in schemas", () => {
  it("match what the code generates (run `pnpm schema:write` after changing a schema)", async () => {
    const files = await renderCheckedInSchemas();
    for (const [path, content] of files) {
      expect(existsSync(join(root, path)), `${path} is missing`).toBe(true);
      expect(readFileSync(join(root, path), "utf8"), `${path} drifted`).toBe(content);
    }
    const stale = readdirSync(join(root, "schema/events")).filter((name) => !files.has(`schema/events/${name}`));
    expect(stale, "schema/events has files no event type generates").toEqual([]);
  });

  it("the dashboard's typed client introspects the checked-in GraphQL schema (run `pnpm schema:write` after a change)", () => {
    expect(readFileSync(join(root, webIntrospectionPath), "utf8"), `${webIntrospectionPath} drifted`).toBe(
      renderWebIntrospection(),
    );
  });
});
