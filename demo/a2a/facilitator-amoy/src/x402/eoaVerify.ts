// x402 layer: /verify for the common payment, an EIP-3009 authorization signed by a plain account
// (EOA) with a 65-byte signature. It makes @x402/evm's exact-scheme checks, in its order and with
// its reason codes, but recovers the signer with libsecp256k1 (see signature.ts): @x402/evm's
// pure-JS recovery was 60 % of the service's CPU per verification. Anything else (a smart wallet,
// an ERC-6492 wrapper, another signature length) is left to @x402/evm: verifyEoaPayment answers
// undefined. A failed simulation is answered as such, for the caller's Multicall3-free diagnosis.
// test/eoaVerify.test.ts holds both paths to the same verdicts.
import type { VerifyResponse } from "@x402/core/types";
import { authorizationTypes, eip3009ABI } from "@x402/evm";
import { getAddress, hashTypedData, type Hex } from "viem";
import type { VerifyProbe } from "../chain/probe.js";
import { AMOY_CHAIN_ID } from "../chain/clients.js";
import { requiredAmount, type Payment } from "./payment.js";
import * as reasons from "./reasons.js";
import { recoverSigner } from "./signature.js";
import { transferArgs } from "./transfer.js";

/** Seconds an authorization must still be valid for (as @x402/evm requires). */
const MIN_VALIDITY_SECONDS = 6;

export async function verifyEoaPayment(payment: Payment, probe: VerifyProbe): Promise<VerifyResponse | undefined> {
  const { request, authorization: a, signature } = payment;
  const payer = a.from;
  const invalid = (invalidReason: string, invalidMessage?: string): VerifyResponse => ({
    isValid: false,
    invalidReason,
    ...(invalidMessage ? { invalidMessage } : {}),
    payer,
  });

  // 65 bytes: r, s, v. (An ERC-6492 wrapper or a smart wallet's signature is longer.)
  if (signature.length !== 132) return undefined;
  const requirements = request.paymentRequirements;
  const accepted = request.x402Version === 2 ? request.paymentPayload.accepted : request.paymentPayload;
  // routePayment already required requirements.scheme "exact"; the payload must have accepted it too.
  if (accepted.scheme !== "exact") return invalid(reasons.INVALID_SCHEME);
  const name = requirements.extra?.name;
  const version = requirements.extra?.version;
  if (!name || !version) return invalid(reasons.MISSING_EIP712_DOMAIN);
  if (accepted.network !== requirements.network) return invalid(reasons.NETWORK_MISMATCH);

  const assetCode = probe.getCode({ address: payment.asset }); // cached; asked early, as @x402/evm does
  const payerCode = await probe.getCode({ address: payer });
  if (probe.rpcFailure) return invalid(reasons.SIMULATION_FAILED); // the caller answers "RPC unavailable" instead
  if (payerCode && payerCode !== "0x") return undefined; // a contract account (ERC-1271): @x402/evm's path

  let digest: Hex;
  try {
    digest = hashTypedData({
      domain: {
        name: String(name),
        version: String(version),
        chainId: AMOY_CHAIN_ID,
        verifyingContract: payment.asset,
      },
      types: authorizationTypes,
      primaryType: "TransferWithAuthorization",
      message: { ...a, value: BigInt(a.value), validAfter: BigInt(a.validAfter), validBefore: BigInt(a.validBefore) },
    });
  } catch {
    return invalid(reasons.INVALID_SIGNATURE);
  }
  if ((await recoverSigner(digest, signature)) !== payer) return invalid(reasons.INVALID_SIGNATURE);

  if (a.to !== getAddress(requirements.payTo)) return invalid(reasons.RECIPIENT_MISMATCH);
  const now = BigInt(Math.floor(Date.now() / 1000));
  if (BigInt(a.validBefore) < now + BigInt(MIN_VALIDITY_SECONDS)) return invalid(reasons.VALID_BEFORE_EXPIRED);
  if (BigInt(a.validAfter) > now) return invalid(reasons.VALID_AFTER_IN_FUTURE);
  const amount = requiredAmount(request);
  if (BigInt(a.value) !== BigInt(amount)) {
    return invalid(
      request.x402Version === 2 ? reasons.AUTHORIZATION_VALUE_MISMATCH : reasons.INVALID_AUTHORIZATION_VALUE,
    );
  }
  const code = await assetCode;
  if (!code || code === "0x") return invalid(reasons.ASSET_NOT_CONTRACT);

  // The token itself judges the rest (nonce unused, balance, its EIP-712 domain): simulate the transfer.
  try {
    await probe.readContract({
      address: payment.asset,
      abi: eip3009ABI,
      functionName: "transferWithAuthorization",
      args: transferArgs(payment),
    });
  } catch (error) {
    return invalid(reasons.SIMULATION_FAILED, error instanceof Error ? error.message : String(error));
  }
  return { isValid: true, payer };
}
