// Chain layer: the facilitator's signers. One key by default; with FACILITATOR_PRIVATE_KEYS a pool,
// each key with its own nonce sequence, so settlements broadcast in parallel instead of in one queue.
import type { Address, PrivateKeyAccount } from "viem";
import type { AmoyClient } from "./clients.js";
import { FeeCache } from "./fees.js";
import { TransactionSender } from "./sender.js";

export class SignerPool {
  readonly senders: readonly TransactionSender[];
  private next = 0;

  /** `minPriorityFeeWei`: the chain's tip floor (see fees.ts). */
  constructor(client: AmoyClient, accounts: readonly PrivateKeyAccount[], minPriorityFeeWei: bigint) {
    if (accounts.length === 0) throw new Error("SignerPool needs at least one account");
    const fees = new FeeCache(client, minPriorityFeeWei);
    this.senders = accounts.map((account) => new TransactionSender(client, account, fees));
  }

  get addresses(): Address[] {
    return this.senders.map((s) => s.address);
  }

  /** Round robin: each key's queue gets every n-th settlement. */
  pick(): TransactionSender {
    const sender = this.senders[this.next % this.senders.length]!;
    this.next = (this.next + 1) % this.senders.length;
    return sender;
  }
}
