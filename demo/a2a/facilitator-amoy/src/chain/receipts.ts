// Chain layer: one poller for every transaction awaiting its receipt.
//
// Why not viem's waitForTransactionReceipt: it runs one block watcher and several calls per
// transaction; 200 concurrent settlements made 200 pollers. Here each tick asks for every pending
// receipt at once (the transport batches them into one HTTP request), and detects a transaction
// that can never be mined: its nonce was taken by another transaction (a replica sharing the key).
import { TransactionReceiptNotFoundError, type Address, type TransactionReceipt } from "viem";
import type { AmoyClient } from "./clients.js";
import { describeRpcFailure, isRpcUnavailable } from "./rpcErrors.js";
import type { Broadcast } from "./sender.js";

export type ReceiptOutcome =
  | { kind: "mined"; receipt: TransactionReceipt }
  /** The signer's nonce was used by another transaction: this one will never be mined. */
  | { kind: "dropped" }
  /** No receipt before the deadline; `rpcFailure` when the RPC was not answering at the end. */
  | { kind: "timeout"; rpcFailure?: string }
  /** The watcher was stopped (shutdown grace period over). */
  | { kind: "stopped" };

interface Waiter {
  readonly tx: Broadcast;
  readonly deadline: number;
  rpcFailure?: string;
  /** Seen as displaced on the previous tick; confirmed only when seen again (RPC nodes behind a load balancer may lag each other). */
  displaced?: boolean;
  resolve(outcome: ReceiptOutcome): void;
}

export class ReceiptWatcher {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopped = false;

  constructor(
    private readonly client: AmoyClient,
    private readonly intervalMs: number,
  ) {}

  wait(tx: Broadcast, timeoutMs: number): Promise<ReceiptOutcome> {
    if (this.stopped) return Promise.resolve({ kind: "stopped" });
    return new Promise((resolve) => {
      this.waiters.add({ tx, deadline: Date.now() + timeoutMs, resolve });
      // Automine and fast chains: look right away rather than a full interval later.
      if (!this.ticking && !this.timer) this.schedule(0);
    });
  }

  /** How many transactions are being watched (broadcast, not yet final). */
  get pending(): number {
    return this.waiters.size;
  }

  /** Answers every waiter with "stopped" now, and every later wait at once. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiters) this.settle(waiter, { kind: "stopped" });
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      const current = [...this.waiters];
      const notFound = await this.collectReceipts(current);
      await this.detectDropped(notFound);
      const now = Date.now();
      for (const waiter of this.waiters) {
        if (now >= waiter.deadline)
          this.settle(waiter, { kind: "timeout", ...(waiter.rpcFailure ? { rpcFailure: waiter.rpcFailure } : {}) });
      }
    } finally {
      this.ticking = false;
      if (this.waiters.size > 0 && !this.stopped) this.schedule(this.intervalMs);
    }
  }

  /** Resolves the mined ones; returns those the node has no receipt for. */
  private async collectReceipts(waiters: Waiter[]): Promise<Waiter[]> {
    const results = await Promise.all(waiters.map((w) => this.receipt(w)));
    const notFound: Waiter[] = [];
    results.forEach((result, i) => {
      const waiter = waiters[i]!;
      if (result === "not-found") notFound.push(waiter);
      else if (result !== "error") this.settle(waiter, { kind: "mined", receipt: result });
    });
    return notFound;
  }

  /** A transaction whose nonce is below the signer's mined count, and still has no receipt, was replaced. */
  private async detectDropped(waiters: Waiter[]): Promise<void> {
    if (waiters.length === 0) return;
    const signers = [...new Set(waiters.map((w) => w.tx.from))];
    const counts = new Map<Address, number>();
    await Promise.all(
      signers.map(async (address) => {
        try {
          counts.set(address, await this.client.getTransactionCount({ address, blockTag: "latest" }));
        } catch {
          // RPC trouble: decide nothing this round
        }
      }),
    );
    for (const waiter of waiters) {
      if (!counts.has(waiter.tx.from)) continue;
      const displaced = counts.get(waiter.tx.from)! > waiter.tx.nonce;
      // Two ticks in a row with the nonce used and no receipt of ours: another transaction took it.
      if (displaced && waiter.displaced) this.settle(waiter, { kind: "dropped" });
      waiter.displaced = displaced;
    }
  }

  private async receipt(waiter: Waiter): Promise<TransactionReceipt | "not-found" | "error"> {
    try {
      const receipt = await this.client.getTransactionReceipt({ hash: waiter.tx.hash });
      delete waiter.rpcFailure;
      return receipt;
    } catch (error) {
      if (error instanceof TransactionReceiptNotFoundError) {
        delete waiter.rpcFailure;
        return "not-found";
      }
      waiter.rpcFailure = isRpcUnavailable(error) ? describeRpcFailure(error) : "receipt lookup failed";
      return "error";
    }
  }

  private settle(waiter: Waiter, outcome: ReceiptOutcome): void {
    if (this.waiters.delete(waiter)) waiter.resolve(outcome);
  }
}
