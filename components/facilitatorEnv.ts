// The facilitator's environment, the same on every target: which settings are secret (a Kubernetes
// Secret, or the docker target's uploaded env file) and which are plain env. Unset options are left
// out, so the service applies its own defaults.
import type * as pulumi from "@pulumi/pulumi";
import { FACILITATOR_PORT, SHUTDOWN_GRACE_MS } from "./config";

export interface FacilitatorEnvArgs {
  /** One signer; or signerKeys, a comma-separated pool. Exactly one of the two: the service refuses both. */
  privateKey?: pulumi.Input<string>;
  signerKeys?: pulumi.Input<string>;
  rpcUrl: pulumi.Input<string>;
  usdcAddress: string;
  realSettle: boolean;
  /** Comma-separated API keys for /verify and /settle; unset: open. */
  apiKeys?: pulumi.Input<string>;
  /** Wei; unset: the service's default (0.01 POL). */
  minSignerBalanceWei?: string;
}

/** Secret env, in a fixed order: the signer(s), the RPC URL, the API keys. */
export function secretEnv(args: FacilitatorEnvArgs): Record<string, pulumi.Input<string>> {
  return {
    ...(args.privateKey !== undefined ? { FACILITATOR_PRIVATE_KEY: args.privateKey } : {}),
    ...(args.signerKeys !== undefined ? { FACILITATOR_PRIVATE_KEYS: args.signerKeys } : {}),
    AMOY_RPC_URL: args.rpcUrl,
    ...(args.apiKeys !== undefined ? { FACILITATOR_API_KEYS: args.apiKeys } : {}),
  };
}

/** Plain env, in a fixed order (name, value). */
export function plainEnv(args: FacilitatorEnvArgs): [name: string, value: string][] {
  return [
    ["AMOY_USDC_ADDRESS", args.usdcAddress],
    ["REAL_SETTLE", String(args.realSettle)],
    ["PORT", String(FACILITATOR_PORT)],
    ["SHUTDOWN_GRACE_MS", String(SHUTDOWN_GRACE_MS)],
    ...(args.minSignerBalanceWei !== undefined ? [["MIN_SIGNER_BALANCE_WEI", args.minSignerBalanceWei] as [string, string]] : []),
  ];
}
