// `npm run demo` keeps working: it pays, settles on chain, serves, prints each step and exits 0.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { SERVICE_DIR } from "./support/token.js";

it("runs the demo end to end and exits 0", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "demo/run.ts"], {
    cwd: SERVICE_DIR,
    timeout: 150_000,
  });
  expect(stdout).toContain("status: 402 Payment Required");
  expect(stdout).toMatch(/signed EIP-3009 authorization: \{"from":"0x/);
  expect(stdout).toContain("status: 200 OK");
  expect(stdout).toMatch(/settlement: \{"success":true,"network":"eip155:80002","transaction":"0x[0-9a-f]{64}"\}/);
  expect(stdout).toContain("buyer: 9.99 USDC (-0.01 USDC)");
  expect(stdout).toContain("seller: 0.01 USDC (+0.01 USDC)");
}, 180_000);
