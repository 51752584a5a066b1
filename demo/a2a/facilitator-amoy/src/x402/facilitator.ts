// x402 layer: verify and settle for exact/EIP-3009 USDC on Polygon Amoy.
//
// Verification makes @x402/evm's checks (signature, scheme, network, payTo, amount, time window, and
// an eth_call simulation of the transfer): for plain accounts in eoaVerify.ts, with native signature
// recovery (the library's pure-JS one capped throughput), for smart wallets in @x402/evm itself.
// We add what the library lacks: routing to the one kind we support,
// a Multicall3-free diagnosis that names *why* a simulation failed (nonce used, balance, domain),
// and a clean "RPC unavailable" instead of a wrong verdict when the chain did not answer.
//
// Whatever verdict a path reaches, our own code then holds the authorization to the requirements
// (payTo, amount, asset), and success is only ever a receipt that shows that transfer.
//
// Settlement is ours, because it must hold under concurrency and abuse: one transaction per
// authorization (single-flight keyed by token+from+nonce; only requests with the same terms share
// it) and exactly one caller told "paid"; nonces managed by TransactionSender; what a payer has
// pending reserved against its balance; contract payers opt-in, gas-capped and cooled down after a
// revert. No local "used" list: the token's authorizationState on chain is the only truth, so a
// failed send leaves the payment settleable.
import { x402Facilitator } from "@x402/core/facilitator";
import type { Network, PaymentPayload, PaymentRequirements, SettleResponse, VerifyResponse } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/facilitator";
import { eip3009ABI } from "@x402/evm";
import { getAddress, isAddressEqual, TransactionNotFoundError, type Address, type Hex, type TransactionReceipt } from "viem";
import { findAuthorizationUse, transferred } from "../chain/authorizationUse.js";
import type { AmoyClient } from "../chain/clients.js";
import { CodeCache, VerifyProbe } from "../chain/probe.js";
import type { ReceiptWatcher } from "../chain/receipts.js";
import { describeRpcFailure, isRpcUnavailable } from "../chain/rpcErrors.js";
import type { Broadcast } from "../chain/sender.js";
import type { SignerPool } from "../chain/signers.js";
import { readAuthorizationFacts } from "../chain/token.js";
import {
  authorizationKey,
  NETWORK_V1,
  NETWORK_V2,
  requiredAmount,
  routePayment,
  settlementTerms,
  termsMismatch,
  type FacilitatorRequest,
  type Payment,
} from "./payment.js";
import { verifyEoaPayment } from "./eoaVerify.js";
import { explainReason } from "./messages.js";
import { PendingDebits } from "./pendingDebits.js";
import { encodeTransfer } from "./transfer.js";
import * as reasons from "./reasons.js";
import { BoundedMap, SingleFlight } from "./singleFlight.js";

/** A failure that is not a verdict about the payment: the caller should retry later. */
export type ServiceError = { kind: "rpc_unavailable"; message: string };
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ServiceError };
/** A settlement's outcome; `shared` when this call joined a concurrent settle of the same payment. */
export type SettleOutcome = Outcome<SettleResponse> & { shared?: boolean };

export interface FacilitatorOptions {
  readonly client: AmoyClient;
  readonly signers: SignerPool;
  readonly receipts: ReceiptWatcher;
  readonly usdc: Address;
  readonly realSettle: boolean;
  readonly settleTimeoutMs: number;
  readonly payers: PayerPolicy;
}

/** Who may pay, and what a payer may cost us. */
export interface PayerPolicy {
  /** Smallest amount (atomic units) judged valid. */
  readonly minPaymentAmount: bigint;
  /** Payers with code (smart wallets): off, refused before any signature check. */
  readonly allowContractPayers: boolean;
  /** Gas cap of one contract payer's settlement. */
  readonly contractPayerGasLimit: number;
  /** A payer whose settlement reverted on chain is refused this long. */
  readonly revertCooldownMs: number;
}

const RECENT_ENTRIES = 10_000;
// A transaction dropped from the pool (a replica sharing the key took its nonce) is re-sent; bounded.
const MAX_SEND_ROUNDS = 3;
/** Longest a broadcast payment's value stays reserved against its payer's balance. */
const RESERVATION_MS = 10 * 60_000;

