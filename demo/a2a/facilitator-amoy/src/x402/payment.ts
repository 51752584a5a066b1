// x402 layer: decides whether a request is for the one payment kind this facilitator handles
// (scheme "exact", Polygon Amoy, the configured USDC, an EIP-3009 authorization) and extracts it.
import type { PaymentPayload, PaymentPayloadV1, PaymentRequirements, PaymentRequirementsV1 } from "@x402/core/types";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import * as reasons from "./reasons.js";

export const NETWORK_V2 = "eip155:80002";
export const NETWORK_V1 = "polygon-amoy";

/** A verify/settle request body, shape-checked by the HTTP layer (field formats, matching versions). */
export type FacilitatorRequest =
  | { x402Version: 2; paymentPayload: PaymentPayload; paymentRequirements: PaymentRequirements }
  | { x402Version: 1; paymentPayload: PaymentPayloadV1; paymentRequirements: PaymentRequirementsV1 };

export interface Authorization {
  readonly from: Address;
  readonly to: Address;
  readonly value: string;
  readonly validAfter: string;
  readonly validBefore: string;
  readonly nonce: Hex;
}

/** A request this facilitator can judge, with its EIP-3009 authorization pulled out. */
export interface Payment {
  readonly request: FacilitatorRequest;
  readonly network: string;
  readonly asset: Address;
  readonly authorization: Authorization;
  readonly signature: Hex;
}

export type Routed = { ok: true; payment: Payment } | { ok: false; reason: string; message: string; payer?: string };

export function routePayment(request: FacilitatorRequest, usdc: Address): Routed {
  const { x402Version, paymentPayload, paymentRequirements } = request;
  const payer = payerOf(paymentPayload.payload);
  const reject = (reason: string, message: string): Routed => ({ ok: false, reason, message, ...(payer ? { payer } : {}) });

  if (paymentRequirements.scheme !== "exact") {
    return reject(reasons.UNSUPPORTED_SCHEME, `scheme "${paymentRequirements.scheme}" is not supported; this facilitator settles "exact"`);
  }
  const network = x402Version === 2 ? NETWORK_V2 : NETWORK_V1;
  if (paymentRequirements.network !== network) {
    return reject(reasons.UNSUPPORTED_NETWORK, `network "${paymentRequirements.network}" is not supported; x402 v${x402Version} payments here use "${network}" (Polygon Amoy)`);
  }
  if (!isAddress(paymentRequirements.asset, { strict: false }) || getAddress(paymentRequirements.asset) !== usdc) {
    return reject(reasons.UNSUPPORTED_ASSET, `asset ${paymentRequirements.asset} is not supported; this facilitator settles USDC at ${usdc}`);
  }
  const eip3009 = eip3009Of(paymentPayload.payload);
  if (!eip3009) {
    return reject(reasons.UNSUPPORTED_PAYLOAD_TYPE, "payload is not an EIP-3009 authorization ({authorization, signature}); Permit2 and other payload types are not supported");
  }
  return { ok: true, payment: { request, network, asset: usdc, ...eip3009 } };
}

/** Identifies one authorization on chain: the token's authorizationState is keyed by (from, nonce). */
export function authorizationKey(payment: Payment): string {
  return `${payment.asset}:${payment.authorization.from}:${payment.authorization.nonce}`.toLowerCase();
}

/**
 * The terms a settlement result is valid for: the signature and what the requirements demand of it.
 * Two requests with the same authorization and the same terms may share one settlement.
 */
export function settlementTerms(payment: Payment): string {
  const r = payment.request.paymentRequirements;
  const amount = payment.request.x402Version === 2 ? payment.request.paymentRequirements.amount : payment.request.paymentRequirements.maxAmountRequired;
  return JSON.stringify([payment.request.x402Version, payment.signature.toLowerCase(), r.payTo.toLowerCase(), amount, r.extra?.name, r.extra?.version]);
}

function eip3009Of(payload: Record<string, unknown>): { authorization: Authorization; signature: Hex } | undefined {
  const { authorization, signature } = payload;
  if (typeof signature !== "string" || typeof authorization !== "object" || authorization === null) return undefined;
  const a = authorization as Record<string, unknown>;
  const fields = ["from", "to", "value", "validAfter", "validBefore", "nonce"] as const;
  if (!fields.every((f) => typeof a[f] === "string")) return undefined;
  if (!isAddress(a.from as string, { strict: false }) || !isAddress(a.to as string, { strict: false })) return undefined;
  return {
    authorization: {
      from: getAddress(a.from as string),
      to: getAddress(a.to as string),
      value: a.value as string,
      validAfter: a.validAfter as string,
      validBefore: a.validBefore as string,
      nonce: a.nonce as Hex,
    },
    signature: signature as Hex,
  };
}

function payerOf(payload: Record<string, unknown>): string | undefined {
  const authorization = payload.authorization;
  if (typeof authorization !== "object" || authorization === null) return undefined;
  const from = (authorization as Record<string, unknown>).from;
  return typeof from === "string" ? from : undefined;
}
