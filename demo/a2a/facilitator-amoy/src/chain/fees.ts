// Chain layer: EIP-1559 fees for settlements, with the chain's priority-fee floor applied.
//
// Polygon PoS nodes (bor; Amoy included) refuse a transaction whose maxPriorityFeePerGas is below
// 25 gwei at pool admission (PIP-35, https://github.com/0xPolygon/Polygon-Improvement-Proposals/blob/main/PIPs/PIP-35.md):
// "transaction gas price below minimum: gas tip cap X, minimum needed 25000000000". Fee estimates
// (eth_maxPriorityFeePerGas) can come back lower, and anvil accepts anything, so the floor is ours
// to apply; a refusal that names a higher minimum raises it for every later send.
import type { AmoyClient } from "./clients.js";

export type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

// Fees change once per block (Amoy: ~2 s); one lookup per second serves every concurrent settlement.
const FEES_TTL_MS = 1_000;
const TIP_BELOW_MINIMUM = /gas tip cap \d+, minimum needed (\d+)/i;

/** The minimum tip a node's refusal names (bor's wording), if that is what it says. */
export function minimumTipDemanded(nodeMessage: string): bigint | undefined {
  const match = TIP_BELOW_MINIMUM.exec(nodeMessage);
  return match ? BigInt(match[1]!) : undefined;
}

/** The estimate with the tip raised to `floor`; maxFeePerGas keeps the estimate's base-fee headroom on top. */
export function withTipFloor(estimate: Fees, floor: bigint): Fees {
  if (estimate.maxPriorityFeePerGas >= floor) return estimate;
  const baseFeeHeadroom = estimate.maxFeePerGas - estimate.maxPriorityFeePerGas;
  return { maxPriorityFeePerGas: floor, maxFeePerGas: baseFeeHeadroom + floor };
}

/** EIP-1559 fees, looked up at most once per FEES_TTL_MS (a failed lookup is not cached), never below the floor. */
export class FeeCache {
  private cached: { at: number; fees: Promise<Fees> } | undefined;

  constructor(
    private readonly client: AmoyClient,
    private floorWei: bigint,
  ) {}

  get(): Promise<Fees> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > FEES_TTL_MS) {
      const fees = this.client.estimateFeesPerGas().then((estimate) => withTipFloor(estimate, this.floorWei));
      const entry = { at: now, fees };
      this.cached = entry;
      fees.catch(() => {
        if (this.cached === entry) this.cached = undefined;
      });
    }
    return this.cached.fees;
  }

  /** A node demanded a higher tip: every later send uses it; returns `fees` raised to it. */
  raiseFloor(demandedWei: bigint, fees: Fees): Fees {
    if (demandedWei > this.floorWei) this.floorWei = demandedWei;
    this.cached = undefined;
    return withTipFloor(fees, demandedWei);
  }
}
