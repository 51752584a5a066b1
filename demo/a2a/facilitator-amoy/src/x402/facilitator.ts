// x402 layer: verify and settle for exact/EIP-3009 USDC on Polygon Amoy.
//
// Verification makes @x402/evm's checks (signature, scheme, network, payTo, amount, time window, and
// an eth_call simulation of the transfer): for plain accounts in eoaVerify.ts, with native signature
// recovery (the library's pure-JS one capped throughput), for smart wallets in @x402/evm itself.
// We add what the library lacks: routing to the one kind we support,
// a Multicall3-free diagnosis that names *why* a simulation failed (nonce used, balance, domain),
// and a clean "RPC unavailable" instead of a wrong verdict when the chain did not answer.
//
// Settlement is ours, because it must hold under concurrency: one transaction per authorization
// (single-flight keyed by token+from+nonce; only requests with the same terms share a result),
// nonces managed by TransactionSender, and no local "used" list: the token's authorizationState
// on chain is the only truth, so a failed send leaves the payment settleable.
import { x402Facilitator } from "@x402/core/facilitator";
import type { Network, PaymentPayload, PaymentRequirements, SettleResponse, VerifyResponse } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/facilitator";
import {
  erc20Abi,
  isAddressEqual,
  parseEventLogs,
  TransactionNotFoundError,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { AmoyClient } from "../chain/clients.js";
import { CodeCache, VerifyProbe } from "../chain/probe.js";
import type { ReceiptWatcher } from "../chain/receipts.js";
import { describeRpcFailure, isRpcUnavailable } from "../chain/rpcErrors.js";
import type { Broadcast } from "../chain/sender.js";
import type { SignerPool } from "../chain/signers.js";
import { readAuthorizationFacts } from "../chain/token.js";
import { authorizationKey, NETWORK_V1, NETWORK_V2, routePayment, settlementTerms, type FacilitatorRequest, type Payment } from "./payment.js";
import { verifyEoaPayment } from "./eoaVerify.js";
import { explainReason } from "./messages.js";
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
}

const RECENT_ENTRIES = 10_000;
// A transaction dropped from the pool (a replica sharing the key took its nonce) is re-sent; bounded.
const MAX_SEND_ROUNDS = 3;

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
    return shared ? { ...result, shared } : result;
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
      const settledIn = reason === reasons.NONCE_ALREADY_USED ? this.confirmed.get(key) : undefined;
      return ok(failure(payment, reason, verdict.value.invalidMessage, settledIn));
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

    const sender = this.options.signers.pick();
    const sent = await sender.send(payment.asset, encodeTransfer(payment));
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
      case "reverts": {
        // The chain changed since verification (e.g. another replica settled it): say precisely how.
        const again = await this.judge(payment);
        if (!again.ok) return again;
        const reason = again.value.isValid ? reasons.TRANSACTION_FAILED : (again.value.invalidReason ?? reasons.TRANSACTION_FAILED);
        return ok(failure(payment, reason, again.value.invalidMessage ?? `gas estimation reverted: ${sent.message}`));
      }
    }
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
      return roundsLeft > 1
        ? this.settleOnce(payment, roundsLeft - 1)
        : ok(failure(payment, reasons.TRANSACTION_FAILED, `transaction ${hash} was replaced in the pool (its nonce was used by another transaction); settle again`, hash));
    }
    const receipt: TransactionReceipt = outcome.receipt;
    if (receipt.status !== "success") {
      return ok(failure(payment, reasons.TRANSACTION_FAILED, `transaction ${hash} reverted on chain`, hash));
    }
    if (!hasTransferEvent(receipt, payment)) {
      return ok(failure(payment, reasons.TRANSFER_EVENT_MISMATCH, `transaction ${hash} has no matching Transfer event`, hash));
    }
    this.confirmed.set(key, hash);
    return ok({ success: true, transaction: hash, network: payment.network as Network, payer: payment.authorization.from });
  }

  /** @x402/evm's checks (our native-recovery path for plain accounts), plus a Multicall3-free diagnosis of a failed simulation. */
  private async judge(payment: Payment): Promise<Outcome<VerifyResponse>> {
    const probe = new VerifyProbe(this.options.client, this.signerAddresses, this.codes);
    let result: VerifyResponse;
    try {
      result = (await verifyEoaPayment(payment, probe)) ?? (await libraryVerify(payment, probe));
    } catch (error) {
      if (probe.rpcFailure) return rpcUnavailable(probe.rpcFailure);
      throw error;
    }
    if (probe.rpcFailure) return rpcUnavailable(probe.rpcFailure);
    if (result.isValid) return ok({ isValid: true, payer: payment.authorization.from });
    if (result.invalidReason !== reasons.SIMULATION_FAILED) {
      const invalidMessage = cleanMessage(result.invalidMessage) ?? explainReason(result.invalidReason, payment);
      return ok({ isValid: false, invalidReason: result.invalidReason, ...(invalidMessage ? { invalidMessage } : {}), payer: payment.authorization.from });
    }
    return this.diagnose(payment, revertReason(result.invalidMessage));
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

function hasTransferEvent(receipt: TransactionReceipt, payment: Payment): boolean {
  const { from, to, value } = payment.authorization;
  const logs = receipt.logs.filter((log) => isAddressEqual(log.address, payment.asset));
  return parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs }).some(
    (log) => isAddressEqual(log.args.from, from) && isAddressEqual(log.args.to, to) && log.args.value === BigInt(value),
  );
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
