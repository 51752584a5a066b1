// What each payer has promised in settlements that are broadcast but not yet final. The token's
// balance only shows mined transfers; without this, two authorizations that together exceed the
// payer's balance would both be sent, and one would revert at the facilitator's expense.
import type { Address } from "viem";

interface Debit {
  readonly payer: string;
  readonly value: bigint;
  /** The authorization's validBefore (ms): after it, the transfer can no longer land. */
  readonly expiresAt: number;
}

export class PendingDebits {
  private readonly debits = new Map<string, Debit>();

  /**
   * Reserves `value` of `payer`'s `balance` for the authorization `key`, if what is already reserved
   * leaves room for it. Idempotent per key (a re-sent settlement keeps its one reservation).
   * Synchronous, so a check and its reservation cannot interleave with another's.
   */
  reserve(
    key: string,
    payer: Address,
    value: bigint,
    balance: bigint,
    expiresAt: number,
  ): { ok: true } | { ok: false; pending: bigint } {
    if (this.debits.has(key)) return { ok: true };
    const pending = this.pendingOf(payer);
    if (pending + value > balance) return { ok: false, pending };
    this.debits.set(key, { payer: payer.toLowerCase(), value, expiresAt });
    return { ok: true };
  }

  release(key: string): void {
    this.debits.delete(key);
  }

  /** The sum reserved for `payer`; expired reservations are dropped on the way. */
  pendingOf(payer: Address): bigint {
    const now = Date.now();
    const who = payer.toLowerCase();
    let sum = 0n;
    for (const [key, debit] of this.debits) {
      if (debit.expiresAt <= now) this.debits.delete(key);
      else if (debit.payer === who) sum += debit.value;
    }
    return sum;
  }
}
