// Settlement: simulate-only mode, one transaction per authorization under concurrency, failures
// that carry the hash (timeout, revert), a failed send that leaves the payment settleable, RPC
// outages as 503s, and logs that hold one line per request and never the key.
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import { createWalletClient, erc20Abi, http, parseGwei, type Hex } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { devAccount, roles } from "./support/accounts.js";
import { startTestChain, type TestChain } from "./support/chain.js";
import { freePort } from "./support/facilitator.js";
import { createInProcessFacilitator, type InProcessFacilitator } from "./support/inProcess.js";
import { requirementsV2, signPaymentV2 } from "./support/payments.js";
import { localAmoy, usdc } from "./support/token.js";

let chain: TestChain;
let real: InProcessFacilitator; // REAL_SETTLE=true
let impatient: InProcessFacilitator; // REAL_SETTLE=true, gives up waiting for a receipt after 1.5 s
let simulated: InProcessFacilitator; // REAL_SETTLE=false
const responses: string[] = [];

beforeAll(async () => {
  chain = await startTestChain();
  real = createInProcessFacilitator(chain.facilitatorEnv({ SETTLE_TIMEOUT_MS: "20000" }));
  impatient = createInProcessFacilitator(chain.facilitatorEnv({ SETTLE_TIMEOUT_MS: "1500" }));
  simulated = createInProcessFacilitator(chain.facilitatorEnv({ REAL_SETTLE: "false" }));
});

afterEach(async () => {
  await chain.anvil.rpc("evm_setAutomine", [true]);
});

afterAll(async () => {
  await Promise.all([real?.close(), impatient?.close(), simulated?.close()]);
  await chain?.stop();
});

const requirements = (amount = usdc(1)): PaymentRequirements =>
  requirementsV2({ asset: chain.token.address, payTo: chain.seller.account.address, amount });

async function call(
  service: InProcessFacilitator,
  route: "/verify" | "/settle",
  payload: PaymentPayload,
  presented: PaymentRequirements,
) {
  const answer = await service.post(route, payload, presented);
  responses.push(answer.text);
  return answer;
}

const signerNonce = async (tag: "latest" | "pending" = "latest") =>
  Number(await chain.anvil.rpc<string>("eth_getTransactionCount", [chain.facilitator.account.address, tag]));
const nonceOf = (payload: PaymentPayload) => (payload.payload.authorization as { nonce: Hex }).nonce;

describe("REAL_SETTLE=false", () => {
  it("verifies and simulates, says nothing was broadcast, and leaves the chain untouched", async () => {
    const presented = requirements();
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const [balance, nonce] = [await chain.token.balanceOf(chain.buyer.account.address), await signerNonce()];

    const settle = await call(simulated, "/settle", payload, presented);
    expect(settle.status).toBe(200);
    expect(settle.body).toEqual({
      success: true,
      transaction: "",
      network: "eip155:80002",
      payer: chain.buyer.account.address,
      extra: { simulated: true, broadcast: false, message: expect.stringContaining("nothing was broadcast") },
    });
    expect(await chain.token.balanceOf(chain.buyer.account.address)).toBe(balance);
    expect(await chain.token.authorizationState(chain.buyer.account.address, nonceOf(payload))).toBe(false);
    expect(await signerNonce()).toBe(nonce);

    // The simulated payment is still the buyer's to spend for real.
    expect((await call(real, "/settle", payload, presented)).body).toMatchObject({ success: true });
  });

  it("still reports what would fail on chain", async () => {
    const presented = requirements();
    const payload = await signPaymentV2(roles.stranger().account, presented);
    expect((await call(simulated, "/settle", payload, presented)).body).toMatchObject({
      success: false,
      errorReason: "invalid_exact_evm_insufficient_balance",
    });
  });
});

