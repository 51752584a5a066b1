// x402 layer: settle a verified payment, safely under concurrency and abuse. One transaction per
// authorization (the caller single-flights by authorization); nonces managed by TransactionSender;
// what a payer has pending reserved against its balance; contract payers gas-capped and cooled
// down after a revert; success only when the receipt shows the required transfer to payTo. No
// local "used" list: the token's authorizationState on chain is the only truth, so a failed send
// leaves the payment settleable, and a used authorization is traced to the transaction that used it.
import type { Network, SettleResponse } from "@x402/core/types";
import { eip3009ABI } from "@x402/evm";
import {
  getAddress,
  isAddressEqual,
  TransactionNotFoundError,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { findAuthorizationUse, transferred } from "../chain/authorizationUse.js";
import type { AmoyClient } from "../chain/clients.js";
import type { CodeCache } from "../chain/probe.js";
import type { ReceiptWatcher } from "../chain/receipts.js";
import { describeRpcFailure, isRpcUnavailable } from "../chain/rpcErrors.js";
import type { Broadcast } from "../chain/sender.js";
import type { SignerPool } from "../chain/signers.js";
import { readAuthorizationFacts } from "../chain/token.js";
import { BoundedMap } from "./boundedMap.js";
import { ok, rpcUnavailable, type Outcome } from "./outcome.js";
import { authorizationKey, requiredAmount, settlementTerms, type Payment } from "./payment.js";
import { PendingDebits } from "./pendingDebits.js";
import * as reasons from "./reasons.js";
import { encodeTransfer } from "./transfer.js";
import type { PaymentVerifier } from "./verifier.js";

export interface SettlementOptions {
  readonly client: AmoyClient;
  readonly signers: SignerPool;
  readonly receipts: ReceiptWatcher;
  readonly verifier: PaymentVerifier;
  /** Account code, shared with verification. */
  readonly codes: CodeCache;
  readonly realSettle: boolean;
  readonly settleTimeoutMs: number;
  /** Gas cap of one contract payer's settlement. */
  readonly contractPayerGasLimit: number;
}

const RECENT_ENTRIES = 10_000;
/** Longest a broadcast payment's value stays reserved against its payer's balance. */
const RESERVATION_MS = 10 * 60_000;

export class Settlement {
  /** Broadcast, receipt not yet seen: a retry with the same terms follows this hash instead of sending again. */
  private readonly broadcasts = new BoundedMap<{ tx: Broadcast; terms: string }>(RECENT_ENTRIES);
  /** Confirmed here: lets a replay's "already used" answer name the transaction. */
  private readonly confirmed = new BoundedMap<Hex>(RECENT_ENTRIES);
  /** Value of broadcast, not yet final settlements, per payer. */
  private readonly debits = new PendingDebits();

  constructor(private readonly options: SettlementOptions) {}

  /** The transaction this process settled the authorization `key` in, if it did. */
  settledIn(key: string): Hex | undefined {
    return this.confirmed.get(key);
  }

  /** Settles `payment`, sending at most one transaction (re-sent when another took its nonce, `roundsLeft` times). */
  async settle(payment: Payment, roundsLeft: number): Promise<Outcome<SettleResponse>> {
    const key = authorizationKey(payment);
    const earlier = this.broadcasts.get(key);
    if (earlier && earlier.terms === settlementTerms(payment)) {
      const known = await this.isKnownTransaction(earlier.tx.hash);
      if (!known.ok) return known;
      if (known.value) return this.awaitSettlement(payment, earlier.tx, roundsLeft);
      this.broadcasts.delete(key); // it never reached the chain: the authorization is still ours to send
    }

    const verdict = await this.options.verifier.check(payment);
    if (!verdict.ok) return verdict;
    if (!verdict.value.isValid) {
      const reason = verdict.value.invalidReason ?? reasons.SIMULATION_FAILED;
      if (reason === reasons.NONCE_ALREADY_USED) return this.alreadyUsed(payment);
      return ok(failure(payment, reason, verdict.value.invalidMessage));
    }
    if (!this.options.realSettle) {
      return ok({
        success: true,
        transaction: "",
        network: payment.network as Network,
        payer: payment.authorization.from,
        extra: {
          simulated: true,
          broadcast: false,
          message:
            "REAL_SETTLE=false: the payment was verified and the transfer simulated against the chain (eth_call); nothing was broadcast",
        },
      });
    }

    const reserved = await this.reserve(payment);
    if (!reserved.ok || reserved.value) {
      return reserved.ok ? ok(failure(payment, reasons.INSUFFICIENT_BALANCE, reserved.value)) : reserved;
    }
    const sender = this.options.signers.pick();
    const contractPayer = await this.isContract(payment.authorization.from);
    const gasLimit = contractPayer ? BigInt(this.options.contractPayerGasLimit) : undefined;
    const sent = await sender.send(payment.asset, encodeTransfer(payment), gasLimit === undefined ? {} : { gasLimit });
    if (sent.kind !== "sent" && sent.kind !== "maybe-sent") this.debits.release(key); // nothing was broadcast
    switch (sent.kind) {
      case "sent":
      case "maybe-sent": {
        const tx: Broadcast = { hash: sent.hash, from: sent.from, nonce: sent.nonce };
        this.broadcasts.set(key, { tx, terms: settlementTerms(payment) });
        return this.awaitSettlement(payment, tx, roundsLeft);
      }
      case "rpc-unavailable":
        return { ok: false, error: { kind: "rpc_unavailable", message: sent.message } };
      case "signer-unfunded":
        return ok(
          failure(
            payment,
            reasons.SIGNER_INSUFFICIENT_FUNDS,
            `the facilitator's signer ${sender.address} cannot pay for gas: ${sent.message}`,
          ),
        );
      case "rejected":
        return ok(
          failure(payment, reasons.TRANSACTION_REJECTED, `the RPC node refused the transaction: ${sent.message}`),
        );
      case "over-gas-limit":
        return ok(
          failure(
            payment,
            reasons.CONTRACT_PAYER_GAS_LIMIT_EXCEEDED,
            `settling this contract payer's authorization needs ${sent.gas} gas, above the cap of ${gasLimit} (CONTRACT_PAYER_GAS_LIMIT); nothing was sent`,
          ),
        );
      case "reverts": {
        // The chain changed since verification (e.g. another replica settled it): say precisely how.
        const again = await this.options.verifier.check(payment);
        if (!again.ok) return again;
        if (again.value.invalidReason === reasons.NONCE_ALREADY_USED) return this.alreadyUsed(payment);
        const reason = again.value.isValid
          ? reasons.TRANSACTION_FAILED
          : (again.value.invalidReason ?? reasons.TRANSACTION_FAILED);
        return ok(failure(payment, reason, again.value.invalidMessage ?? `gas estimation reverted: ${sent.message}`));
      }
    }
  }

  /**
   * Reserves the payment's value against the payer's balance minus what its other pending
   * settlements will take. `value` holds the refusal's message when the balance cannot cover it.
   */
  private async reserve(payment: Payment): Promise<Outcome<string | undefined>> {
    const { from, value, validBefore } = payment.authorization;
    let balance: bigint;
    try {
      balance = await this.options.client.readContract({
        address: payment.asset,
        abi: eip3009ABI,
        functionName: "balanceOf",
        args: [from],
      });
    } catch (error) {
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      throw error;
    }
    // Until the transfer can no longer land, and at most RESERVATION_MS (a pending answer nobody follows up).
    const latest = Date.now() + RESERVATION_MS;
    const expiresAt = BigInt(validBefore) * 1000n < BigInt(latest) ? Number(validBefore) * 1000 : latest;
    const reserved = this.debits.reserve(authorizationKey(payment), from, BigInt(value), balance, expiresAt);
    if (reserved.ok) return ok(undefined);
    return ok(
      `payer balance ${balance} cannot cover ${value} on top of ${reserved.pending} in settlements still pending; nothing was sent`,
    );
  }

  /**
   * The authorization is used on chain: find the transaction that used it and say what it did.
   * Ours (this replica or another sharing our keys): "already used", naming it. Someone else's that
   * paid the seller: a distinct reason, with that transaction (the seller was paid, but not by a
   * settlement of ours, so we tell nobody "paid" for it). Neither: used or canceled, nothing paid.
   */
  private async alreadyUsed(payment: Payment): Promise<Outcome<SettleResponse>> {
    const { from, nonce } = payment.authorization;
    const mine = this.confirmed.get(authorizationKey(payment));
    if (mine)
      return ok(
        failure(
          payment,
          reasons.NONCE_ALREADY_USED,
          `authorization nonce ${nonce} of ${from} was already settled in transaction ${mine}`,
          mine,
        ),
      );
    let use;
    try {
      use = await findAuthorizationUse(this.options.client, payment.asset, from, nonce);
    } catch (error) {
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      throw error;
    }
    if (!use) {
      return ok(
        failure(
          payment,
          reasons.NONCE_ALREADY_USED,
          `authorization nonce ${nonce} of ${from} is already used or canceled on chain (no transaction using it in the last blocks)`,
        ),
      );
    }
    const paid = reachedSeller(use.receipt, payment);
    if (this.options.signers.addresses.some((signer) => isAddressEqual(signer, use.sender))) {
      return ok(
        failure(
          payment,
          reasons.NONCE_ALREADY_USED,
          `authorization nonce ${nonce} of ${from} was already settled by this facilitator in transaction ${use.hash}`,
          use.hash,
        ),
      );
    }
    if (paid) {
      return ok(
        failure(
          payment,
          reasons.SETTLED_ELSEWHERE,
          `transaction ${use.hash}, sent by ${use.sender} and not by this facilitator, used this authorization and paid ${requiredAmount(payment.request)} to ${getAddress(payment.request.paymentRequirements.payTo)}; no settlement was sent`,
          use.hash,
        ),
      );
    }
    return ok(
      failure(
        payment,
        reasons.NONCE_ALREADY_USED,
        `authorization nonce ${nonce} of ${from} was used in transaction ${use.hash}, which did not pay the required amount to payTo`,
        use.hash,
      ),
    );
  }

  private async awaitSettlement(payment: Payment, tx: Broadcast, roundsLeft: number): Promise<Outcome<SettleResponse>> {
    const key = authorizationKey(payment);
    const { hash } = tx;
    const outcome = await this.options.receipts.wait(tx, this.options.settleTimeoutMs);
    if (outcome.kind === "timeout" || outcome.kind === "stopped") {
      const why =
        outcome.kind === "stopped"
          ? "the facilitator is shutting down"
          : (outcome.rpcFailure ?? `no receipt within ${this.options.settleTimeoutMs} ms`);
      return ok(
        failure(
          payment,
          reasons.SETTLEMENT_PENDING,
          `transaction ${hash} was broadcast but not confirmed (${why}); settle the same payment again to follow it`,
          hash,
        ),
      );
    }
    this.broadcasts.delete(key);
    if (outcome.kind === "dropped") {
      // Another transaction took our nonce (a replica sharing the key): ours can never be mined.
      if (roundsLeft > 1) return this.settle(payment, roundsLeft - 1);
      this.debits.release(key);
      return ok(
        failure(
          payment,
          reasons.TRANSACTION_FAILED,
          `transaction ${hash} was replaced in the pool (its nonce was used by another transaction); settle again`,
          hash,
        ),
      );
    }
    this.debits.release(key);
    const receipt: TransactionReceipt = outcome.receipt;
    if (receipt.status !== "success") return this.reverted(payment, hash);
    if (!reachedSeller(receipt, payment)) {
      return ok(
        failure(
          payment,
          reasons.TRANSFER_EVENT_MISMATCH,
          `transaction ${hash} does not show ${requiredAmount(payment.request)} of ${payment.asset} moving from ${payment.authorization.from} to payTo`,
          hash,
        ),
      );
    }
    this.confirmed.set(key, hash);
    return ok({
      success: true,
      transaction: hash,
      network: payment.network as Network,
      payer: payment.authorization.from,
    });
  }

  /**
   * Our transaction reverted on chain. If the authorization was used meanwhile (someone broadcast it
   * from the mempool, or another replica), that is the answer; otherwise the payer made a payment
   * that passed simulation fail on chain at our expense, and is refused for a while.
   */
  private async reverted(payment: Payment, hash: Hex): Promise<Outcome<SettleResponse>> {
    let used: boolean;
    try {
      used = (
        await readAuthorizationFacts(
          this.options.client,
          payment.asset,
          payment.authorization.from,
          payment.authorization.nonce,
        )
      ).used;
    } catch (error) {
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      throw error;
    }
    if (used) return this.alreadyUsed(payment);
    this.options.verifier.coolDown(payment.authorization.from);
    return ok(failure(payment, reasons.TRANSACTION_FAILED, `transaction ${hash} reverted on chain`, hash));
  }

  private async isContract(address: Address): Promise<boolean> {
    const code = await this.options.codes.get(address);
    return code !== undefined && code !== "0x";
  }

  private async isKnownTransaction(hash: Hex): Promise<Outcome<boolean>> {
    try {
      await this.options.client.getTransaction({ hash });
      return ok(true);
    } catch (error) {
      if (error instanceof TransactionNotFoundError) return ok(false);
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      return ok(false);
    }
  }
}

/** The receipt shows the required amount of the asset moving from the payer to the requirements' payTo. */
function reachedSeller(receipt: TransactionReceipt, payment: Payment): boolean {
  const payTo = getAddress(payment.request.paymentRequirements.payTo);
  return transferred(
    receipt,
    payment.asset,
    payment.authorization.from,
    payTo,
    BigInt(requiredAmount(payment.request)),
  );
}

export function failure(
  payment: Payment,
  errorReason: string,
  errorMessage?: string,
  transaction?: Hex,
): SettleResponse {
  return {
    success: false,
    errorReason,
    ...(errorMessage ? { errorMessage } : {}),
    transaction: transaction ?? "",
    network: payment.network as Network,
    payer: payment.authorization.from,
  };
}
