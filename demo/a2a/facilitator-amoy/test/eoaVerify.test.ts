// Our /verify path for plain accounts (src/x402/eoaVerify.ts, native signature recovery) against
// @x402/evm's own verification, on a real chain: the same verdict for every case, and the library
// left in charge of what our path does not handle (contract accounts, long signatures).
import type {
  PaymentPayload,
  PaymentPayloadV1,
  PaymentRequirements,
  PaymentRequirementsV1,
  VerifyResponse,
} from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/facilitator";
import {
  concatHex,
  getAddress,
  hashMessage,
  numberToHex,
  parseSignature,
  serializeSignature,
  sliceHex,
  type Hex,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAmoyClient, type AmoyClient } from "../src/chain/clients.js";
import { CodeCache, VerifyProbe } from "../src/chain/probe.js";
import { verifyEoaPayment } from "../src/x402/eoaVerify.js";
import { routePayment } from "../src/x402/payment.js";
import { recoverSigner, recoveryBackend } from "../src/x402/signature.js";
import { devAccount, roles } from "./support/accounts.js";
import { startTestChain, type TestChain } from "./support/chain.js";
import {
  facilitatorBody,
  requirementsV1,
  requirementsV2,
  signCustomPaymentV2,
  signPaymentV1,
  signPaymentV2,
} from "./support/payments.js";
import { usdc } from "./support/token.js";

/** secp256k1's group order, by its definition (2^256 minus a 129-bit constant). */
const CURVE_ORDER = 2n ** 256n - 0x14551231950b75fc4402da1732fc9bebfn;

let chain: TestChain;
let client: AmoyClient;
let codes: CodeCache;

beforeAll(async () => {
  chain = await startTestChain();
  client = createAmoyClient({ rpcUrl: chain.anvil.url, rpcTimeoutMs: 5_000 });
  codes = new CodeCache(client);
});

afterAll(async () => {
  await chain?.stop();
});

type Signed =
  | { payload: PaymentPayload; requirements: PaymentRequirements }
  | { payload: PaymentPayloadV1; requirements: PaymentRequirementsV1 };

const v2 = (overrides: Partial<PaymentRequirements> = {}): PaymentRequirements => ({
  ...requirementsV2({ asset: chain.token.address, payTo: chain.seller.account.address, amount: usdc(1) }),
  ...overrides,
});
const v1 = (overrides: Partial<PaymentRequirementsV1> = {}): PaymentRequirementsV1 => ({
  ...requirementsV1({ asset: chain.token.address, payTo: chain.seller.account.address, amount: usdc(1) }),
  ...overrides,
});
const now = () => BigInt(Math.floor(Date.now() / 1000));

/** The same payment with another signature (same authorization). */
function withSignature(signed: { payload: PaymentPayload; requirements: PaymentRequirements }, signature: Hex) {
  return { ...signed, payload: { ...signed.payload, payload: { ...signed.payload.payload, signature } } };
}

async function ours(signed: Signed): Promise<VerifyResponse | undefined> {
  const routed = routePayment(
    facilitatorBody(signed.payload, signed.requirements) as never,
    getAddress(chain.token.address),
  );
  if (!routed.ok) throw new Error(`not routed: ${routed.message}`);
  return verifyEoaPayment(routed.payment, new VerifyProbe(client, [], codes));
}

async function library(signed: Signed): Promise<VerifyResponse> {
  const probe = new VerifyProbe(client, [], codes);
  return signed.payload.x402Version === 2
    ? new ExactEvmScheme(probe).verify(signed.payload as PaymentPayload, signed.requirements as PaymentRequirements)
    : new ExactEvmSchemeV1(probe).verify(
        signed.payload as unknown as PaymentPayload,
        signed.requirements as unknown as PaymentRequirements,
      );
}

const payerOf = (signed: Signed) =>
  getAddress((signed.payload.payload as { authorization: { from: string } }).authorization.from);
const verdict = (r: VerifyResponse | undefined) =>
  r && { isValid: r.isValid, invalidReason: r.invalidReason ?? undefined, payer: r.payer };

interface Case {
  readonly name: string;
  /** The verdict both must give (invalidReason undefined: valid). */
  readonly reason: string | undefined;
  build(): Promise<Signed>;
}

