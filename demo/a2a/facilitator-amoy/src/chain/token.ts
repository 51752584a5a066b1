// Chain layer: the EIP-3009 token facts a verdict depends on, read with plain eth_calls
// (no Multicall3, which local and some test chains do not have). The transport batches them.
import { eip3009ABI } from "@x402/evm";
import type { Address, Hex } from "viem";
import type { AmoyClient } from "./clients.js";

export interface AuthorizationFacts {
  /** authorizationState(from, nonce): the chain's word on whether this authorization was used. */
  readonly used: boolean;
  readonly balance: bigint;
  readonly name: string;
  readonly version: string;
}

export async function readAuthorizationFacts(
  client: AmoyClient,
  token: Address,
  from: Address,
  nonce: Hex,
): Promise<AuthorizationFacts> {
  const [used, balance, name, version] = await Promise.all([
    client.readContract({ address: token, abi: eip3009ABI, functionName: "authorizationState", args: [from, nonce] }),
    client.readContract({ address: token, abi: eip3009ABI, functionName: "balanceOf", args: [from] }),
    client.readContract({ address: token, abi: eip3009ABI, functionName: "name" }),
    client.readContract({ address: token, abi: eip3009ABI, functionName: "version" }),
  ]);
  return { used, balance, name, version };
}
