// Test harness: payment requirements and payments signed the way real buyers sign them, with the
// official x402 client (@x402/core client + @x402/evm exact client scheme), v2 and v1.
import { x402Client } from "@x402/core/client";
import type {
  Network,
  PaymentPayload,
  PaymentPayloadV1,
  PaymentRequirements,
  PaymentRequirementsV1,
} from "@x402/core/types";
import { authorizationTypes } from "@x402/evm";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/client";
import { getAddress, toHex, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { AMOY_CHAIN_ID } from "./anvil.js";

export const NETWORK_V2: Network = "eip155:80002";
export const NETWORK_V1 = "polygon-amoy" as Network;
const RESOURCE_URL = "http://localhost/paid";

export interface RequirementsInput {
  readonly asset: Address;
  readonly payTo: Address;
  /** Atomic units (6 decimals). */
  readonly amount: bigint;
  readonly maxTimeoutSeconds?: number;
  readonly network?: string;
}

export function requirementsV2(input: RequirementsInput): PaymentRequirements {
  return {
    scheme: "exact",
    network: (input.network ?? NETWORK_V2) as Network,
    asset: input.asset,
    amount: input.amount.toString(),
    payTo: input.payTo,
    maxTimeoutSeconds: input.maxTimeoutSeconds ?? 300,
    extra: { name: "USDC", version: "2" },
  };
}

export function requirementsV1(input: RequirementsInput): PaymentRequirementsV1 {
  return {
    scheme: "exact",
    network: (input.network ?? NETWORK_V1) as Network,
    maxAmountRequired: input.amount.toString(),
    resource: RESOURCE_URL,
    description: "test resource",
    mimeType: "application/json",
    outputSchema: {},
    payTo: input.payTo,
    maxTimeoutSeconds: input.maxTimeoutSeconds ?? 300,
    asset: input.asset,
    extra: { name: "USDC", version: "2" },
  };
}

/** An x402 client for `buyer` that may pay in `asset` (the test token is not a default asset). */
export function buyerClient(buyer: PrivateKeyAccount, asset: Address): x402Client {
  return x402Client.fromConfig({
    schemes: [
      { network: NETWORK_V2, client: new ExactEvmScheme(buyer) },
      { network: NETWORK_V1, client: new ExactEvmSchemeV1(buyer), x402Version: 1 },
    ],
    spendControls: {
      allowedAssets: [
        { network: NETWORK_V2, asset },
        { network: NETWORK_V1, asset },
      ],
    },
  });
}

export async function signPaymentV2(
  buyer: PrivateKeyAccount,
  requirements: PaymentRequirements,
): Promise<PaymentPayload> {
  return buyerClient(buyer, getAddress(requirements.asset)).createPaymentPayload({
    x402Version: 2,
    resource: { url: RESOURCE_URL },
    accepts: [requirements],
  });
}

export async function signPaymentV1(
  buyer: PrivateKeyAccount,
  requirements: PaymentRequirementsV1,
): Promise<PaymentPayloadV1> {
  const payload = await buyerClient(buyer, getAddress(requirements.asset)).createPaymentPayload({
    x402Version: 1,
    accepts: [requirements],
  } as never);
  return payload as unknown as PaymentPayloadV1;
}

export interface CustomAuthorization {
  /** Who signs; defaults to `from`'s own key. A different key gives a wrong signature. */
  readonly signer: PrivateKeyAccount;
  readonly from?: Address;
  readonly validAfter?: bigint;
  readonly validBefore?: bigint;
  readonly value?: bigint;
  readonly nonce?: Hex;
}

/**
 * A v2 payment with a hand-made authorization (expired, not yet valid, signed by another key...),
 * signed over the same EIP-712 TransferWithAuthorization the official client uses.
 */
export async function signCustomPaymentV2(
  requirements: PaymentRequirements,
  custom: CustomAuthorization,
): Promise<PaymentPayload> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const authorization = {
    from: custom.from ?? custom.signer.address,
    to: getAddress(requirements.payTo),
    value: custom.value ?? BigInt(requirements.amount),
    validAfter: custom.validAfter ?? now - 600n,
    validBefore: custom.validBefore ?? now + 300n,
    nonce: custom.nonce ?? randomNonce(),
  };
  const signature = await custom.signer.signTypedData({
    domain: { name: "USDC", version: "2", chainId: AMOY_CHAIN_ID, verifyingContract: getAddress(requirements.asset) },
    types: authorizationTypes,
    primaryType: "TransferWithAuthorization",
    message: authorization,
  });
  return {
    x402Version: 2,
    resource: { url: RESOURCE_URL },
    accepted: requirements,
    payload: {
      authorization: {
        from: authorization.from,
        to: authorization.to,
        value: authorization.value.toString(),
        validAfter: authorization.validAfter.toString(),
        validBefore: authorization.validBefore.toString(),
        nonce: authorization.nonce,
      },
      signature,
    },
  };
}

export function randomNonce(): Hex {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** The body a resource server's facilitator client sends to /verify and /settle. */
export function facilitatorBody(
  payload: PaymentPayload | PaymentPayloadV1,
  requirements: PaymentRequirements | PaymentRequirementsV1,
) {
  return { x402Version: payload.x402Version, paymentPayload: payload, paymentRequirements: requirements };
}

/** Runtime code of a "smart wallet" whose isValidSignature approves anything: it returns the ERC-1271 magic value 0x1626ba7e to every call. */
export const APPROVE_EVERYTHING: Hex = "0x631626ba7e60e01b60005260206000f3";
/** Runtime code of a wallet that approves nothing: it returns a zero word to every call. */
export const APPROVE_NOTHING: Hex = "0x600060005260206000f3";

/**
 * A v2 EIP-3009 payment from a contract payer, with an arbitrary 65-byte signature (only the
 * wallet's own code judges it). `to` and `value` default to what the requirements ask.
 */
export function contractPayerPayment(
  from: Address,
  requirements: PaymentRequirements,
  authorization: { to?: Address; value?: string } = {},
): PaymentPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    x402Version: 2,
    resource: { url: RESOURCE_URL },
    accepted: requirements,
    payload: {
      signature: `0x${"11".repeat(64)}1b`,
      authorization: {
        from,
        to: authorization.to ?? getAddress(requirements.payTo),
        value: authorization.value ?? requirements.amount,
        validAfter: String(now - 600),
        validBefore: String(now + 300),
        nonce: randomNonce(),
      },
    },
  };
}
