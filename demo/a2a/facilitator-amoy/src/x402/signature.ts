// x402 layer: who signed a 65-byte ECDSA signature over a digest.
// Recovery is the most expensive step of /verify. libsecp256k1 (the native `secp256k1` binding,
// shipped prebuilt; the bundle carries it in dist/prebuilds) recovers a key in about 0.07 ms;
// viem's pure-JS @noble/curves, which @x402/evm uses, takes about 1.6 ms. Where the binding has
// no prebuilt file for the platform, viem's recovery is used and start-up says so.
import type secp256k1 from "secp256k1";
import { hexToBytes, recoverAddress, type Address, type Hex } from "viem";
import { publicKeyToAddress } from "viem/accounts";

/** Which implementation recovers signers in this process, and why, for the start-up log. */
export type RecoveryBackend = { native: true } | { native: false; reason: string };

let native: typeof secp256k1 | undefined;
let backend: RecoveryBackend;
try {
  // The binding itself, not the package's index: that would fall back to a pure-JS curve silently.
  native = (await import("secp256k1/bindings.js")).default;
  backend = { native: true };
} catch (error) {
  backend = { native: false, reason: error instanceof Error ? error.message.split("\n")[0]! : String(error) };
}

export const recoveryBackend: RecoveryBackend = backend;

/**
 * The address whose key made `signature` (r ‖ s ‖ v, v in 0, 1, 27 or 28) over `digest`, or
 * undefined when the signature cannot be recovered (bad length, v, r or s).
 */
export async function recoverSigner(digest: Hex, signature: Hex): Promise<Address | undefined> {
  if (signature.length !== 132) return undefined;
  if (!native) return recoverAddress({ hash: digest, signature }).catch(() => undefined);
  try {
    const bytes = hexToBytes(signature);
    const v = bytes[64]!;
    const recoveryId = v >= 27 ? v - 27 : v;
    if (recoveryId !== 0 && recoveryId !== 1) return undefined;
    const publicKey = native.ecdsaRecover(bytes.subarray(0, 64), recoveryId, hexToBytes(digest), false);
    return publicKeyToAddress(`0x${Buffer.from(publicKey).toString("hex")}`);
  } catch {
    return undefined; // not hex, r or s out of range, or no point for r
  }
}
