import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(new URL("./services/api/package.json", import.meta.url));

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS entry for Pothos and Yoga; make Vite resolve the same file, so there is one graphql realm.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["packages/*/src/**/*.spec.ts", "services/*/src/**/*.spec.ts", "test/**/*.spec.ts"],
    exclude: ["**/node_modules/**", "test/bench/**"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
