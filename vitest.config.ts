import { defineConfig } from "vitest/config";

// Root suites: the Pulumi program, policy pack, workflows, scripts and image tests.
// The facilitator service has its own suite (demo/a2a/facilitator-amoy), run by `npm test` too.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "policy/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
