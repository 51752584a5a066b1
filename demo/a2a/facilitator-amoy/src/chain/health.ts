// Chain layer: are the dependencies every replica shares healthy? The RPC answers, it is Polygon
// Amoy, and (when settling for real) every signer can pay gas. Reported on GET /status and as a
// metric for alerts, never as readiness: every replica shares them, so a red readiness would take
// all pods out of the Service at once. Cached for a few seconds and shared by concurrent callers,
// so scrapes never turn into a request storm against the RPC.
import type { Address } from "viem";
import { AMOY_CHAIN_ID, type AmoyClient } from "./clients.js";
import { describeRpcFailure } from "./rpcErrors.js";

export interface SignerBalance {
  readonly signer: Address;
  readonly wei: bigint;
}

export interface HealthReport {
  readonly healthy: boolean;
  /** One line per unhealthy dependency, naming the fix. */
  readonly problems: string[];
  /** Empty when the RPC did not answer. */
  readonly balances: SignerBalance[];
}

export interface HealthOptions {
  readonly signers: readonly Address[];
  /** Minimum native balance per signer; undefined: balances are reported, not required (REAL_SETTLE=false). */
  readonly minBalanceWei: bigint | undefined;
  /** How long one report is reused. */
  readonly ttlMs: number;
  /** Bound on one check, so a hanging RPC is reported promptly instead of hanging the caller. */
  readonly timeoutMs: number;
}

export class ChainHealth {
  private cached: { at: number; report: Promise<HealthReport> } | undefined;

  constructor(
    private readonly client: AmoyClient,
    private readonly options: HealthOptions,
  ) {}

  check(): Promise<HealthReport> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.options.ttlMs) {
      this.cached = { at: now, report: this.probe() };
    }
    return this.cached.report;
  }

  private async probe(): Promise<HealthReport> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
    });
    try {
      const [chainId, balances] = await Promise.race([
        Promise.all([
          this.client.getChainId(),
          Promise.all(
            this.options.signers.map(async (signer) => ({
              signer,
              wei: await this.client.getBalance({ address: signer }),
            })),
          ),
        ]),
        timeout,
      ]);
      const problems: string[] = [];
      if (chainId !== AMOY_CHAIN_ID)
        problems.push(
          `the RPC serves chain id ${chainId}, expected ${AMOY_CHAIN_ID} (Polygon Amoy): point AMOY_RPC_URL at an Amoy endpoint`,
        );
      const min = this.options.minBalanceWei;
      if (min !== undefined) {
        for (const { signer, wei } of balances) {
          if (wei < min)
            problems.push(
              `signer ${signer} holds ${wei} wei, below MIN_SIGNER_BALANCE_WEI ${min}: fund it with POL for gas`,
            );
        }
      }
      return { healthy: problems.length === 0, problems, balances };
    } catch (error) {
      return {
        healthy: false,
        problems: [`the Polygon Amoy RPC is unavailable (${describeRpcFailure(error)})`],
        balances: [],
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
