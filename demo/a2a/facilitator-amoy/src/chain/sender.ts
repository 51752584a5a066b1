// Chain layer: sends transactions from the facilitator's key with its own nonce bookkeeping.
//
// Why our own and not viem's nonceManager: a settlement must never leave a nonce gap or reuse a
// nonce, including when a send fails, when another replica shares the key, or when the RPC drops
// the connection mid-send. Everything slow or fallible that does not need a nonce (gas estimation,
// fee lookup) runs concurrently outside the lock; only "take nonce, sign, broadcast" is serialized,
// which costs one eth_sendRawTransaction round trip per transaction.
import { BaseError, InsufficientFundsError, keccak256, type Address, type Hex, type PrivateKeyAccount } from "viem";
import type { AmoyClient } from "./clients.js";
import { minimumTipDemanded, type FeeCache, type Fees } from "./fees.js";
import { describeRpcFailure, isRpcUnavailable } from "./rpcErrors.js";

/** Identifies a broadcast transaction: its hash, and the signer nonce it occupies. */
export interface Broadcast {
  readonly hash: Hex;
  readonly from: Address;
  readonly nonce: number;
}

export type SendResult =
  /** The node accepted the transaction. */
  | ({ kind: "sent" } & Broadcast)
  /** The connection failed after signing: the transaction may or may not be in the pool. */
  | ({ kind: "maybe-sent"; message: string } & Broadcast)
  /** Gas estimation shows the call reverts; nothing was sent. */
  | { kind: "reverts"; message: string }
  /** The call needs more gas than the caller's cap allows; nothing was sent. */
  | { kind: "over-gas-limit"; gas: bigint }
  /** The signer cannot pay for gas; nothing was sent. */
  | { kind: "signer-unfunded"; message: string }
  /** The node refused the transaction for another reason; nothing was sent. */
  | { kind: "rejected"; message: string }
  /** The RPC did not answer while preparing; nothing was sent. */
  | { kind: "rpc-unavailable"; message: string };

const GAS_HEADROOM_PERCENT = 120n;
// Replicas sharing a key race for each nonce; under load one replica can lose several rounds in a row.
const MAX_NONCE_ATTEMPTS = 40;
// Another sender (a replica sharing the key) took our nonce, or our view is stale.
const NONCE_CONFLICT =
  /nonce too low|nonce has already been used|replacement transaction underpriced|replacement fee too low|invalid nonce|nonce too high/i;
// The node already has exactly these bytes: our earlier attempt arrived.
const ALREADY_KNOWN = /already known|known transaction|already imported/i;

export class TransactionSender {
  private nextNonce: number | undefined;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: AmoyClient,
    private readonly account: PrivateKeyAccount,
    private readonly fees: FeeCache,
  ) {}

  get address(): Address {
    return this.account.address;
  }

  /** `gasLimit`: refuse (send nothing) when the call needs more, and never let it burn more. */
  async send(to: Address, data: Hex, options: { gasLimit?: bigint } = {}): Promise<SendResult> {
    let gas: bigint;
    let fees: Fees;
    try {
      [gas, fees] = await Promise.all([
        this.client.estimateGas({ account: this.account.address, to, data }),
        this.fees.get(),
      ]);
    } catch (error) {
      if (isRpcUnavailable(error)) return { kind: "rpc-unavailable", message: describeRpcFailure(error) };
      if (isInsufficientFunds(error)) return { kind: "signer-unfunded", message: publicMessage(error) };
      return { kind: "reverts", message: publicMessage(error) };
    }
    if (options.gasLimit !== undefined && gas > options.gasLimit) return { kind: "over-gas-limit", gas };
    const withHeadroom = (gas * GAS_HEADROOM_PERCENT) / 100n;
    const limit = options.gasLimit !== undefined && withHeadroom > options.gasLimit ? options.gasLimit : withHeadroom;
    return this.serialized(() => this.broadcast({ to, data, gas: limit }, fees));
  }

  private async broadcast(call: { to: Address; data: Hex; gas: bigint }, initialFees: Fees): Promise<SendResult> {
    let lastConflict = "";
    let fees = initialFees;
    for (let attempt = 0; attempt < MAX_NONCE_ATTEMPTS; attempt++) {
      const request = { ...call, ...fees };
      let nonce: number;
      try {
        nonce =
          this.nextNonce ??
          (await this.client.getTransactionCount({ address: this.account.address, blockTag: "pending" }));
      } catch (error) {
        return { kind: "rpc-unavailable", message: describeRpcFailure(error) };
      }
      const signed = await this.account.signTransaction({
        ...request,
        nonce,
        chainId: this.client.chain.id,
        type: "eip1559",
      });
      const hash = keccak256(signed);
      try {
        await this.client.request({ method: "eth_sendRawTransaction", params: [signed] });
        this.nextNonce = nonce + 1;
        return { kind: "sent", hash, from: this.address, nonce };
      } catch (error) {
        const message = nodeText(error);
        if (ALREADY_KNOWN.test(message)) {
          this.nextNonce = nonce + 1;
          return { kind: "sent", hash, from: this.address, nonce };
        }
        if (isRpcUnavailable(error)) {
          this.nextNonce = undefined; // unknown whether the nonce was used: ask the chain next time
          return { kind: "maybe-sent", hash, from: this.address, nonce, message: describeRpcFailure(error) };
        }
        const demanded = minimumTipDemanded(message);
        if (demanded !== undefined && demanded > fees.maxPriorityFeePerGas) {
          // The node's tip floor is above ours (Polygon PoS: PIP-35): learn it, re-sign the same nonce with it.
          this.nextNonce = nonce;
          fees = this.fees.raiseFloor(demanded, fees);
          continue;
        }
        if (NONCE_CONFLICT.test(message)) {
          this.nextNonce = undefined;
          lastConflict = publicMessage(error);
          // Desynchronize from the replica that just won this nonce, then ask the chain again.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * Math.min(attempt + 1, 5)));
          continue;
        }
        // Refused outright: the nonce was not used and stays ours.
        this.nextNonce = nonce;
        if (isInsufficientFunds(error)) return { kind: "signer-unfunded", message: publicMessage(error) };
        return { kind: "rejected", message: publicMessage(error) };
      }
    }
    return {
      kind: "rejected",
      message: `nonce conflict persisted after ${MAX_NONCE_ATTEMPTS} attempts: ${lastConflict}`,
    };
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task, task);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

function isInsufficientFunds(error: unknown): boolean {
  if (error instanceof BaseError && error.walk((e) => e instanceof InsufficientFundsError)) return true;
  return /insufficient funds/i.test(nodeText(error));
}

/** Everything the node said, for classifying its answer; never sent to callers. */
function nodeText(error: unknown): string {
  if (error instanceof BaseError) return `${error.shortMessage} ${error.details ?? ""}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * What callers may see: viem's one-line summary and the JSON-RPC error code, not the node's own
 * error body (providers put request ids, internal hosts or quota details there).
 */
function publicMessage(error: unknown): string {
  if (!(error instanceof BaseError)) return "the RPC node refused the request";
  const rpc = error.walk((e) => typeof (e as { code?: unknown }).code === "number") as { code?: number } | null;
  const summary = error.shortMessage.split("\n")[0]!.slice(0, 200);
  return rpc?.code !== undefined ? `${summary} (JSON-RPC error ${rpc.code})` : summary;
}
