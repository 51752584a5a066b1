// Routing and the terms a payment is held to, without a chain: routePayment, termsMismatch,
// settlementTerms, and what each /settle answer counts as (classifySettlement).
import type { PaymentRequirements } from "@x402/core/types";
import { describe, expect, it } from "vitest";
import { classifySettlement } from "../../src/x402/settlementOutcome.js";
import {
  routePayment,
  settlementTerms,
  termsMismatch,
  type FacilitatorRequest,
  type Payment,
} from "../../src/x402/payment.js";

const USDC = "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582" as const;
const SELLER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const BUYER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const NONCE = `0x${"11".repeat(32)}`;

const requirements: PaymentRequirements = {
  scheme: "exact",
  network: "eip155:80002",
  asset: USDC,
  amount: "1000",
  payTo: SELLER,
  maxTimeoutSeconds: 60,
  extra: { name: "USDC", version: "2" },
};
const authorization = {
  from: BUYER,
  to: SELLER,
  value: "1000",
  validAfter: "0",
  validBefore: "99999999999",
  nonce: NONCE,
};

function request(payload: Record<string, unknown>, presented: PaymentRequirements = requirements): FacilitatorRequest {
  return {
    x402Version: 2,
    paymentRequirements: presented,
    paymentPayload: { x402Version: 2, accepted: presented, payload, resource: { url: "http://x/" } },
  } as FacilitatorRequest;
}

function routed(payload: Record<string, unknown>, presented?: PaymentRequirements): Payment {
  const result = routePayment(request(payload, presented), USDC);
  if (!result.ok) throw new Error(result.message);
  return result.payment;
}

describe("routePayment", () => {
  it("accepts exactly {authorization, signature} and checksums the addresses", () => {
    const payment = routed({ authorization: { ...authorization, from: BUYER.toLowerCase() }, signature: "0x12" });
    expect(payment.authorization.from).toBe(BUYER);
    expect(payment.asset).toBe(USDC);
  });

  it.each([
    [{ authorization, signature: "0x12", permit2Authorization: {} }, "payload.permit2Authorization"],
    [{ authorization: { ...authorization, spender: SELLER }, signature: "0x12" }, "authorization.spender"],
    [{ permit2Authorization: {}, signature: "0x12" }, "payload.permit2Authorization"],
  ])("refuses any other shape, naming the field (%#)", (payload, named) => {
    const result = routePayment(request(payload), USDC);
    expect(result).toMatchObject({ ok: false, reason: "unsupported_payload_type" });
    expect(result.ok ? "" : result.message).toContain(named);
  });

  it("refuses another scheme, network or asset before looking at the payload", () => {
    expect(routePayment(request({}, { ...requirements, scheme: "upto" }), USDC)).toMatchObject({
      reason: "unsupported_scheme",
    });
    expect(routePayment(request({}, { ...requirements, network: "eip155:137" }), USDC)).toMatchObject({
      reason: "unsupported_network",
    });
    expect(routePayment(request({}, { ...requirements, asset: SELLER }), USDC)).toMatchObject({
      reason: "unsupported_asset",
    });
  });
});

describe("termsMismatch", () => {
  it("holds the authorization to the requirements' payTo and amount", () => {
    expect(termsMismatch(routed({ authorization, signature: "0x12" }))).toBeUndefined();
    expect(termsMismatch(routed({ authorization: { ...authorization, to: BUYER }, signature: "0x12" }))).toBe(
      "invalid_exact_evm_recipient_mismatch",
    );
    expect(termsMismatch(routed({ authorization: { ...authorization, value: "1" }, signature: "0x12" }))).toBe(
      "invalid_exact_evm_payload_authorization_value_mismatch",
    );
  });
});

describe("settlementTerms", () => {
  it("differs when the requirements ask for something else, so such requests never share a settlement", () => {
    const a = routed({ authorization, signature: "0x12" });
    const b = routed({ authorization, signature: "0x12" }, { ...requirements, amount: "2000" });
    expect(settlementTerms(a)).toBe(settlementTerms(routed({ authorization, signature: "0x12" })));
    expect(settlementTerms(a)).not.toBe(settlementTerms(b));
  });
});

describe("classifySettlement", () => {
  const answer = (errorReason?: string, success = false) => ({
    ok: true as const,
    value: { success, transaction: "", network: "eip155:80002" as const, ...(errorReason ? { errorReason } : {}) },
  });
  it.each([
    [answer(undefined, true), "success"],
    [answer("settlement_pending"), "pending"],
    [answer("invalid_exact_evm_nonce_already_used"), "duplicate"],
    [answer("authorization_settled_elsewhere"), "duplicate"],
    [answer("invalid_exact_evm_transaction_failed"), "failure"],
    [answer("contract_payer_not_allowed"), "invalid"],
    [answer("amount_below_minimum"), "invalid"],
    [{ ok: false as const, error: { kind: "rpc_unavailable" as const, message: "down" } }, "failure"],
  ])("answer %# counts as %s", (outcome, expected) => {
    expect(classifySettlement(outcome).outcome).toBe(expected);
  });
});
