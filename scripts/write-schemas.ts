import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderCheckedInSchemas, renderWebIntrospection, webIntrospectionPath } from "./checked-in-schemas.ts";

const root = join(import.meta.dirname, "..");
for (const [path, content] of await renderCheckedInSchemas()) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
writeFileSync(join(root, webIntrospectionPath), renderWebIntrospection());
console.log(`wrote ${webIntrospectionPath}`);
