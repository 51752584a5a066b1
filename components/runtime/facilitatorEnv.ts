// The facilitator's environment, the same on every target: which settings are secret (a Kubernetes
// Secret, or the docker target's uploaded env file) and which are plain env. Unset options are left
// out, so the service applies its own defaults.
import type * as pulumi from "@pulumi/pulumi";
import { FACILITATOR_PORT, SERVICE_ENV as ENV, SHUTDOWN_GRACE_MS } from "../service";

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
    ...(args.privateKey !== undefined ? { [ENV.privateKey]: args.privateKey } : {}),
    ...(args.signerKeys !== undefined ? { [ENV.privateKeys]: args.signerKeys } : {}),
    [ENV.rpcUrl]: args.rpcUrl,
    ...(args.apiKeys !== undefined ? { [ENV.apiKeys]: args.apiKeys } : {}),
  };
}

/** Plain env, in a fixed order (name, value). */
export function plainEnv(args: FacilitatorEnvArgs): [name: string, value: string][] {
  return [
    [ENV.usdcAddress, args.usdcAddress],
    [ENV.realSettle, String(args.realSettle)],
    [ENV.port, String(FACILITATOR_PORT)],
    [ENV.shutdownGraceMs, String(SHUTDOWN_GRACE_MS)],
    ...(args.minSignerBalanceWei !== undefined
      ? [[ENV.minSignerBalanceWei, args.minSignerBalanceWei] as [string, string]]
      : []),
  ];
}
