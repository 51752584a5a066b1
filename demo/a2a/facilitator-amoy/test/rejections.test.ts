// Each rejection carries its specific reason, from /verify and from /settle, and nothing is sent.
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "./support/accounts.js";
import { startTestChain, type TestChain } from "./support/chain.js";
import { createInProcessFacilitator, type InProcessFacilitator } from "./support/inProcess.js";
import {
  facilitatorBody,
  requirementsV1,
  requirementsV2,
  signCustomPaymentV2,
  signPaymentV1,
  signPaymentV2,
} from "./support/payments.js";
import { usdc } from "./support/token.js";

let chain: TestChain;
let service: InProcessFacilitator;

beforeAll(async () => {
  chain = await startTestChain();
  service = createInProcessFacilitator(chain.facilitatorEnv());
});

afterAll(async () => {
  await service?.close();
  await chain?.stop();
});

const now = () => BigInt(Math.floor(Date.now() / 1000));
const requirements = (overrides: Partial<PaymentRequirements> = {}): PaymentRequirements => ({
  ...requirementsV2({ asset: chain.token.address, payTo: chain.seller.account.address, amount: usdc(1) }),
  ...overrides,
});

interface Case {
  readonly name: string;
  readonly reason: string;
  /** The signed payment and the requirements the resource server presents with it. */
  build(): Promise<{ payload: PaymentPayload; requirements: PaymentRequirements }>;
}

const cases: Case[] = [
  {
    name: "amount above the signed value",
    reason: "invalid_exact_evm_payload_authorization_value_mismatch",
    async build() {
      const payload = await signPaymentV2(chain.buyer.account, requirements());
      return { payload, requirements: requirements({ amount: usdc(2).toString() }) };
    },
  },
  {
    name: "wrong payTo",
    reason: "invalid_exact_evm_recipient_mismatch",
    async build() {
      const payload = await signPaymentV2(chain.buyer.account, requirements());
      const other = requirements({ payTo: roles.stranger().account.address });
      return { payload: { ...payload, accepted: other }, requirements: other };
    },
  },
  {
    name: "wrong asset",
    reason: "unsupported_asset",
    async build() {
      const foreign = requirements({ asset: "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582" });
      return { payload: await signPaymentV2(chain.buyer.account, foreign), requirements: foreign };
    },
  },
  {
    name: "wrong network",
    reason: "unsupported_network",
    async build() {
      const payload = await signPaymentV2(chain.buyer.account, requirements());
      const base = requirements({ network: "eip155:8453" });
      return { payload: { ...payload, accepted: base }, requirements: base };
    },
  },
  {
    name: "network of the payload differs from the requirements",
    reason: "invalid_exact_evm_network_mismatch",
    async build() {
      const payload = await signPaymentV2(chain.buyer.account, requirements());
      return {
        payload: { ...payload, accepted: requirements({ network: "eip155:84532" }) },
        requirements: requirements(),
      };
    },
  },
  {
    name: "unsupported scheme",
    reason: "unsupported_scheme",
    async build() {
      const payload = await signPaymentV2(chain.buyer.account, requirements());
      return { payload, requirements: requirements({ scheme: "upto" }) };
    },
  },
  {
    name: "signature by another key",
    reason: "invalid_exact_evm_signature",
    async build() {
      const payload = await signCustomPaymentV2(requirements(), {
        signer: roles.stranger().account,
        from: chain.buyer.account.address,
      });
      return { payload, requirements: requirements() };
    },
  },
  {
    name: "expired authorization",
    reason: "invalid_exact_evm_payload_authorization_valid_before",
    async build() {
      const payload = await signCustomPaymentV2(requirements(), {
        signer: chain.buyer.account,
        validAfter: now() - 3600n,
        validBefore: now() - 60n,
      });
      return { payload, requirements: requirements() };
    },
  },
  {
    name: "not-yet-valid authorization",
    reason: "invalid_exact_evm_payload_authorization_valid_after",
    async build() {
      const payload = await signCustomPaymentV2(requirements(), {
        signer: chain.buyer.account,
        validAfter: now() + 3600n,
        validBefore: now() + 7200n,
      });
      return { payload, requirements: requirements() };
    },
  },
  {
    name: "payer without funds",
    reason: "invalid_exact_evm_insufficient_balance",
    async build() {
      return { payload: await signPaymentV2(roles.stranger().account, requirements()), requirements: requirements() };
    },
  },
  {
    name: "EIP-712 domain name that is not the token's",
    reason: "invalid_exact_evm_token_name_mismatch",
    async build() {
      const wrongDomain = requirements({ extra: { name: "USD Coin", version: "2" } });
      return { payload: await signPaymentV2(chain.buyer.account, wrongDomain), requirements: wrongDomain };
    },
  },
  {
    name: "Permit2 payload",
    reason: "unsupported_payload_type",
    async build() {
      const payload = await signPaymentV2(chain.buyer.account, requirements());
      return {
        payload: { ...payload, payload: { signature: "0x1234", permit2Authorization: {} } },
        requirements: requirements(),
      };
    },
  },
];

