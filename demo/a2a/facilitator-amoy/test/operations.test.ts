// Operations: /readyz (this process), /status (RPC, chain id, signer funds; cached), /metrics (the names monitoring relies
// on), and API keys (a 401 costs no RPC call; probes and metrics stay open).
import { HTTPFacilitatorClient } from "@x402/core/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccount } from "./support/accounts.js";
import { startTestChain, type TestChain } from "./support/chain.js";
import { createInProcessFacilitator, type InProcessFacilitator } from "./support/inProcess.js";
import { facilitatorBody, requirementsV2, signPaymentV2 } from "./support/payments.js";
import { startRpcProxy, type RpcProxy } from "./support/rpcProxy.js";
import { usdc } from "./support/token.js";

const API_KEY = "test-api-key-0123456789abcdef"; // a test value, not a secret
let chain: TestChain;
let proxy: RpcProxy;
const services: InProcessFacilitator[] = [];

beforeAll(async () => {
  chain = await startTestChain();
  proxy = await startRpcProxy(chain.anvil.url);
});

afterAll(async () => {
  // In every scenario above: the signer keys never reached a log line.
  const logs = services
    .map((s) => s.logs())
    .join("\n")
    .toLowerCase();
  for (const key of [chain.facilitator, devAccount(6)].map((a) => a.privateKey.slice(2).toLowerCase()))
    expect(logs).not.toContain(key);
  await Promise.all(services.map((s) => s.close()));
  await proxy?.stop();
  await chain?.stop();
});

function service(overrides: Record<string, string> = {}): InProcessFacilitator {
  const created = createInProcessFacilitator(chain.facilitatorEnv({ AMOY_RPC_URL: proxy.url, ...overrides }));
  services.push(created);
  return created;
}

const get = async (s: InProcessFacilitator, url: string) => {
  const response = await s.server.inject({ method: "GET", url });
  return { status: response.statusCode, headers: response.headers, body: response.body };
};

async function paymentBody(amount = usdc(0.01)) {
  const requirements = requirementsV2({ asset: chain.token.address, payTo: chain.seller.account.address, amount });
  return { requirements, payment: await signPaymentV2(chain.buyer.account, requirements) };
}

describe("/readyz and /status", () => {
  it("/status names the dependencies' health and each signer's balance", async () => {
    const s = service();
    const status = await get(s, "/status");
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body)).toEqual({
      dependencies: "healthy",
      draining: false,
      problems: [],
      signerBalancesWei: { [chain.facilitator.account.address]: expect.stringMatching(/^\d+$/) },
    });
    expect(JSON.parse((await get(s, "/readyz")).body)).toEqual({ status: "ready" });
  });

  it("/status answers from a cache: 50 concurrent requests cost one round of RPC reads; /readyz costs none", async () => {
    const s = service();
    const before = proxy.totalCalls();
    const answers = await Promise.all(Array.from({ length: 50 }, () => get(s, "/status")));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(proxy.totalCalls() - before).toBe(2); // eth_chainId + one eth_getBalance
    await Promise.all(Array.from({ length: 50 }, () => get(s, "/readyz")));
    expect(proxy.totalCalls() - before).toBe(2);
  });

  it("an underfunded signer is a dependency problem (REAL_SETTLE=true only), named on /status and in the metric; the pod stays ready", async () => {
    const poor = devAccount(6); // anvil dev key #6 (public test key)
    await chain.anvil.rpc("anvil_setBalance", [poor.account.address, "0x3e8"]); // 1000 wei
    const pool = { FACILITATOR_PRIVATE_KEYS: `${chain.facilitator.privateKey},${poor.privateKey}` };
    const real = service({ ...pool, FACILITATOR_PRIVATE_KEY: "" });
    expect((await get(real, "/readyz")).status).toBe(200);
    const status = JSON.parse((await get(real, "/status")).body);
    expect(status).toMatchObject({
      dependencies: "unhealthy",
      problems: [
        expect.stringContaining(`signer ${poor.account.address} holds 1000 wei, below MIN_SIGNER_BALANCE_WEI`),
      ],
    });
    const healthy = async (env: Record<string, string>) =>
      JSON.parse((await get(service(env), "/status")).body).dependencies;
    expect(await healthy({ ...pool, FACILITATOR_PRIVATE_KEY: "", MIN_SIGNER_BALANCE_WEI: "1000" })).toBe("healthy");
    expect(await healthy({ ...pool, FACILITATOR_PRIVATE_KEY: "", REAL_SETTLE: "false" })).toBe("healthy");
    const metrics = (await get(real, "/metrics")).body;
    expect(metrics).toContain("facilitator_dependencies_healthy 0");
    expect(metrics).toContain("facilitator_ready 1");
    expect(metrics).toContain(`facilitator_signer_balance_wei{signer="${poor.account.address}"} 1000`);
  });

  it("an RPC outage leaves the pod ready (clients get our 503 with Retry-After, not connection errors) and shows on /status until it recovers", async () => {
    const s = service({ RPC_TIMEOUT_MS: "500" });
    await proxy.setMode("down");
    try {
      await new Promise((r) => setTimeout(r, 2_100)); // past the cached answer
      expect((await get(s, "/readyz")).status).toBe(200);
      const status = JSON.parse((await get(s, "/status")).body);
      expect(status).toMatchObject({
        dependencies: "unhealthy",
        problems: [expect.stringContaining("the Polygon Amoy RPC is unavailable")],
      });
      const { requirements, payment } = await paymentBody();
      const verify = await s.server.inject({
        method: "POST",
        url: "/verify",
        payload: facilitatorBody(payment, requirements),
      });
      expect(verify.statusCode).toBe(503);
      expect(verify.headers["retry-after"]).toBe("2");
    } finally {
      await proxy.setMode("up");
    }
    await new Promise((r) => setTimeout(r, 2_100));
    expect(JSON.parse((await get(s, "/status")).body).dependencies).toBe("healthy");
  });
});

