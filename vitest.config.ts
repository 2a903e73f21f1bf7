import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.spec.ts", "services/*/src/**/*.spec.ts", "test/**/*.spec.ts"],
    exclude: ["**/node_modules/**", "test/bench/**"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
