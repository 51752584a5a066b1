// x402 layer: the token call that moves an EIP-3009 payment, transferWithAuthorization, in the
// overload its signature calls for: (v, r, s) for a 65-byte ECDSA signature (v always 27/28, which
// every EIP-3009 token accepts), bytes for a smart wallet's (ERC-1271). Used to simulate and to send.
import { eip3009ABI } from "@x402/evm";
import { encodeFunctionData, parseErc6492Signature, parseSignature, size, type Hex } from "viem";
import type { Payment } from "./payment.js";

export function transferArgs(payment: Payment) {
  const a = payment.authorization;
  const base = [a.from, a.to, BigInt(a.value), BigInt(a.validAfter), BigInt(a.validBefore), a.nonce] as const;
  const { signature } = parseErc6492Signature(payment.signature);
  if (size(signature) !== 65) return [...base, signature] as const;
  const { r, s, v, yParity } = parseSignature(signature);
  return [...base, Number(v ?? BigInt(yParity + 27)), r, s] as const;
}

/** Calldata for the payment's transferWithAuthorization. */
export function encodeTransfer(payment: Payment): Hex {
  return encodeFunctionData({
    abi: eip3009ABI,
    functionName: "transferWithAuthorization",
    args: transferArgs(payment),
  });
}
