// Chain layer: viem clients for Polygon Amoy, and the chain-id guard run at start-up.
import { createPublicClient, http, type PublicClient, type Transport } from "viem";
import { polygonAmoy } from "viem/chains";
import { describeRpcFailure } from "./rpcErrors.js";

/** Polygon Amoy, the only chain this facilitator settles on. */
export const AMOY_CHAIN_ID = polygonAmoy.id;

export type AmoyClient = PublicClient<Transport, typeof polygonAmoy>;

export interface ClientOptions {
  readonly rpcUrl: string;
  readonly rpcTimeoutMs: number;
}

export function createAmoyClient({ rpcUrl, rpcTimeoutMs }: ClientOptions): AmoyClient {
  return createPublicClient({
    chain: polygonAmoy,
    // batch: reads issued within the same millisecond (concurrent verifications, receipt polls)
    // travel in one HTTP request: fewer round trips and far less HTTP overhead under load.
    // retryCount 1: a lost packet is retried once; a dead RPC fails fast instead of stalling callers.
    transport: http(rpcUrl, {
      batch: { wait: 1, batchSize: 200 },
      timeout: rpcTimeoutMs,
      retryCount: 1,
      retryDelay: 100,
    }),
    // Amoy makes a block about every 2 s; poll receipts often enough to answer promptly.
    pollingInterval: 500,
  });
}

/** `unreachable`: the RPC did not answer (may be temporary); otherwise it answered with the wrong chain. */
export type ChainCheck = { ok: true } | { ok: false; unreachable: boolean; problem: string };

/** Refuses an RPC endpoint that is unreachable or serves another chain than Amoy. */
export async function checkChainId(client: AmoyClient, rpcLabel: string): Promise<ChainCheck> {
  try {
    const chainId = await client.getChainId();
    if (chainId !== AMOY_CHAIN_ID) {
      return {
        ok: false,
        unreachable: false,
        problem: `AMOY_RPC_URL (${rpcLabel}) serves chain id ${chainId}, expected ${AMOY_CHAIN_ID} (Polygon Amoy): point it at an Amoy endpoint`,
      };
    }
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      unreachable: true,
      problem: `AMOY_RPC_URL (${rpcLabel}) did not answer eth_chainId: ${describeRpcFailure(error)}; check the URL and that the endpoint is reachable`,
    };
  }
}
