#!/usr/bin/env node
// The revgraph API listener: runs the TypeScript source, which needs Node 24 (type stripping); an older Node gets one line on how to run it.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  console.error(
    `revgraph-api needs Node 24 or newer (this is Node ${process.versions.node}): from the repository root, \`source scripts/toolchain.sh\` puts Node 24 on PATH (fetching it into .toolchain/ when missing), then run this again.`,
  );
  process.exit(1);
}
// Cache compiled (and type-stripped) modules between runs: a command starts noticeably faster the second time.
const { enableCompileCache } = await import("node:module");
enableCompileCache();
await import("../src/main.ts");
