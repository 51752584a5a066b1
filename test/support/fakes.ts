// Deterministic fake values for tests. Nothing here is a real credential.
import { createHash } from "node:crypto";

/** anvil dev key (account #0 of anvil's well-known test mnemonic); a fake facilitator signer. */
export const ANVIL_DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/** anvil dev keys #1 and #2 (same public test mnemonic); fake signers for a signer pool. */
export const ANVIL_DEV_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const ANVIL_DEV_KEY_2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
/** A two-key signer pool as `facilitator:signerKeys` takes it (comma-separated). */
export const ANVIL_DEV_KEY_POOL = `${ANVIL_DEV_KEY_1},${ANVIL_DEV_KEY_2}`;
/** A fake RPC URL with a fake token in it, to prove the token never leaks into plain inputs. */
export const FAKE_RPC_URL = "https://rpc-amoy.example.invalid/v2/fake-rpc-token-0123456789";

/** A stable `sha256:…` digest derived from a seed. */
export function fakeDigest(seed: string): string {
  return `sha256:${createHash("sha256").update(seed).digest("hex")}`;
}