describe("/metrics", () => {
  it("exposes the contract's names: requests by route/method/status, latency histograms, settle outcomes, in flight, balance, ready", async () => {
    const s = service();
    const { requirements, payment } = await paymentBody();
    const body = facilitatorBody(payment, requirements);
    expect((await s.server.inject({ method: "POST", url: "/verify", payload: body })).json()).toMatchObject({
      isValid: true,
    });
    const settles = await Promise.all(
      [1, 2].map(() => s.server.inject({ method: "POST", url: "/settle", payload: body })),
    );
    expect(settles.map((r) => r.json().success).sort()).toEqual([false, true]); // one payment pays once
    expect((await s.server.inject({ method: "POST", url: "/settle", payload: body })).json()).toMatchObject({
      errorReason: "invalid_exact_evm_nonce_already_used",
    });
    const stranger = await signPaymentV2(devAccount(7).account, requirements); // anvil dev key #7: holds no USDC
    await s.server.inject({ method: "POST", url: "/settle", payload: facilitatorBody(stranger, requirements) });
    await get(s, "/nope");

    const metrics = await get(s, "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.headers["content-type"]).toContain("text/plain");
    const text = metrics.body;
    expect(text).toContain('facilitator_http_requests_total{route="/verify",method="POST",status="200"} 1');
    expect(text).toContain('facilitator_http_requests_total{route="/settle",method="POST",status="200"} 4');
    expect(text).toMatch(/facilitator_http_requests_total\{route="\(no route\)",method="GET",status="404"\} 1/);
    expect(text).toContain("facilitator_verify_duration_seconds_count 1");
    expect(text).toContain("facilitator_settle_duration_seconds_count 4");
    expect(text).toContain('facilitator_settlements_total{outcome="success",reason=""} 1');
    expect(text).toContain(
      'facilitator_settlements_total{outcome="duplicate",reason="invalid_exact_evm_nonce_already_used"} 2',
    );
    expect(text).toContain(
      'facilitator_settlements_total{outcome="invalid",reason="invalid_exact_evm_insufficient_balance"} 1',
    );
    expect(text).toContain("facilitator_settlements_in_flight 0");
    expect(text).toMatch(
      new RegExp(`facilitator_signer_balance_wei\\{signer="${chain.facilitator.account.address}"\\} \\d`),
    );
    expect(text).toContain("facilitator_ready 1");
    expect(text).toContain("facilitator_dependencies_healthy 1");
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).not.toContain("namespace=");
  });

  it("counts settlements broadcast and awaiting their block as in flight", async () => {
    const s = service();
    const { requirements, payment } = await paymentBody();
    const signerNonce = async () =>
      Number(await chain.anvil.rpc<string>("eth_getTransactionCount", [chain.facilitator.account.address, "pending"]));
    const before = await signerNonce();
    await chain.anvil.rpc("evm_setAutomine", [false]);
    try {
      const settling = s.server.inject({
        method: "POST",
        url: "/settle",
        payload: facilitatorBody(payment, requirements),
      });
      while ((await signerNonce()) === before) await new Promise((r) => setTimeout(r, 20));
      // Broadcast: it is watched for its receipt as soon as the node has answered the send.
      const deadline = Date.now() + 5_000;
      while (!(await get(s, "/metrics")).body.includes("facilitator_settlements_in_flight 1") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect((await get(s, "/metrics")).body).toContain("facilitator_settlements_in_flight 1");
      await chain.anvil.rpc("evm_mine");
      expect((await settling).json()).toMatchObject({ success: true });
    } finally {
      await chain.anvil.rpc("evm_setAutomine", [true]);
    }
    expect((await get(s, "/metrics")).body).toContain("facilitator_settlements_in_flight 0");
  });
});

describe("API keys (FACILITATOR_API_KEYS)", () => {
  it("a missing or wrong key is a 401 that costs no RPC call; the right key works through the official client", async () => {
    const s = service({ FACILITATOR_API_KEYS: `another-key-0123456789abcdef, ${API_KEY}` });
    const { requirements, payment } = await paymentBody();
    const payload = facilitatorBody(payment, requirements);
    const before = proxy.totalCalls();
    for (const authorization of [undefined, "Bearer wrong-key-0123456789abcdef", API_KEY, `Basic ${API_KEY}`]) {
      for (const url of ["/verify", "/settle"]) {
        const response = await s.server.inject({
          method: "POST",
          url,
          payload,
          headers: authorization ? { authorization } : {},
        });
        expect(response.statusCode).toBe(401);
        expect(response.headers["www-authenticate"]).toContain("Bearer");
        expect(response.json()).toEqual({ error: "unauthorized", message: expect.stringMatching(/API key/) });
        expect(response.body).not.toContain(API_KEY);
      }
    }
    expect(proxy.totalCalls()).toBe(before);

    await s.server.listen({ host: "127.0.0.1", port: 0 });
    const address = s.server.server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const headers = { Authorization: `Bearer ${API_KEY}` };
    const client = new HTTPFacilitatorClient({
      url,
      createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: {} }),
    });
    expect(await client.verify(payment, requirements)).toMatchObject({ isValid: true });
    expect(await client.settle(payment, requirements)).toMatchObject({ success: true });
    for (const open of ["/healthz", "/readyz", "/metrics", "/supported"])
      expect((await fetch(`${url}${open}`)).status).toBe(200);
    expect(s.logs()).not.toContain(API_KEY);
  });
});