describe("concurrency", () => {
  it("20 concurrent settles of one authorization send one transaction, tell one caller 'paid' and every other one where it went", async () => {
    const presented = requirements(usdc(0.01));
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const before = await signerNonce();
    const results = await Promise.all(Array.from({ length: 20 }, () => call(real, "/settle", payload, presented)));
    const hashes = new Set(results.map((r) => r.body.transaction));
    expect(results.filter((r) => r.body.success === true)).toHaveLength(1);
    const others = results.filter((r) => r.body.success !== true);
    expect(others).toHaveLength(19);
    for (const other of others) {
      expect(other.body).toMatchObject({ errorReason: "invalid_exact_evm_nonce_already_used" });
      expect(String(other.body.errorMessage)).toContain(String(other.body.transaction));
    }
    expect(hashes.size).toBe(1);
    expect(await signerNonce()).toBe(before + 1);
    // Later, the same payment again: refused, naming the same transaction.
    const later = await call(real, "/settle", payload, presented);
    expect(later.body).toMatchObject({
      success: false,
      errorReason: "invalid_exact_evm_nonce_already_used",
      transaction: [...hashes][0],
    });
  });

  it("a concurrent settle of the same authorization under other terms is judged on its own, in either order", async () => {
    for (const wrongFirst of [true, false]) {
      const presented = requirements(usdc(0.01));
      const payload = await signPaymentV2(chain.buyer.account, presented);
      const overpriced = { ...presented, amount: usdc(5).toString() };
      const before = await signerNonce();
      const calls = [() => call(real, "/settle", payload, presented), () => call(real, "/settle", payload, overpriced)];
      const [right, wrong] = wrongFirst
        ? await Promise.all([calls[0]!(), calls[1]!()])
        : await Promise.all([calls[1]!(), calls[0]!()]).then(([w, r]) => [r, w] as const);
      expect(right!.body).toMatchObject({ success: true });
      expect(wrong!.body).toMatchObject({
        success: false,
        errorReason: "invalid_exact_evm_payload_authorization_value_mismatch",
      });
      expect(await signerNonce()).toBe(before + 1);
    }
  });

  it("20 concurrent settles of distinct authorizations all land, with no nonce collision", async () => {
    const presented = requirements(usdc(0.01));
    const payloads = await Promise.all(Array.from({ length: 20 }, () => signPaymentV2(chain.buyer.account, presented)));
    const before = await signerNonce();
    const results = await Promise.all(payloads.map((p) => call(real, "/settle", p, presented)));
    expect(results.map((r) => r.body.success)).toEqual(Array(20).fill(true));
    expect(await signerNonce()).toBe(before + 20);
    for (const p of payloads)
      expect(await chain.token.authorizationState(chain.buyer.account.address, nonceOf(p))).toBe(true);
  });
});