export class Facilitator {
  /** GET /supported, in @x402/core's own format. */
  readonly supported: ReturnType<x402Facilitator["getSupported"]>;
  private readonly settles = new SingleFlight<Outcome<SettleResponse>>();
  /** Broadcast, receipt not yet seen: a retry with the same terms follows this hash instead of sending again. */
  private readonly broadcasts = new BoundedMap<{ tx: Broadcast; terms: string }>(RECENT_ENTRIES);
  /** Confirmed here: lets a replay's "already used" answer name the transaction. */
  private readonly confirmed = new BoundedMap<Hex>(RECENT_ENTRIES);
  /** Account code (EOA or smart wallet) changes rarely; shared by all verifications for a few seconds. */
  private readonly codes: CodeCache;
  /** Value of broadcast, not yet final settlements, per payer. */
  private readonly debits = new PendingDebits();
  /** Payers whose settlement reverted on chain, until when (ms) they are refused. */
  private readonly coolingDown = new BoundedMap<number>(RECENT_ENTRIES);

  constructor(private readonly options: FacilitatorOptions) {
    this.codes = new CodeCache(options.client);
    const probe = new VerifyProbe(options.client, options.signers.addresses, this.codes);
    this.supported = new x402Facilitator()
      .register(NETWORK_V2, new ExactEvmScheme(probe))
      .registerV1(NETWORK_V1 as Network, new ExactEvmSchemeV1(probe))
      .getSupported();
  }

  get signerAddresses(): Address[] {
    return this.options.signers.addresses;
  }

  async verify(request: FacilitatorRequest): Promise<Outcome<VerifyResponse>> {
    const routed = routePayment(request, this.options.usdc);
    if (!routed.ok) {
      return ok({ isValid: false, invalidReason: routed.reason, invalidMessage: routed.message, ...payerField(routed.payer) });
    }
    return this.judge(routed.payment);
  }

  async settle(request: FacilitatorRequest): Promise<SettleOutcome> {
    const routed = routePayment(request, this.options.usdc);
    if (!routed.ok) {
      return ok({
        success: false,
        errorReason: routed.reason,
        errorMessage: routed.message,
        transaction: "",
        network: request.paymentRequirements.network as Network,
        ...payerField(routed.payer),
      });
    }
    const payment = routed.payment;
    const { result, shared } = await this.settles.run(authorizationKey(payment), settlementTerms(payment), () => this.settleOnce(payment, MAX_SEND_ROUNDS));
    if (!shared) return result;
    // One payment pays once: a request that joined a concurrent settle of the same authorization
    // learns where it went, and is never the second one told "paid".
    if (result.ok && result.value.success && result.value.transaction !== "") {
      const hash = result.value.transaction as Hex;
      return { ...ok(failure(payment, reasons.NONCE_ALREADY_USED, `this authorization was settled by a concurrent request in transaction ${hash}; one payment pays once`, hash)), shared };
    }
    return { ...result, shared };
  }

