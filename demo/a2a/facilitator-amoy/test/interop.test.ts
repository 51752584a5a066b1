// Interop: a buyer signs with the official x402 client; a resource server's official facilitator
// client (HTTPFacilitatorClient) verifies and settles through this service; the tokens move on chain.
import { HTTPFacilitatorClient } from "@x402/core/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "./support/chain.js";
import { createInProcessFacilitator, type InProcessFacilitator } from "./support/inProcess.js";
import { requirementsV1, requirementsV2, signPaymentV1, signPaymentV2 } from "./support/payments.js";
import { usdc } from "./support/token.js";

let chain: TestChain;
let service: InProcessFacilitator;
let client: HTTPFacilitatorClient;

beforeAll(async () => {
  chain = await startTestChain();
  service = createInProcessFacilitator(chain.facilitatorEnv());
  const url = await service.server.listen({ host: "127.0.0.1", port: 0 });
  client = new HTTPFacilitatorClient({ url });
});

afterAll(async () => {
  await service?.close();
  await chain?.stop();
});

describe("through HTTPFacilitatorClient", () => {
  it("advertises exact on Polygon Amoy for v2 and v1, with its signer", async () => {
    const supported = await client.getSupported();
    expect(supported.kinds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ x402Version: 2, scheme: "exact", network: "eip155:80002" }),
        expect.objectContaining({ x402Version: 1, scheme: "exact", network: "polygon-amoy" }),
      ]),
    );
    expect(supported.kinds).toHaveLength(2);
    expect(Object.values(supported.signers).flat()).toContain(chain.facilitator.account.address);
  });

  it("verifies and settles a v2 payment; the balances move on chain", async () => {
    const requirements = requirementsV2({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(1.25),
    });
    const payment = await signPaymentV2(chain.buyer.account, requirements);
    const before = await balances();

    const verified = await client.verify(payment, requirements);
    expect(verified).toMatchObject({ isValid: true, payer: chain.buyer.account.address });

    const settled = await client.settle(payment, requirements);
    expect(settled).toMatchObject({ success: true, network: "eip155:80002", payer: chain.buyer.account.address });
    expect(settled.transaction).toMatch(/^0x[0-9a-f]{64}$/);

    const after = await balances();
    expect(after.buyer).toBe(before.buyer - usdc(1.25));
    expect(after.seller).toBe(before.seller + usdc(1.25));
    const nonce = (payment.payload.authorization as { nonce: `0x${string}` }).nonce;
    expect(await chain.token.authorizationState(chain.buyer.account.address, nonce)).toBe(true);
  });

  it("verifies and settles a v1 payment; the balances move on chain", async () => {
    const requirements = requirementsV1({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(0.5),
    });
    const payment = await signPaymentV1(chain.buyer.account, requirements);
    const before = await balances();

    const verified = await client.verify(payment as never, requirements as never);
    expect(verified).toMatchObject({ isValid: true, payer: chain.buyer.account.address });

    const settled = await client.settle(payment as never, requirements as never);
    expect(settled).toMatchObject({ success: true, network: "polygon-amoy", payer: chain.buyer.account.address });

    const after = await balances();
    expect(after.buyer).toBe(before.buyer - usdc(0.5));
    expect(after.seller).toBe(before.seller + usdc(0.5));
  });
});

async function balances() {
  return {
    buyer: await chain.token.balanceOf(chain.buyer.account.address),
    seller: await chain.token.balanceOf(chain.seller.account.address),
  };
}