describe.each(cases)("$name", (c) => {
  it(`/verify answers isValid:false with ${c.reason}; /settle fails with it and sends nothing`, async () => {
    const { payload, requirements: presented } = await c.build();
    const before = await chainState(payload);

    const verify = await service.server.inject({
      method: "POST",
      url: "/verify",
      payload: facilitatorBody(payload, presented),
    });
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toMatchObject({
      isValid: false,
      invalidReason: c.reason,
      invalidMessage: expect.any(String),
    });

    const settle = await service.server.inject({
      method: "POST",
      url: "/settle",
      payload: facilitatorBody(payload, presented),
    });
    expect(settle.statusCode).toBe(200);
    expect(settle.json()).toMatchObject({
      success: false,
      errorReason: c.reason,
      errorMessage: verify.json<{ invalidMessage: string }>().invalidMessage,
      transaction: "",
    });

    expect(await chainState(payload)).toEqual(before);
  });
});

describe("replay of a settled authorization", () => {
  it("is nonce_already_used on /verify and /settle, names the settling transaction, and sends nothing", async () => {
    const presented = requirements();
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const first = await service.server.inject({
      method: "POST",
      url: "/settle",
      payload: facilitatorBody(payload, presented),
    });
    expect(first.json()).toMatchObject({ success: true });
    const hash = first.json<{ transaction: string }>().transaction;
    const before = await chainState(payload);

    const verify = await service.server.inject({
      method: "POST",
      url: "/verify",
      payload: facilitatorBody(payload, presented),
    });
    expect(verify.json()).toMatchObject({ isValid: false, invalidReason: "invalid_exact_evm_nonce_already_used" });
    expect(verify.json<{ invalidMessage: string }>().invalidMessage).toContain(hash);

    const replay = await service.server.inject({
      method: "POST",
      url: "/settle",
      payload: facilitatorBody(payload, presented),
    });
    expect(replay.json()).toMatchObject({
      success: false,
      errorReason: "invalid_exact_evm_nonce_already_used",
      transaction: hash,
    });
    expect(await chainState(payload)).toEqual(before);
  });

  it("is nonce_already_used for a v1 payment too", async () => {
    const presented = requirementsV1({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(0.1),
    });
    const payload = await signPaymentV1(chain.buyer.account, presented);
    const body = facilitatorBody(payload, presented);
    expect((await service.server.inject({ method: "POST", url: "/settle", payload: body })).json()).toMatchObject({
      success: true,
    });
    const replay = await service.server.inject({ method: "POST", url: "/settle", payload: body });
    expect(replay.json()).toMatchObject({
      success: false,
      errorReason: "invalid_exact_evm_nonce_already_used",
      network: "polygon-amoy",
    });
  });
});

describe("v1 rejections", () => {
  it("names the v1 network it supports", async () => {
    const presented = requirementsV1({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(1),
      network: "base-sepolia",
    });
    const payload = await signPaymentV1(chain.buyer.account, { ...presented, network: "polygon-amoy" as never });
    const verify = await service.server.inject({
      method: "POST",
      url: "/verify",
      payload: facilitatorBody({ ...payload, network: "base-sepolia" as never }, presented),
    });
    expect(verify.json()).toMatchObject({ isValid: false, invalidReason: "unsupported_network" });
    expect(verify.json<{ invalidMessage: string }>().invalidMessage).toContain('"polygon-amoy"');
  });

  it("rejects an amount above the signed value", async () => {
    const signed = requirementsV1({ asset: chain.token.address, payTo: chain.seller.account.address, amount: usdc(1) });
    const payload = await signPaymentV1(chain.buyer.account, signed);
    const verify = await service.server.inject({
      method: "POST",
      url: "/verify",
      payload: facilitatorBody(payload, { ...signed, maxAmountRequired: usdc(5).toString() }),
    });
    expect(verify.json()).toMatchObject({ isValid: false, invalidReason: "invalid_exact_evm_authorization_value" });
  });
});

/** What "nothing sent" means: the signer's nonce, the buyer's balance and the authorization are untouched. */
async function chainState(payload: PaymentPayload) {
  const from = (payload.payload.authorization as { from: Address } | undefined)?.from ?? chain.buyer.account.address;
  const nonce = (payload.payload.authorization as { nonce: `0x${string}` } | undefined)?.nonce;
  const signerNonce = await chain.anvil.rpc<string>("eth_getTransactionCount", [
    chain.facilitator.account.address,
    "pending",
  ]);
  return {
    signerNonce,
    balance: await chain.token.balanceOf(from),
    used: nonce ? await chain.token.authorizationState(from, nonce) : false,
  };
}
