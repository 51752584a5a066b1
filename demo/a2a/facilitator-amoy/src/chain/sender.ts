// Chain layer: sends transactions from the facilitator's key with its own nonce bookkeeping.
//
// Why our own and not viem's nonceManager: a settlement must never leave a nonce gap or reuse a
// nonce, including when a send fails, when another replica shares the key, or when the RPC drops
// the connection mid-send. Everything slow or fallible that does not need a nonce (gas estimation,
// fee lookup) runs concurrently outside the lock; only "take nonce, sign, broadcast" is serialized,
// which costs one eth_sendRawTransaction round trip per transaction.
import { BaseError, InsufficientFundsError, keccak256, type Address, type Hex, type PrivateKeyAccount } from "viem";
import type { AmoyClient } from "./clients.js";
import { describeRpcFailure, isRpcUnavailable } from "./rpcErrors.js";

export type SendResult =
  /** The node accepted the transaction. */
  | { kind: "sent"; hash: Hex }
  /** The connection failed after signing: the transaction may or may not be in the pool. */
  | { kind: "maybe-sent"; hash: Hex; message: string }
  /** Gas estimation shows the call reverts; nothing was sent. */
  | { kind: "reverts"; message: string }
  /** The signer cannot pay for gas; nothing was sent. */
  | { kind: "signer-unfunded"; message: string }
  /** The node refused the transaction for another reason; nothing was sent. */
  | { kind: "rejected"; message: string }
  /** The RPC did not answer while preparing; nothing was sent. */
  | { kind: "rpc-unavailable"; message: string };

const GAS_HEADROOM_PERCENT = 120n;
const MAX_NONCE_ATTEMPTS = 5;
// Another sender (a replica sharing the key) took our nonce, or our view is stale.
const NONCE_CONFLICT = /nonce too low|nonce has already been used|replacement transaction underpriced|replacement fee too low|invalid nonce|nonce too high/i;
// The node already has exactly these bytes: our earlier attempt arrived.
const ALREADY_KNOWN = /already known|known transaction|already imported/i;

export class TransactionSender {
  private nextNonce: number | undefined;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: AmoyClient,
    private readonly account: PrivateKeyAccount,
  ) {}

  get address(): Address {
    return this.account.address;
  }

  async send(to: Address, data: Hex): Promise<SendResult> {
    let gas: bigint;
    let fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
    try {
      [gas, fees] = await Promise.all([
        this.client.estimateGas({ account: this.account.address, to, data }),
        this.client.estimateFeesPerGas(),
      ]);
    } catch (error) {
      if (isRpcUnavailable(error)) return { kind: "rpc-unavailable", message: describeRpcFailure(error) };
      if (isInsufficientFunds(error)) return { kind: "signer-unfunded", message: shortMessage(error) };
      return { kind: "reverts", message: shortMessage(error) };
    }
    const request = { to, data, gas: (gas * GAS_HEADROOM_PERCENT) / 100n, ...fees };
    return this.serialized(() => this.broadcast(request));
  }

  private async broadcast(request: { to: Address; data: Hex; gas: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }): Promise<SendResult> {
    let lastConflict = "";
    for (let attempt = 0; attempt < MAX_NONCE_ATTEMPTS; attempt++) {
      let nonce: number;
      try {
        nonce = this.nextNonce ?? (await this.client.getTransactionCount({ address: this.account.address, blockTag: "pending" }));
      } catch (error) {
        return { kind: "rpc-unavailable", message: describeRpcFailure(error) };
      }
      const signed = await this.account.signTransaction({ ...request, nonce, chainId: this.client.chain.id, type: "eip1559" });
      const hash = keccak256(signed);
      try {
        await this.client.request({ method: "eth_sendRawTransaction", params: [signed] });
        this.nextNonce = nonce + 1;
        return { kind: "sent", hash };
      } catch (error) {
        const message = shortMessage(error);
        if (ALREADY_KNOWN.test(message)) {
          this.nextNonce = nonce + 1;
          return { kind: "sent", hash };
        }
        if (isRpcUnavailable(error)) {
          this.nextNonce = undefined; // unknown whether the nonce was used: ask the chain next time
          return { kind: "maybe-sent", hash, message: describeRpcFailure(error) };
        }
        if (NONCE_CONFLICT.test(message)) {
          this.nextNonce = undefined;
          lastConflict = message;
          continue;
        }
        // Refused outright: the nonce was not used and stays ours.
        this.nextNonce = nonce;
        if (isInsufficientFunds(error)) return { kind: "signer-unfunded", message };
        return { kind: "rejected", message };
      }
    }
    return { kind: "rejected", message: `nonce conflict persisted after ${MAX_NONCE_ATTEMPTS} attempts: ${lastConflict}` };
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task, task);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

function isInsufficientFunds(error: unknown): boolean {
  if (error instanceof BaseError && error.walk((e) => e instanceof InsufficientFundsError)) return true;
  return /insufficient funds/i.test(shortMessage(error));
}

function shortMessage(error: unknown): string {
  if (error instanceof BaseError) {
    const details = error.details ? `: ${error.details}` : "";
    return `${error.shortMessage}${details}`.split("\n")[0]!;
  }
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}
