// The shipped artefact (built by test/globalSetup.ts): dist/main.js and dist/healthcheck.js are self-contained (run from a
// directory with no node_modules anywhere above it), serve the API, and shut down cleanly.
import { HTTPFacilitatorClient } from "@x402/core/server";
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "./support/chain.js";
import { startFacilitator, type FacilitatorProcess } from "./support/facilitator.js";
import { requirementsV2, signPaymentV2 } from "./support/payments.js";
import { SERVICE_DIR, usdc } from "./support/token.js";

const run = promisify(execFile);
let chain: TestChain;
let isolated: string;
let service: FacilitatorProcess;

beforeAll(async () => {
  isolated = await mkdtemp(join(tmpdir(), "facilitator-dist-"));
  await cp(join(SERVICE_DIR, "dist"), isolated, { recursive: true });
  chain = await startTestChain();
  service = await startFacilitator({ env: chain.facilitatorEnv(), distDir: isolated });
});

afterAll(async () => {
  await service?.stop();
  await chain?.stop();
  if (isolated) await rm(isolated, { recursive: true, force: true });
});

const healthcheck = (port: number) =>
  run(process.execPath, [join(isolated, "healthcheck.js")], { cwd: isolated, env: { PORT: String(port) } }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );

describe("dist bundle, run with no node_modules", () => {
  it("settles a payment through the official facilitator client", async () => {
    const client = new HTTPFacilitatorClient({ url: service.url });
    const requirements = requirementsV2({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(2),
    });
    const payment = await signPaymentV2(chain.buyer.account, requirements);
    const before = await chain.token.balanceOf(chain.seller.account.address);
    expect(await client.settle(payment, requirements)).toMatchObject({ success: true });
    expect(await chain.token.balanceOf(chain.seller.account.address)).toBe(before + usdc(2));
  });

  it("serves /readyz and /metrics from the bundle", async () => {
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain("facilitator_ready 1");
    expect(metrics).toContain('facilitator_settlements_total{outcome="success",reason=""} 1');
    expect(metrics).toContain("nodejs_eventloop_lag_seconds");
  });

  it("logs JSON lines: start-up with the signer, one line per request, never the key", async () => {
    await fetch(`${service.url}/supported`);
    // The request line is written once the response has gone out: give the pipe a moment.
    for (let i = 0; i < 50 && !service.output().includes('"route":"/supported"'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const lines = service
      .output()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: expect.stringContaining("facilitator listening"),
        signers: [chain.facilitator.account.address],
        realSettle: true,
      }),
    );
    // The native secp256k1 binding travels in dist/prebuilds and loads from there (not a pure-JS fallback).
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: expect.stringContaining("facilitator listening"),
        signatureRecovery: "native (libsecp256k1)",
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "request", method: "GET", route: "/supported", status: 200 }),
    );
    expect(service.output().toLowerCase()).not.toContain(chain.facilitator.privateKey.slice(2).toLowerCase());
  });

  it("healthcheck.js exits 0 while the service is healthy and 1 when it is gone; SIGTERM exits 0", async () => {
    expect(await healthcheck(service.port)).toBe(0);
    expect(await service.stop()).toBe(0);
    expect(service.output()).toContain("shutting down");
    expect(await healthcheck(service.port)).toBe(1);
  });
});