const cases: Case[] = [
  {
    name: "a valid v2 payment",
    reason: undefined,
    build: async () => ({ payload: await signPaymentV2(chain.buyer.account, v2()), requirements: v2() }),
  },
  {
    name: "a valid v1 payment",
    reason: undefined,
    build: async () => ({ payload: await signPaymentV1(chain.buyer.account, v1()), requirements: v1() }),
  },
  {
    name: "v2: value differs from the amount",
    reason: "invalid_exact_evm_payload_authorization_value_mismatch",
    build: async () => ({
      payload: await signPaymentV2(chain.buyer.account, v2()),
      requirements: v2({ amount: usdc(2).toString() }),
    }),
  },
  {
    name: "v1: value differs from maxAmountRequired",
    reason: "invalid_exact_evm_authorization_value",
    build: async () => ({
      payload: await signPaymentV1(chain.buyer.account, v1()),
      requirements: v1({ maxAmountRequired: usdc(2).toString() }),
    }),
  },
  {
    name: "authorization pays someone else",
    reason: "invalid_exact_evm_recipient_mismatch",
    build: async () => {
      const payload = await signPaymentV2(chain.buyer.account, v2());
      return { payload, requirements: v2({ payTo: roles.stranger().account.address }) };
    },
  },
  {
    name: "payload's network differs from the requirements'",
    reason: "invalid_exact_evm_network_mismatch",
    build: async () => {
      const payload = await signPaymentV2(chain.buyer.account, v2());
      return { payload: { ...payload, accepted: v2({ network: "eip155:84532" }) }, requirements: v2() };
    },
  },
  {
    name: "payload's scheme differs from the requirements'",
    reason: "invalid_exact_evm_scheme",
    build: async () => {
      const payload = await signPaymentV2(chain.buyer.account, v2());
      return { payload: { ...payload, accepted: v2({ scheme: "upto" }) }, requirements: v2() };
    },
  },
  {
    name: "requirements without the EIP-712 domain",
    reason: "invalid_exact_evm_missing_eip712_domain",
    build: async () => ({ payload: await signPaymentV2(chain.buyer.account, v2()), requirements: v2({ extra: {} }) }),
  },
  {
    name: "EIP-712 domain name that is not the one signed",
    reason: "invalid_exact_evm_signature",
    build: async () => ({
      payload: await signPaymentV2(chain.buyer.account, v2()),
      requirements: v2({ extra: { name: "USD Coin", version: "2" } }),
    }),
  },
  {
    name: "signature by another key",
    reason: "invalid_exact_evm_signature",
    build: async () => ({
      payload: await signCustomPaymentV2(v2(), { signer: roles.stranger().account, from: chain.buyer.account.address }),
      requirements: v2(),
    }),
  },
  {
    name: "signature with r out of range",
    reason: "invalid_exact_evm_signature",
    build: async () => {
      const signed = { payload: await signPaymentV2(chain.buyer.account, v2()), requirements: v2() };
      return withSignature(
        signed,
        concatHex([numberToHex(CURVE_ORDER + 1n, { size: 32 }), sliceHex(signed.payload.payload.signature as Hex, 32)]),
      );
    },
  },
  {
    name: "signature with v = 29",
    reason: "invalid_exact_evm_signature",
    build: async () => {
      const signed = { payload: await signPaymentV2(chain.buyer.account, v2()), requirements: v2() };
      return withSignature(signed, concatHex([sliceHex(signed.payload.payload.signature as Hex, 0, 64), "0x1d"]));
    },
  },
  {
    name: "signature with v as 0/1 (y parity) instead of 27/28",
    reason: undefined,
    build: async () => {
      const signed = { payload: await signPaymentV2(chain.buyer.account, v2()), requirements: v2() };
      const { r, s, yParity } = parseSignature(signed.payload.payload.signature as Hex);
      return withSignature(signed, concatHex([r, s, numberToHex(yParity, { size: 1 })]));
    },
  },
  {
    name: "malleated signature (high s): recovers the payer, the token refuses it",
    reason: "invalid_exact_evm_transaction_simulation_failed",
    build: async () => {
      const signed = { payload: await signPaymentV2(chain.buyer.account, v2()), requirements: v2() };
      const { r, s, yParity } = parseSignature(signed.payload.payload.signature as Hex);
      const highS = numberToHex(CURVE_ORDER - BigInt(s), { size: 32 });
      return withSignature(signed, serializeSignature({ r, s: highS, yParity: 1 - yParity }));
    },
  },
  {
    name: "expired authorization",
    reason: "invalid_exact_evm_payload_authorization_valid_before",
    build: async () => ({
      payload: await signCustomPaymentV2(v2(), { signer: chain.buyer.account, validBefore: now() + 3n }),
      requirements: v2(),
    }),
  },
  {
    name: "authorization not valid yet",
    reason: "invalid_exact_evm_payload_authorization_valid_after",
    build: async () => ({
      payload: await signCustomPaymentV2(v2(), { signer: chain.buyer.account, validAfter: now() + 600n }),
      requirements: v2(),
    }),
  },
  {
    name: "payer without funds (the simulation fails)",
    reason: "invalid_exact_evm_transaction_simulation_failed",
    build: async () => ({ payload: await signPaymentV2(devAccount(7).account, v2()), requirements: v2() }),
  },
];