describe("failures carry the transaction hash", () => {
  it("a receipt timeout is settlement_pending with the hash; settling again follows the same transaction", async () => {
    const presented = requirements(usdc(0.02));
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const before = await signerNonce();
    await chain.anvil.rpc("evm_setAutomine", [false]);

    const pending = await call(impatient, "/settle", payload, presented);
    expect(pending.body).toMatchObject({
      success: false,
      errorReason: "settlement_pending",
      transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    expect(pending.body.errorMessage).toContain("settle the same payment again");
    expect(await chain.token.authorizationState(chain.buyer.account.address, nonceOf(payload))).toBe(false);

    await chain.anvil.rpc("evm_mine");
    const retried = await call(impatient, "/settle", payload, presented);
    expect(retried.body).toMatchObject({ success: true, transaction: pending.body.transaction });
    expect(await signerNonce()).toBe(before + 1);
  });

  it("a transaction that reverts on chain is a failure with its hash", async () => {
    // A second buyer holds exactly one payment's worth and spends it (higher tip) before the settlement is mined.
    const buyer = devAccount(5); // anvil dev key #5 (public test key)
    await chain.token.mint(buyer.account.address, usdc(1));
    const presented = requirements(usdc(1));
    const payload = await signPaymentV2(buyer.account, presented);
    const pendingBefore = await signerNonce("pending");
    await chain.anvil.rpc("evm_setAutomine", [false]);

    const settling = call(real, "/settle", payload, presented);
    while ((await signerNonce("pending")) === pendingBefore) await new Promise((r) => setTimeout(r, 20));
    const wallet = createWalletClient({
      chain: localAmoy(chain.anvil.url),
      transport: http(chain.anvil.url),
      account: buyer.account,
    });
    await wallet.writeContract({
      address: chain.token.address,
      abi: erc20Abi,
      functionName: "transfer",
      args: [roles.stranger().account.address, usdc(1)],
      maxPriorityFeePerGas: parseGwei("500"),
      maxFeePerGas: parseGwei("1000"),
      gas: 100_000n,
    });
    await chain.anvil.rpc("evm_mine");

    const result = await settling;
    expect(result.body).toMatchObject({
      success: false,
      errorReason: "invalid_exact_evm_transaction_failed",
      transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    const receipt = await chain.anvil.rpc<{ status: string }>("eth_getTransactionReceipt", [result.body.transaction]);
    expect(receipt.status).toBe("0x0");
  });
});

describe("a transaction displaced by another sender of the same key", () => {
  it("is noticed (its nonce used, no receipt), and the payment is judged and sent again, and lands", async () => {
    const presented = requirements(usdc(0.01));
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const taken = await signerNonce("pending");
    await chain.anvil.rpc("evm_setAutomine", [false]);

    const settling = call(real, "/settle", payload, presented);
    while ((await signerNonce("pending")) === taken) await new Promise((r) => setTimeout(r, 20));
    // A replica sharing the key spends the same nonce on something else, paying more: ours leaves the pool.
    const wallet = createWalletClient({
      chain: localAmoy(chain.anvil.url),
      transport: http(chain.anvil.url),
      account: chain.facilitator.account,
    });
    await wallet.sendTransaction({
      to: roles.stranger().account.address,
      value: 1n,
      nonce: taken,
      gas: 21_000n,
      maxFeePerGas: parseGwei("1000"),
      maxPriorityFeePerGas: parseGwei("500"),
    });
    await chain.anvil.rpc("evm_mine");
    while ((await signerNonce("pending")) < taken + 2) await new Promise((r) => setTimeout(r, 20)); // sent again, next nonce
    await chain.anvil.rpc("evm_mine");

    const result = await settling;
    expect(result.body).toMatchObject({ success: true, transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(await chain.token.authorizationState(chain.buyer.account.address, nonceOf(payload))).toBe(true);
    expect(await signerNonce()).toBe(taken + 2);
  });
});

describe("a failed send leaves the payment settleable", () => {
  it("signer without gas funds: a clear failure, the authorization stays unused, and it settles once funded", async () => {
    const presented = requirements(usdc(0.03));
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const funds = await chain.anvil.rpc<string>("eth_getBalance", [chain.facilitator.account.address, "latest"]);
    await chain.anvil.rpc("anvil_setBalance", [chain.facilitator.account.address, "0x0"]);
    try {
      const failed = await call(real, "/settle", payload, presented);
      expect(failed.body).toMatchObject({
        success: false,
        errorReason: "facilitator_signer_insufficient_funds",
        transaction: "",
      });
      expect(await chain.token.authorizationState(chain.buyer.account.address, nonceOf(payload))).toBe(false);
    } finally {
      await chain.anvil.rpc("anvil_setBalance", [chain.facilitator.account.address, funds]);
    }
    expect((await call(real, "/settle", payload, presented)).body).toMatchObject({ success: true });
  });
});

describe("RPC unavailable", () => {
  it("/verify and /settle answer 503 with Retry-After; /healthz and /supported stay up", async () => {
    const deadRpc = `http://127.0.0.1:${await freePort()}`;
    const offline = createInProcessFacilitator(chain.facilitatorEnv({ AMOY_RPC_URL: deadRpc, RPC_TIMEOUT_MS: "500" }));
    try {
      const presented = requirements();
      const payload = await signPaymentV2(chain.buyer.account, presented);
      for (const route of ["/verify", "/settle"] as const) {
        const response = await call(offline, route, payload, presented);
        expect(response.status).toBe(503);
        expect(response.headers["retry-after"]).toBe("2");
        expect(response.body).toEqual({ error: "rpc_unavailable", message: expect.stringContaining("retry later") });
        expect(String(response.body.message)).not.toContain(deadRpc);
      }
      expect((await offline.server.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      expect((await offline.server.inject({ method: "GET", url: "/supported" })).statusCode).toBe(200);
    } finally {
      await offline.close();
    }
  });
});

describe("logs", () => {
  it("hold one structured line per request, no payloads, and never the key", () => {
    const lines = real
      .logs()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === "request");
    expect(requests.length).toBeGreaterThan(40);
    expect(requests[0]).toMatchObject({
      level: 30,
      method: "POST",
      route: "/settle",
      status: 200,
      ms: expect.any(Number),
    });
    expect(requests.some((l) => l.reason === "invalid_exact_evm_transaction_failed")).toBe(true);
    const everything = [real.logs(), impatient.logs(), simulated.logs(), ...responses].join("\n").toLowerCase();
    expect(everything).not.toContain(chain.facilitator.privateKey.slice(2).toLowerCase());
    for (const payloadField of ["paymentPayload", "paymentRequirements", "signature", "validBefore"])
      expect(real.logs()).not.toContain(payloadField);
  });
});