  private async settleOnce(payment: Payment, roundsLeft: number): Promise<Outcome<SettleResponse>> {
    const key = authorizationKey(payment);
    const earlier = this.broadcasts.get(key);
    if (earlier && earlier.terms === settlementTerms(payment)) {
      const known = await this.isKnownTransaction(earlier.tx.hash);
      if (!known.ok) return known;
      if (known.value) return this.awaitSettlement(payment, earlier.tx, roundsLeft);
      this.broadcasts.delete(key); // it never reached the chain: the authorization is still ours to send
    }

    const verdict = await this.judge(payment);
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
          message: "REAL_SETTLE=false: the payment was verified and the transfer simulated against the chain (eth_call); nothing was broadcast",
        },
      });
    }

    const reserved = await this.reserve(payment);
    if (!reserved.ok || reserved.value) {
      return reserved.ok ? ok(failure(payment, reasons.INSUFFICIENT_BALANCE, reserved.value)) : reserved;
    }
    const sender = this.options.signers.pick();
    const contractPayer = await this.isContract(payment.authorization.from);
    const gasLimit = contractPayer ? BigInt(this.options.payers.contractPayerGasLimit) : undefined;
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
        return ok(failure(payment, reasons.SIGNER_INSUFFICIENT_FUNDS, `the facilitator's signer ${sender.address} cannot pay for gas: ${sent.message}`));
      case "rejected":
        return ok(failure(payment, reasons.TRANSACTION_REJECTED, `the RPC node refused the transaction: ${sent.message}`));
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
        const again = await this.judge(payment);
        if (!again.ok) return again;
        if (again.value.invalidReason === reasons.NONCE_ALREADY_USED) return this.alreadyUsed(payment);
        const reason = again.value.isValid ? reasons.TRANSACTION_FAILED : (again.value.invalidReason ?? reasons.TRANSACTION_FAILED);
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
      balance = await this.options.client.readContract({ address: payment.asset, abi: eip3009ABI, functionName: "balanceOf", args: [from] });
    } catch (error) {
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      throw error;
    }
    // Until the transfer can no longer land, and at most RESERVATION_MS (a pending answer nobody follows up).
    const latest = Date.now() + RESERVATION_MS;
    const expiresAt = BigInt(validBefore) * 1000n < BigInt(latest) ? Number(validBefore) * 1000 : latest;
    const reserved = this.debits.reserve(authorizationKey(payment), from, BigInt(value), balance, expiresAt);
    if (reserved.ok) return ok(undefined);
    return ok(`payer balance ${balance} cannot cover ${value} on top of ${reserved.pending} in settlements still pending; nothing was sent`);
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
    if (mine) return ok(failure(payment, reasons.NONCE_ALREADY_USED, `authorization nonce ${nonce} of ${from} was already settled in transaction ${mine}`, mine));
    let use;
    try {
      use = await findAuthorizationUse(this.options.client, payment.asset, from, nonce);
    } catch (error) {
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      throw error;
    }
    if (!use) {
      return ok(failure(payment, reasons.NONCE_ALREADY_USED, `authorization nonce ${nonce} of ${from} is already used or canceled on chain (no transaction using it in the last blocks)`));
    }
    const paid = reachedSeller(use.receipt, payment);
    if (this.signerAddresses.some((signer) => isAddressEqual(signer, use.sender))) {
      return ok(failure(payment, reasons.NONCE_ALREADY_USED, `authorization nonce ${nonce} of ${from} was already settled by this facilitator in transaction ${use.hash}`, use.hash));
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
    return ok(failure(payment, reasons.NONCE_ALREADY_USED, `authorization nonce ${nonce} of ${from} was used in transaction ${use.hash}, which did not pay the required amount to payTo`, use.hash));
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
      return ok(failure(payment, reasons.SETTLEMENT_PENDING, `transaction ${hash} was broadcast but not confirmed (${why}); settle the same payment again to follow it`, hash));
    }
    this.broadcasts.delete(key);
    if (outcome.kind === "dropped") {
      // Another transaction took our nonce (a replica sharing the key): ours can never be mined.
      if (roundsLeft > 1) return this.settleOnce(payment, roundsLeft - 1);
      this.debits.release(key);
      return ok(failure(payment, reasons.TRANSACTION_FAILED, `transaction ${hash} was replaced in the pool (its nonce was used by another transaction); settle again`, hash));
    }
    this.debits.release(key);
    const receipt: TransactionReceipt = outcome.receipt;
    if (receipt.status !== "success") return this.reverted(payment, hash);
    if (!reachedSeller(receipt, payment)) {
      return ok(failure(payment, reasons.TRANSFER_EVENT_MISMATCH, `transaction ${hash} does not show ${requiredAmount(payment.request)} of ${payment.asset} moving from ${payment.authorization.from} to payTo`, hash));
    }
    this.confirmed.set(key, hash);
    return ok({ success: true, transaction: hash, network: payment.network as Network, payer: payment.authorization.from });
  }

  /**
   * Our transaction reverted on chain. If the authorization was used meanwhile (someone broadcast it
   * from the mempool, or another replica), that is the answer; otherwise the payer made a payment
   * that passed simulation fail on chain at our expense, and is refused for a while.
   */
  private async reverted(payment: Payment, hash: Hex): Promise<Outcome<SettleResponse>> {
    let used: boolean;
    try {
      used = (await readAuthorizationFacts(this.options.client, payment.asset, payment.authorization.from, payment.authorization.nonce)).used;
    } catch (error) {
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      throw error;
    }
    if (used) return this.alreadyUsed(payment);
    const { revertCooldownMs } = this.options.payers;
    if (revertCooldownMs > 0) this.coolingDown.set(payment.authorization.from.toLowerCase(), Date.now() + revertCooldownMs);
    return ok(failure(payment, reasons.TRANSACTION_FAILED, `transaction ${hash} reverted on chain`, hash));
  }

  private async isContract(address: Address): Promise<boolean> {
    const code = await this.codes.get(address);
    return code !== undefined && code !== "0x";
  }

  /**
   * Our refusals first (amount floor, cooling-down payer), then @x402/evm's checks (our
   * native-recovery path for plain accounts, the library for the rest, contract payers only when
   * allowed), then our own hold of the authorization to the requirements and of the asset to code,
   * and a Multicall3-free diagnosis of a failed simulation.
   */
  private async judge(payment: Payment): Promise<Outcome<VerifyResponse>> {
    const payer = payment.authorization.from;
    const invalid = (invalidReason: string, invalidMessage: string) => ok<VerifyResponse>({ isValid: false, invalidReason, invalidMessage, payer });
    const refused = this.refusedUpFront(payment);
    if (refused) return invalid(refused.reason, refused.message);

    const probe = new VerifyProbe(this.options.client, this.signerAddresses, this.codes);
    let result: VerifyResponse;
    try {
      result = (await verifyEoaPayment(payment, probe)) ?? (await this.verifyOther(payment, probe));
    } catch (error) {
      if (probe.rpcFailure) return rpcUnavailable(probe.rpcFailure);
      throw error;
    }
    if (probe.rpcFailure) return rpcUnavailable(probe.rpcFailure);
    if (result.isValid) {
      const mismatch = termsMismatch(payment);
      if (mismatch) return invalid(mismatch.reason, mismatch.message);
      const assetCode = await probe.getCode({ address: payment.asset });
      if (probe.rpcFailure) return rpcUnavailable(probe.rpcFailure);
      if (!assetCode || assetCode === "0x") return invalid(reasons.ASSET_NOT_CONTRACT, explainReason(reasons.ASSET_NOT_CONTRACT, payment)!);
      return ok({ isValid: true, payer });
    }
    if (result.invalidReason !== reasons.SIMULATION_FAILED) {
      const invalidMessage = cleanMessage(result.invalidMessage) ?? explainReason(result.invalidReason, payment);
      return ok({ isValid: false, invalidReason: result.invalidReason, ...(invalidMessage ? { invalidMessage } : {}), payer });
    }
    return this.diagnose(payment, revertReason(result.invalidMessage));
  }

  private refusedUpFront(payment: Payment): { reason: string; message: string } | undefined {
    const { minPaymentAmount } = this.options.payers;
    const amount = BigInt(requiredAmount(payment.request));
    const value = BigInt(payment.authorization.value);
    if (amount < minPaymentAmount || value < minPaymentAmount) {
      const smaller = amount < value ? amount : value;
      return { reason: reasons.AMOUNT_BELOW_MINIMUM, message: `amount ${smaller} is below this facilitator's minimum payment of ${minPaymentAmount} atomic units (MIN_PAYMENT_AMOUNT)` };
    }
    const until = this.coolingDown.get(payment.authorization.from.toLowerCase());
    if (until !== undefined && until > Date.now()) {
      return {
        reason: reasons.PAYER_COOLING_DOWN,
        message: `a settlement from ${payment.authorization.from} reverted on chain; this payer is refused until ${new Date(until).toISOString()}`,
      };
    }
    return undefined;
  }

  /** Anything our EOA path leaves: a payer with code (only when allowed), or an unusual signature. */
  private async verifyOther(payment: Payment, probe: VerifyProbe): Promise<VerifyResponse> {
    const payer = payment.authorization.from;
    const code = await probe.getCode({ address: payer });
    if (probe.rpcFailure) return { isValid: false, invalidReason: reasons.SIMULATION_FAILED, payer };
    if (code && code !== "0x" && !this.options.payers.allowContractPayers) {
      return {
        isValid: false,
        invalidReason: reasons.CONTRACT_PAYER_NOT_ALLOWED,
        invalidMessage: `payer ${payer} is a contract account (smart wallet); this facilitator settles payments from plain accounts only (ALLOW_CONTRACT_PAYERS=false)`,
        payer,
      };
    }
    try {
      return await libraryVerify(payment, probe);
    } catch (error) {
      if (probe.rpcFailure || isRpcUnavailable(error)) throw error;
      // The library throws on signatures it cannot parse (e.g. a short blob ending in ERC-6492's magic suffix).
      const why = cleanMessage(error instanceof Error ? error.message : String(error)) ?? "unparseable";
      return { isValid: false, invalidReason: reasons.INVALID_SIGNATURE, invalidMessage: `the signature cannot be read (${why})`, payer };
    }
  }

  private async diagnose(payment: Payment, revert: string | undefined): Promise<Outcome<VerifyResponse>> {
    const { authorization } = payment;
    const payer = authorization.from;
    const invalid = (invalidReason: string, invalidMessage: string) => ok<VerifyResponse>({ isValid: false, invalidReason, invalidMessage, payer });
    let facts;
    try {
      facts = await readAuthorizationFacts(this.options.client, payment.asset, authorization.from, authorization.nonce);
    } catch (error) {
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      return invalid(reasons.SIMULATION_FAILED, revert ?? "the transfer simulation reverted");
    }
    if (facts.used) {
      const settledIn = this.confirmed.get(authorizationKey(payment));
      return invalid(reasons.NONCE_ALREADY_USED, `authorization nonce ${authorization.nonce} of ${payer} is already used on chain${settledIn ? ` (settled in ${settledIn})` : ""}`);
    }
    const extra = payment.request.paymentRequirements.extra ?? {};
    if (typeof extra.name === "string" && extra.name !== facts.name) {
      return invalid(reasons.TOKEN_NAME_MISMATCH, `requirements name the EIP-712 domain "${extra.name}", the token says "${facts.name}"`);
    }
    if (typeof extra.version === "string" && extra.version !== facts.version) {
      return invalid(reasons.TOKEN_VERSION_MISMATCH, `requirements give EIP-712 version "${extra.version}", the token says "${facts.version}"`);
    }
    if (facts.balance < BigInt(authorization.value)) {
      return invalid(reasons.INSUFFICIENT_BALANCE, `payer balance ${facts.balance} is below the authorized value ${authorization.value}`);
    }
    return invalid(reasons.SIMULATION_FAILED, revert ?? "the transfer simulation reverted");
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

/** @x402/evm's own verification: smart wallets (ERC-1271, ERC-6492) and unusual signatures. */
function libraryVerify(payment: Payment, probe: VerifyProbe): Promise<VerifyResponse> {
  const { request } = payment;
  return request.x402Version === 2
    ? new ExactEvmScheme(probe).verify(request.paymentPayload, request.paymentRequirements)
    : new ExactEvmSchemeV1(probe).verify(request.paymentPayload as unknown as PaymentPayload, request.paymentRequirements as unknown as PaymentRequirements);
}

/** The receipt shows the required amount of the asset moving from the payer to the requirements' payTo. */
function reachedSeller(receipt: TransactionReceipt, payment: Payment): boolean {
  const payTo = getAddress(payment.request.paymentRequirements.payTo);
  return transferred(receipt, payment.asset, payment.authorization.from, payTo, BigInt(requiredAmount(payment.request)));
}

function failure(payment: Payment, errorReason: string, errorMessage?: string, transaction?: Hex): SettleResponse {
  return {
    success: false,
    errorReason,
    ...(errorMessage ? { errorMessage } : {}),
    transaction: transaction ?? "",
    network: payment.network as Network,
    payer: payment.authorization.from,
  };
}

/** viem's revert messages span many lines; keep the reason line only (never URLs or call dumps). */
function revertReason(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const match = /reverted with the following reason:\s*\n?\s*(.+)/.exec(message);
  return (match?.[1] ?? message.split("\n")[0] ?? "").trim().slice(0, 300) || undefined;
}

function cleanMessage(message: string | undefined): string | undefined {
  return message?.split("\n")[0]?.trim().slice(0, 300) || undefined;
}

function payerField(payer: string | undefined): { payer?: string } {
  return payer ? { payer } : {};
}

function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

function rpcUnavailable<T>(message: string): Outcome<T> {
  return { ok: false, error: { kind: "rpc_unavailable", message } };
}
