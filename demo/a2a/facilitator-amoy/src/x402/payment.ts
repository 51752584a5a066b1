// x402 layer: decides whether a request is for the one payment kind this facilitator handles
// (scheme "exact", Polygon Amoy, the configured USDC, an EIP-3009 authorization) and extracts it.
import type { PaymentPayload, PaymentPayloadV1, PaymentRequirements, PaymentRequirementsV1 } from "@x402/core/types";
import { getAddress, isAddress, isAddressEqual, type Address, type Hex } from "viem";
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
  const reject = (reason: string, message: string): Routed => ({
    ok: false,
    reason,
    message,
    ...(payer ? { payer } : {}),
  });

  if (paymentRequirements.scheme !== "exact") {
    return reject(
      reasons.UNSUPPORTED_SCHEME,
      `scheme "${paymentRequirements.scheme}" is not supported; this facilitator settles "exact"`,
    );
  }
  const network = x402Version === 2 ? NETWORK_V2 : NETWORK_V1;
  if (paymentRequirements.network !== network) {
    return reject(
      reasons.UNSUPPORTED_NETWORK,
      `network "${paymentRequirements.network}" is not supported; x402 v${x402Version} payments here use "${network}" (Polygon Amoy)`,
    );
  }
  if (!isAddress(paymentRequirements.asset, { strict: false }) || getAddress(paymentRequirements.asset) !== usdc) {
    return reject(
      reasons.UNSUPPORTED_ASSET,
      `asset ${paymentRequirements.asset} is not supported; this facilitator settles USDC at ${usdc}`,
    );
  }
  const eip3009 = eip3009Of(paymentPayload.payload);
  if (!eip3009.ok) {
    return reject(
      reasons.UNSUPPORTED_PAYLOAD_TYPE,
      `${eip3009.problem}; this facilitator settles only an EIP-3009 authorization, {authorization: {${AUTHORIZATION_FIELDS.join(", ")}}, signature}`,
    );
  }
  return { ok: true, payment: { request, network, asset: usdc, ...eip3009.value } };
}

/** The amount the requirements demand, in atomic units (v2 `amount`, v1 `maxAmountRequired`). */
export function requiredAmount(request: FacilitatorRequest): string {
  return request.x402Version === 2 ? request.paymentRequirements.amount : request.paymentRequirements.maxAmountRequired;
}

/**
 * The authorization against what the requirements demand: the seller and the amount (the asset is
 * pinned by routePayment). Checked by our code after any verdict, ours or @x402/evm's, so that no
 * path can call a payment valid whose transfer pays someone else or less. Returns the reason code.
 */
export function termsMismatch(payment: Payment): string | undefined {
  const { authorization: a, request } = payment;
  if (!isAddressEqual(a.to, getAddress(request.paymentRequirements.payTo))) return reasons.RECIPIENT_MISMATCH;
  if (BigInt(a.value) !== BigInt(requiredAmount(request))) {
    return request.x402Version === 2 ? reasons.AUTHORIZATION_VALUE_MISMATCH : reasons.INVALID_AUTHORIZATION_VALUE;
  }
  return undefined;
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
  return JSON.stringify([
    payment.request.x402Version,
    payment.signature.toLowerCase(),
    r.payTo.toLowerCase(),
    requiredAmount(payment.request),
    r.extra?.name,
    r.extra?.version,
  ]);
}

const PAYLOAD_FIELDS = ["authorization", "signature"] as const;
const AUTHORIZATION_FIELDS = ["from", "to", "value", "validAfter", "validBefore", "nonce"] as const;

/**
 * Exactly the shape we settle, and nothing beside it: a payload that also carries another part
 * (a Permit2 authorization, say) could be verified by one reading and settled by another.
 */
function eip3009Of(
  payload: Record<string, unknown>,
): { ok: true; value: { authorization: Authorization; signature: Hex } } | { ok: false; problem: string } {
  const extra = unexpectedFields(payload, PAYLOAD_FIELDS, "payload");
  const { authorization, signature } = payload;
  if (typeof signature !== "string" || typeof authorization !== "object" || authorization === null) {
    return {
      ok: false,
      problem:
        "payload has no EIP-3009 authorization and signature" +
        (extra.length ? ` (it carries ${extra.join(", ")})` : ""),
    };
  }
  const a = authorization as Record<string, unknown>;
  const unexpected = [...extra, ...unexpectedFields(a, AUTHORIZATION_FIELDS, "authorization")];
  if (unexpected.length > 0)
    return { ok: false, problem: `payload carries fields this facilitator does not settle: ${unexpected.join(", ")}` };
  if (!AUTHORIZATION_FIELDS.every((f) => typeof a[f] === "string"))
    return { ok: false, problem: "authorization fields must be strings" };
  if (!isAddress(a.from as string, { strict: false }) || !isAddress(a.to as string, { strict: false })) {
    return { ok: false, problem: "authorization.from and authorization.to must be addresses" };
  }
  return {
    ok: true,
    value: {
      authorization: {
        from: getAddress(a.from as string),
        to: getAddress(a.to as string),
        value: a.value as string,
        validAfter: a.validAfter as string,
        validBefore: a.validBefore as string,
        nonce: a.nonce as Hex,
      },
      signature: signature as Hex,
    },
  };
}

function unexpectedFields(value: Record<string, unknown>, allowed: readonly string[], path: string): string[] {
  return Object.keys(value)
    .filter((key) => !allowed.includes(key))
    .map((key) => `${path}.${key}`);
}

function payerOf(payload: Record<string, unknown>): string | undefined {
  const authorization = payload.authorization;
  if (typeof authorization !== "object" || authorization === null) return undefined;
  const from = (authorization as Record<string, unknown>).from;
  return typeof from === "string" ? from : undefined;
}