describe("verifyEoaPayment gives @x402/evm's verdict", () => {
  it.each(cases)("$name", async ({ build, reason }) => {
    const signed = await build();
    const [mine, theirs] = await Promise.all([ours(signed), library(signed)]);
    expect(verdict(theirs)).toEqual({ isValid: reason === undefined, invalidReason: reason, payer: payerOf(signed) });
    expect(verdict(mine)).toEqual(verdict(theirs));
  });

  it("explains a failed simulation with the token's own revert message", async () => {
    const signed = { payload: await signPaymentV2(devAccount(7).account, v2()), requirements: v2() };
    expect((await ours(signed))?.invalidMessage).toMatch(/transfer amount exceeds balance|insufficient/i);
  });
});

describe("what verifyEoaPayment leaves to @x402/evm", () => {
  it("a payer with contract code (ERC-1271 smart wallet)", async () => {
    const wallet = devAccount(9);
    await chain.anvil.rpc("anvil_setCode", [wallet.account.address, "0x00"]);
    const signed = { payload: await signPaymentV2(wallet.account, v2()), requirements: v2() };
    expect(await ours(signed)).toBeUndefined();
    expect(verdict(await library(signed))?.invalidReason).toBe("invalid_exact_evm_signature"); // code 0x00 answers no isValidSignature
  });

  it("a signature longer than 65 bytes (ERC-6492 wrapper, smart-wallet signature)", async () => {
    const signed = { payload: await signPaymentV2(chain.buyer.account, v2()), requirements: v2() };
    expect(
      await ours(withSignature(signed, concatHex([signed.payload.payload.signature as Hex, "0x00"]))),
    ).toBeUndefined();
  });
});

describe("recoverSigner", () => {
  it("uses the native libsecp256k1 binding on this platform", () => {
    expect(
      recoveryBackend,
      "the secp256k1 prebuilt binding did not load: reinstall (npm ci) on linux-x64/darwin-arm64/win32-x64",
    ).toEqual({ native: true });
  });

  it("recovers the signer for v = 27/28 and 0/1, and nothing for a bad length, v or r", async () => {
    const account = chain.buyer.account;
    const digest = hashMessage("recover me");
    const signature = await account.signMessage({ message: "recover me" });
    const { r, s, yParity } = parseSignature(signature);
    expect(await recoverSigner(digest, signature)).toBe(account.address);
    expect(await recoverSigner(digest, concatHex([r, s, numberToHex(yParity, { size: 1 })]))).toBe(account.address);
    expect(await recoverSigner(hashMessage("something else"), signature)).not.toBe(account.address);
    expect(await recoverSigner(digest, sliceHex(signature, 0, 64))).toBeUndefined();
    expect(await recoverSigner(digest, concatHex([r, s, "0x02"]))).toBeUndefined();
    expect(await recoverSigner(digest, concatHex([numberToHex(0n, { size: 32 }), s, "0x1b"]))).toBeUndefined();
  });
});
