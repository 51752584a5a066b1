// HTTP hardening against callers who hold sockets, send bodies built to break parsers, or want to
// read our RPC provider's internals: each answer is a clean 4xx or verdict, never a 5xx or a hang.
import { connect, type Socket } from "node:net";
import type { PaymentRequirements } from "@x402/core/types";
import { getAddress, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "./support/chain.js";
import { createInProcessFacilitator, type InProcessFacilitator } from "./support/inProcess.js";
import { APPROVE_EVERYTHING, facilitatorBody, randomNonce, requirementsV2, signPaymentV2 } from "./support/payments.js";
import { startRpcProxy, type RpcProxy } from "./support/rpcProxy.js";
import { usdc } from "./support/token.js";

let chain: TestChain;
let proxy: RpcProxy;
let service: InProcessFacilitator; // through the proxy; REQUEST_TIMEOUT_MS=400, contract payers allowed
let port: number;

beforeAll(async () => {
  chain = await startTestChain();
  proxy = await startRpcProxy(chain.anvil.url);
  service = createInProcessFacilitator(
    chain.facilitatorEnv({ AMOY_RPC_URL: proxy.url, REQUEST_TIMEOUT_MS: "400", ALLOW_CONTRACT_PAYERS: "true" }),
  );
  await service.server.listen({ host: "127.0.0.1", port: 0 });
  const address = service.server.server.address();
  port = typeof address === "object" && address ? address.port : 0;
});

afterAll(async () => {
  await service?.close();
  await proxy?.stop();
  await chain?.stop();
});

const requirements = (): PaymentRequirements =>
  requirementsV2({ asset: chain.token.address, payTo: chain.seller.account.address, amount: usdc(1) });

/** Opens a raw connection, writes `data`, and resolves with what the server sent and when it closed. */
function rawExchange(data: string, waitMs: number): Promise<{ closed: boolean; received: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let received = "";
    const socket: Socket = connect(port, "127.0.0.1", () => socket.write(data));
    socket.on("data", (chunk) => (received += chunk.toString()));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, received, ms: Date.now() - started });
    }, waitMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ closed: true, received, ms: Date.now() - started });
    });
    socket.on("error", () => undefined);
  });
}

describe("timeouts", () => {
  it("a body that stalls half-way is cut off after REQUEST_TIMEOUT_MS (Fastify's default would wait forever)", async () => {
    const head = `POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"x402Version":`;
    const result = await rawExchange(head, 5_000);
    expect(result.closed).toBe(true);
    expect(result.ms).toBeLessThan(3_000);
    expect(result.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it("headers that never finish are cut off too", async () => {
    const result = await rawExchange("POST /verify HTTP/1.1\r\nHost: x\r\n", 5_000);
    expect(result.closed).toBe(true);
    expect(result.ms).toBeLessThan(3_000);
  });

  it("a settlement that waits for its block longer than the request timeout still gets its answer", async () => {
    const presented = requirements();
    const payload = await signPaymentV2(chain.buyer.account, presented);
    await chain.anvil.rpc("evm_setAutomine", [false]);
    try {
      const answer = fetch(`http://127.0.0.1:${port}/settle`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(facilitatorBody(payload, presented)),
      });
      await new Promise((r) => setTimeout(r, 1_200)); // three request timeouts
      await chain.anvil.rpc("evm_mine");
      expect(await (await answer).json()).toMatchObject({ success: true });
    } finally {
      await chain.anvil.rpc("evm_setAutomine", [true]);
    }
  });
});

describe("bodies built to break parsers", () => {
  it("JSON nested 30,000 levels deep in any free-form field answers without a 5xx", async () => {
    const presented = requirements();
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const nested = "[".repeat(30_000) + "]".repeat(30_000);
    for (const place of ["extensions", "resource", "extra"] as const) {
      const body = structuredClone(facilitatorBody(payload, presented)) as {
        paymentPayload: Record<string, unknown>;
        paymentRequirements: Record<string, unknown>;
      };
      if (place === "extra") body.paymentRequirements.extra = { name: "USDC", version: "2", deep: "__DEEP__" };
      else body.paymentPayload[place] = { url: "http://localhost/paid", deep: "__DEEP__" };
      const text = JSON.stringify(body).replace('"__DEEP__"', nested);
      const response = await service.server.inject({
        method: "POST",
        url: "/verify",
        headers: { "content-type": "application/json" },
        payload: text,
      });
      expect(response.statusCode, place).toBeLessThan(500);
    }
  });

  it("malformed contract-payer signatures are a verdict (invalid signature), never a 5xx", async () => {
    const wallet = getAddress(randomNonce().slice(0, 42));
    await chain.anvil.rpc("anvil_setCode", [wallet, APPROVE_EVERYTHING]);
    await chain.token.mint(wallet, usdc(5));
    const presented = requirements();
    const magic = "6492".repeat(16); // ERC-6492's magic suffix, with nothing decodable before it
    const signatures: Hex[] = [`0x${magic}`, `0x${"00".repeat(31)}${magic}`, `0x${"ff".repeat(70)}${magic}`];
    const now = Math.floor(Date.now() / 1000);
    for (const signature of signatures) {
      const payload = {
        x402Version: 2 as const,
        resource: { url: "http://localhost/paid" },
        accepted: presented,
        payload: {
          signature,
          authorization: {
            from: wallet,
            to: presented.payTo,
            value: presented.amount,
            validAfter: String(now - 600),
            validBefore: String(now + 300),
            nonce: randomNonce(),
          },
        },
      };
      for (const route of ["/verify", "/settle"]) {
        const response = await service.server.inject({
          method: "POST",
          url: route,
          payload: facilitatorBody(payload, presented),
        });
        expect(response.statusCode, `${route} ${signature.slice(0, 10)}`).toBe(200);
        expect(response.json<Record<string, unknown>>()).toMatchObject(
          route === "/verify" ? { isValid: false } : { success: false },
        );
      }
    }
  });
});

describe("the RPC provider's error bodies stay with us", () => {
  it("a node's refusal reaches the caller as a summary and a JSON-RPC code, without the provider's own text", async () => {
    const leaky = "upstream node-7.internal.provider.example rejected: quota key sk_live_0123 exhausted";
    proxy.override((call) =>
      call.method === "eth_sendRawTransaction" ? { error: { code: -32000, message: leaky } } : undefined,
    );
    try {
      const presented = requirements();
      const settle = await service.server.inject({
        method: "POST",
        url: "/settle",
        payload: facilitatorBody(await signPaymentV2(chain.buyer.account, presented), presented),
      });
      const body = settle.json<Record<string, unknown>>();
      expect(body).toMatchObject({ success: false, errorReason: "transaction_rejected" });
      expect(String(body.errorMessage)).toContain("JSON-RPC error -32000");
      expect(settle.body).not.toContain("internal.provider.example");
      expect(settle.body).not.toContain("sk_live");
    } finally {
      proxy.override(undefined);
    }
  });
});
