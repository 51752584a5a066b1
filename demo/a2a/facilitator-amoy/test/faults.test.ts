// Faults: the RPC killed mid-run and restarted, an RPC that hangs, an RPC that is down at start-up,
// and SIGTERM with settlements in flight. Bounded 503s, recovery without restart, nothing half-done,
// nothing sent twice, and the key never in any output.
import { afterEach, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "./support/chain.js";
import { startFacilitator, type FacilitatorProcess } from "./support/facilitator.js";
import { compareWithChain, keyMaterial, settleConcurrently, signPayments, type SettleAnswer } from "./support/load.js";
import { facilitatorBody } from "./support/payments.js";
import { startRpcProxy, type RpcProxy } from "./support/rpcProxy.js";
import { usdc } from "./support/token.js";

const AMOUNT = usdc(0.01);
let chain: TestChain | undefined;
let proxy: RpcProxy | undefined;
let service: FacilitatorProcess | undefined;
const answers: SettleAnswer[] = [];

afterEach(async () => {
  if (service && chain) {
    const everything = [service.output(), ...answers.map((a) => a.text)].join("\n").toLowerCase();
    for (const key of keyMaterial([chain.facilitator])) expect(everything).not.toContain(key);
  }
  answers.length = 0;
  await service?.stop();
  await proxy?.stop();
  await chain?.stop();
  service = proxy = chain = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nonceOf = async (c: TestChain, tag: "latest" | "pending") =>
  Number(await c.anvil.rpc<string>("eth_getTransactionCount", [c.facilitator.account.address, tag]));
const exited = (s: FacilitatorProcess) =>
  new Promise<number | null>((resolve) =>
    s.child.exitCode !== null ? resolve(s.child.exitCode) : s.child.once("exit", (code) => resolve(code)),
  );

async function status(url: string): Promise<number> {
  return (await fetch(url, { signal: AbortSignal.timeout(10_000) })).status;
}

/** GET /status's verdict on the shared dependencies (RPC, chain id, signer funds). */
async function dependencies(url: string): Promise<string> {
  return ((await (await fetch(`${url}/status`)).json()) as { dependencies: string }).dependencies;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe("RPC killed mid-run and restarted", () => {
  it("answers bounded 503s (or pending with the hash) while down, recovers without restart, and every payment lands exactly once", async () => {
    const c = (chain = await startTestChain({ blockTime: 1 }));
    const p = (proxy = await startRpcProxy(c.anvil.url));
    const s = (service = await startFacilitator({
      env: c.facilitatorEnv({ AMOY_RPC_URL: p.url, RPC_TIMEOUT_MS: "1000", SETTLE_TIMEOUT_MS: "6000" }),
    }));
    const payments = await signPayments(c, 60, AMOUNT);
    const [inFlight, duringOutage] = [payments.slice(0, 40), payments.slice(40)];

    const running = settleConcurrently([s.url], inFlight);
    await waitFor(async () => (await nonceOf(c, "pending")) > 0, 10_000); // some are broadcast and awaiting their block
    await p.setMode("down");
    const refused = await settleConcurrently([s.url], duringOutage); // arrive while the RPC is down
    await sleep(2_300);
    expect(await dependencies(s.url)).toBe("unhealthy");
    expect(await status(`${s.url}/readyz`)).toBe(200); // every replica shares the RPC: readiness stays with the process
    expect(await status(`${s.url}/healthz`)).toBe(200);
    await p.setMode("up");
    const first = [...(await running), ...refused];
    answers.push(...first);
    for (const a of refused) {
      expect(a).toMatchObject({ status: 503, body: { error: "rpc_unavailable" } });
      expect(a.ms).toBeLessThan(2 * 1_000 + 1_500);
    }

    // While it was down: only successes, pending-with-hash, or 503 + Retry-After; never a wrong verdict.
    for (const a of first) {
      if (a.status === 503) expect(a.body).toMatchObject({ error: "rpc_unavailable" });
      else if (a.body.success !== true)
        expect(a.body).toMatchObject({
          errorReason: "settlement_pending",
          transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
        });
      expect(a.ms).toBeLessThan(6_000 + 2 * 1_000 + 3_000);
    }
    expect((await compareWithChain(c, first)).mismatches).toEqual([]);

    // Resource servers retry what did not settle: every payment ends settled, each by one transaction.
    await waitFor(async () => (await dependencies(s.url)) === "healthy", 10_000);
    let open = first.filter((a) => a.body.success !== true).map((a) => a.payment);
    for (let round = 0; round < 5 && open.length > 0; round++) {
      const retried = await settleConcurrently([s.url], open);
      answers.push(...retried);
      open = retried.filter((a) => a.body.success !== true).map((a) => a.payment);
    }
    expect(open).toEqual([]);
    expect(await c.token.balanceOf(c.seller.account.address)).toBe(AMOUNT * 60n);
    await waitFor(async () => (await nonceOf(c, "pending")) === (await nonceOf(c, "latest")), 5_000);
    expect(await nonceOf(c, "latest")).toBe(60); // nothing sent twice
  });
});

describe("RPC hanging", () => {
  it("/verify and /settle answer 503 with Retry-After within a bounded time; /status names the RPC; then all recovers", async () => {
    const c = (chain = await startTestChain());
    const p = (proxy = await startRpcProxy(c.anvil.url));
    const s = (service = await startFacilitator({
      env: c.facilitatorEnv({ AMOY_RPC_URL: p.url, RPC_TIMEOUT_MS: "1000" }),
    }));
    const [payment] = await signPayments(c, 1, AMOUNT);
    await p.setMode("hang");
    await sleep(2_100); // the last cached readiness answer expires
    // Bounds: a verification waits for one RPC call (timeout, one retry); a settlement for at most two.
    const timed = async <T>(work: Promise<T>) => {
      const started = Date.now();
      const value = await work;
      return { value, ms: Date.now() - started };
    };
    const [verifyTimed, settleTimed, statusTimed] = await Promise.all([
      timed(
        fetch(`${s.url}/verify`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(facilitatorBody(payment!.payload, payment!.requirements)),
        }),
      ),
      timed(settleConcurrently([s.url], [payment!])),
      timed(fetch(`${s.url}/status`)),
    ]);
    const [verify, settle, statusPage] = [verifyTimed.value, settleTimed.value, statusTimed.value];
    answers.push(...settle);
    expect(verifyTimed.ms).toBeLessThan(2 * 1_000 + 1_500);
    expect(settleTimed.ms).toBeLessThan(4 * 1_000 + 1_500);
    expect(statusTimed.ms).toBeLessThan(2_000 + 1_000);
    expect(verify.status).toBe(503);
    expect(verify.headers.get("retry-after")).toBe("2");
    expect(settle[0]).toMatchObject({ status: 503, body: { error: "rpc_unavailable" } });
    expect(((await statusPage.json()) as { dependencies: string }).dependencies).toBe("unhealthy");
    expect(await status(`${s.url}/readyz`)).toBe(200);

    await p.setMode("up");
    await waitFor(async () => (await dependencies(s.url)) === "healthy", 10_000);
    const retried = await settleConcurrently([s.url], [payment!]);
    answers.push(...retried);
    expect(retried[0]!.body).toMatchObject({ success: true });
  });

  it("an RPC that is down at start-up: the process serves (ready, /status unhealthy), and settles once the RPC answers", async () => {
    const c = (chain = await startTestChain());
    const p = (proxy = await startRpcProxy(c.anvil.url));
    await p.setMode("down");
    const s = (service = await startFacilitator({
      env: c.facilitatorEnv({ AMOY_RPC_URL: p.url, RPC_TIMEOUT_MS: "500" }),
    }));
    expect(s.output()).toContain("RPC not answering at start-up");
    expect(await status(`${s.url}/readyz`)).toBe(200);
    expect(await dependencies(s.url)).toBe("unhealthy");
    const [payment] = await signPayments(c, 1, AMOUNT);
    const down = await settleConcurrently([s.url], [payment!]);
    answers.push(...down);
    expect(down[0]!.status).toBe(503);
    await p.setMode("up");
    await waitFor(async () => (await dependencies(s.url)) === "healthy", 10_000);
    const up = await settleConcurrently([s.url], [payment!]);
    answers.push(...up);
    expect(up[0]!.body).toMatchObject({ success: true });
  });
});

describe("SIGTERM with settlements in flight", () => {
  it("stops taking work, lets each in-flight settlement complete and report, and exits 0", async () => {
    const c = (chain = await startTestChain());
    const s = (service = await startFacilitator({ env: c.facilitatorEnv() }));
    const payments = await signPayments(c, 10, AMOUNT);
    await c.anvil.rpc("evm_setAutomine", [false]);
    const running = settleConcurrently([s.url], payments);
    await waitFor(async () => (await nonceOf(c, "pending")) === 10, 20_000); // all ten broadcast, none mined

    s.child.kill("SIGTERM");
    await sleep(500);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow(); // no longer listening
    expect(s.child.exitCode).toBeNull(); // still finishing the ten
    await c.anvil.rpc("evm_mine");

    const done = await running;
    answers.push(...done);
    expect(done.map((a) => a.body.success)).toEqual(Array(10).fill(true));
    expect(await compareWithChain(c, done)).toEqual({ succeeded: 10, usedOnChain: 10, mismatches: [] });
    expect(await exited(s)).toBe(0);
    expect(s.output()).toContain("shutting down");
  });

  it("past SHUTDOWN_GRACE_MS, what still waits for its block answers settlement_pending with the hash; exit 0; the transactions land", async () => {
    const c = (chain = await startTestChain());
    const s = (service = await startFacilitator({ env: c.facilitatorEnv({ SHUTDOWN_GRACE_MS: "1000" }) }));
    const payments = await signPayments(c, 5, AMOUNT);
    await c.anvil.rpc("evm_setAutomine", [false]);
    const running = settleConcurrently([s.url], payments);
    await waitFor(async () => (await nonceOf(c, "pending")) === 5, 20_000);

    const signalled = Date.now();
    s.child.kill("SIGTERM");
    const done = await running;
    answers.push(...done);
    expect(await exited(s)).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(1_000 + 2_000);
    for (const a of done)
      expect(a.body).toMatchObject({
        success: false,
        errorReason: "settlement_pending",
        transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      });
    expect(done[0]!.body.errorMessage).toContain("shutting down");

    await c.anvil.rpc("evm_mine");
    for (const a of done) {
      expect((await c.anvil.rpc<{ status: string }>("eth_getTransactionReceipt", [a.body.transaction])).status).toBe(
        "0x1",
      );
      expect(await c.token.authorizationState(c.buyer.account.address, a.payment.nonce)).toBe(true);
    }
  });
});
