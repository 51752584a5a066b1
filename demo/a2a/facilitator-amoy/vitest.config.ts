import { defineConfig } from "vitest/config";

// Every suite runs against its own real anvil; files run in parallel, two at a time (shared 2-core box).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
