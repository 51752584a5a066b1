// Payment integrity, reproduced on anvil the way an attacker would try it: what is verified is what
// is settled, a payload shape we do not settle is refused, and a contract payer (a smart wallet) is
// only judged when the operator allows contract payers at all.
//
// Real USDC (Circle's FiatToken v2.2) accepts ERC-1271 signatures from any payer with code
// (SignatureChecker in FiatTokenV2_2.transferWithAuthorization(..., bytes signature);
// https://github.com/circlefin/stablecoin-evm/blob/master/contracts/v2/FiatTokenV2_2.sol), so a
// contract that approves every signature can pay on Amoy exactly as it does here on TestUSDC.
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import { x402ExactPermit2ProxyAddress } from "@x402/evm";
import { getAddress, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "./support/accounts.js";
import { startTestChain, type TestChain } from "./support/chain.js";
import { createInProcessFacilitator, type InProcessFacilitator } from "./support/inProcess.js";
import { APPROVE_EVERYTHING, contractPayerPayment, requirementsV2, signPaymentV2 } from "./support/payments.js";
import { usdc } from "./support/token.js";

let chain: TestChain;
let strict: InProcessFacilitator; // defaults: contract payers refused
let permissive: InProcessFacilitator; // ALLOW_CONTRACT_PAYERS=true
let wallet: Address; // the attacker's contract payer, holding 100 USDC

beforeAll(async () => {
  chain = await startTestChain();
  strict = createInProcessFacilitator(chain.facilitatorEnv());
  permissive = createInProcessFacilitator(chain.facilitatorEnv({ ALLOW_CONTRACT_PAYERS: "true" }));
  wallet = getAddress(`0x${"c0de".repeat(10)}`);
  await chain.anvil.rpc("anvil_setCode", [wallet, APPROVE_EVERYTHING]);
  await chain.token.mint(wallet, usdc(100));
});

afterAll(async () => {
  await Promise.all([strict?.close(), permissive?.close()]);
  await chain?.stop();
});

const requirements = (): PaymentRequirements =>
  requirementsV2({ asset: chain.token.address, payTo: chain.seller.account.address, amount: usdc(10) });

/** The review's payload: `authorization` pays the attacker 1 unit, `permit2Authorization` names the seller and 10 USDC. */
function smuggledPermit2(presented: PaymentRequirements): PaymentPayload {
  const now = Math.floor(Date.now() / 1000);
  const toAttacker = contractPayerPayment(wallet, presented, { to: roles.stranger().account.address, value: "1" });
  const permit2Authorization = {
    from: wallet,
    permitted: { token: presented.asset, amount: presented.amount },
    spender: x402ExactPermit2ProxyAddress,
    nonce: "1",
    deadline: String(now + 300),
    witness: { to: presented.payTo, validAfter: String(now - 600) },
  };
  return { ...toAttacker, payload: { ...toAttacker.payload, permit2Authorization } };
}

describe("the payment that is checked is the payment that is settled", () => {
  it("a Permit2 part smuggled beside an EIP-3009 authorization is refused, and nothing moves", async () => {
    const presented = requirements();
    const payload = smuggledPermit2(presented);
    const before = await chain.token.balanceOf(chain.seller.account.address);
    const strangerBefore = await chain.token.balanceOf(roles.stranger().account.address);
    for (const service of [strict, permissive]) {
      const verify = await service.post("/verify", payload, presented);
      expect(verify.body).toMatchObject({ isValid: false, invalidReason: "unsupported_payload_type" });
      expect(String(verify.body.invalidMessage)).toContain("permit2Authorization");
      const settle = await service.post("/settle", payload, presented);
      expect(settle.body).toMatchObject({ success: false, errorReason: "unsupported_payload_type", transaction: "" });
    }
    expect(await chain.token.balanceOf(chain.seller.account.address)).toBe(before);
    expect(await chain.token.balanceOf(roles.stranger().account.address)).toBe(strangerBefore);
  });

  it("any field beside the six of an EIP-3009 authorization is refused by name", async () => {
    const presented = requirements();
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const authorization = {
      ...(payload.payload.authorization as Record<string, unknown>),
      spender: chain.seller.account.address,
    };
    const tampered = { ...payload, payload: { ...payload.payload, authorization } };
    const verify = await strict.post("/verify", tampered, presented);
    expect(verify.body).toMatchObject({ isValid: false, invalidReason: "unsupported_payload_type" });
    expect(String(verify.body.invalidMessage)).toContain("authorization.spender");
  });

  it("a contract payer is refused unless contract payers are allowed", async () => {
    const presented = requirements();
    const payload = contractPayerPayment(wallet, presented, {
      to: presented.payTo as Address,
      value: presented.amount,
    });
    const verify = await strict.post("/verify", payload, presented);
    expect(verify.body).toMatchObject({ isValid: false, invalidReason: "contract_payer_not_allowed", payer: wallet });
    expect(String(verify.body.invalidMessage)).toContain("ALLOW_CONTRACT_PAYERS");
    expect((await permissive.post("/verify", payload, presented)).body).toMatchObject({
      isValid: true,
      payer: wallet,
    });
  });

  it("with contract payers allowed, an authorization that pays someone else or less is refused on the library's path too", async () => {
    const presented = requirements();
    const stranger = roles.stranger().account.address;
    const toStranger = contractPayerPayment(wallet, presented, { to: stranger, value: presented.amount });
    expect((await permissive.post("/verify", toStranger, presented)).body).toMatchObject({
      isValid: false,
      invalidReason: "invalid_exact_evm_recipient_mismatch",
    });
    const tooLittle = contractPayerPayment(wallet, presented, { to: presented.payTo as Address, value: "1" });
    expect((await permissive.post("/settle", tooLittle, presented)).body).toMatchObject({
      success: false,
      errorReason: "invalid_exact_evm_payload_authorization_value_mismatch",
      transaction: "",
    });
  });

  it("a contract payer that is allowed and pays what is required settles, and the seller receives the amount", async () => {
    const presented = requirements();
    const before = await chain.token.balanceOf(chain.seller.account.address);
    const settle = await permissive.post(
      "/settle",
      contractPayerPayment(wallet, presented, { to: presented.payTo as Address, value: presented.amount }),
      presented,
    );
    expect(settle.body).toMatchObject({ success: true, payer: wallet });
    expect(await chain.token.balanceOf(chain.seller.account.address)).toBe(before + usdc(10));
  });
});

describe("an asset without code is never a success", () => {
  it("a facilitator configured with a USDC address that holds no code refuses every payment", async () => {
    const nowhere = getAddress(`0x${"ab".repeat(20)}`);
    const service = createInProcessFacilitator(
      chain.facilitatorEnv({ AMOY_USDC_ADDRESS: nowhere, ALLOW_CONTRACT_PAYERS: "true" }),
    );
    try {
      const presented = requirementsV2({ asset: nowhere, payTo: chain.seller.account.address, amount: usdc(1) });
      for (const payload of [
        await signPaymentV2(chain.buyer.account, presented),
        contractPayerPayment(wallet, presented, { to: presented.payTo as Address, value: presented.amount }),
      ]) {
        expect((await service.post("/verify", payload, presented)).body).toMatchObject({
          isValid: false,
          invalidReason: "asset_not_deployed_contract",
        });
        expect((await service.post("/settle", payload, presented)).body).toMatchObject({
          success: false,
          errorReason: "asset_not_deployed_contract",
        });
      }
    } finally {
      await service.close();
    }
  });
});
