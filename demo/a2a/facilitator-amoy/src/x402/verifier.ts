// x402 layer: is this payment valid? @x402/evm's exact-scheme checks (signature, scheme, network,
// payTo, amount, time window, and an eth_call simulation of the transfer): for plain accounts in
// eoaVerify.ts, with native signature recovery (the library's pure-JS one capped throughput), for
// smart wallets (only when allowed) in @x402/evm itself. Around them, what the library lacks: our
// refusals (amount floor, payers cooling down), our own hold of the authorization to the
// requirements after any verdict, a Multicall3-free diagnosis that names *why* a simulation failed
// (nonce used, balance, domain), and "RPC unavailable" instead of a wrong verdict when the chain
// did not answer.
import type { PaymentPayload, PaymentRequirements, VerifyResponse } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/facilitator";
import type { Address, Hex } from "viem";
import type { AmoyClient } from "../chain/clients.js";
import { type CodeCache, VerifyProbe } from "../chain/probe.js";
import { describeRpcFailure, isRpcUnavailable } from "../chain/rpcErrors.js";
import { readAuthorizationFacts } from "../chain/token.js";
import { BoundedMap } from "./boundedMap.js";
import { verifyEoaPayment } from "./eoaVerify.js";
import { explainReason } from "./messages.js";
import { ok, rpcUnavailable, type Outcome } from "./outcome.js";
import { authorizationKey, requiredAmount, termsMismatch, type Payment } from "./payment.js";
import * as reasons from "./reasons.js";

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

export interface VerifierOptions {
  readonly client: AmoyClient;
  /** The facilitator's signer addresses (@x402/evm asks for them). */
  readonly signers: readonly Address[];
  /** Account code, shared with settlement. */
  readonly codes: CodeCache;
  readonly payers: PayerPolicy;
  /** The transaction this process settled an authorization in, for "already used" messages. */
  readonly settledIn: (key: string) => Hex | undefined;
}

const COOLING_DOWN_ENTRIES = 10_000;

export class PaymentVerifier {
  /** Payers whose settlement reverted on chain, until when (ms) they are refused. */
  private readonly coolingDown = new BoundedMap<number>(COOLING_DOWN_ENTRIES);

  constructor(private readonly options: VerifierOptions) {}

  /** A settlement of `payer` reverted on chain at our cost: refuse the payer for a while. */
  coolDown(payer: Address): void {
    const { revertCooldownMs } = this.options.payers;
    if (revertCooldownMs > 0) this.coolingDown.set(payer.toLowerCase(), Date.now() + revertCooldownMs);
  }

  /**
   * Our refusals first (amount floor, cooling-down payer), then @x402/evm's checks (our
   * native-recovery path for plain accounts, the library for the rest, contract payers only when
   * allowed), then our own hold of the authorization to the requirements and of the asset to code,
   * and a Multicall3-free diagnosis of a failed simulation.
   */
  async check(payment: Payment): Promise<Outcome<VerifyResponse>> {
    const payer = payment.authorization.from;
    const invalid = (invalidReason: string, invalidMessage: string) =>
      ok<VerifyResponse>({ isValid: false, invalidReason, invalidMessage, payer });
    const refused = this.refusedUpFront(payment);
    if (refused) return invalid(refused.reason, refused.message);

    const probe = new VerifyProbe(this.options.client, this.options.signers, this.options.codes);
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
      if (mismatch) return invalid(mismatch, explainReason(mismatch, payment)!);
      // @x402/evm's v1 scheme does not look at the asset's code: an eth_call to an address without
      // code "succeeds". Cached, so the EOA path (which checked it already) pays nothing for it.
      const assetCode = await probe.getCode({ address: payment.asset });
      if (probe.rpcFailure) return rpcUnavailable(probe.rpcFailure);
      if (!assetCode || assetCode === "0x")
        return invalid(reasons.ASSET_NOT_CONTRACT, explainReason(reasons.ASSET_NOT_CONTRACT, payment)!);
      return ok({ isValid: true, payer });
    }
    if (result.invalidReason !== reasons.SIMULATION_FAILED) {
      const invalidMessage = cleanMessage(result.invalidMessage) ?? explainReason(result.invalidReason, payment);
      return ok({
        isValid: false,
        invalidReason: result.invalidReason,
        ...(invalidMessage ? { invalidMessage } : {}),
        payer,
      });
    }
    return this.diagnose(payment, revertReason(result.invalidMessage));
  }

  private refusedUpFront(payment: Payment): { reason: string; message: string } | undefined {
    const { minPaymentAmount } = this.options.payers;
    const amount = BigInt(requiredAmount(payment.request));
    const value = BigInt(payment.authorization.value);
    if (amount < minPaymentAmount || value < minPaymentAmount) {
      const smaller = amount < value ? amount : value;
      return {
        reason: reasons.AMOUNT_BELOW_MINIMUM,
        message: `amount ${smaller} is below this facilitator's minimum payment of ${minPaymentAmount} atomic units (MIN_PAYMENT_AMOUNT)`,
      };
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
      return {
        isValid: false,
        invalidReason: reasons.INVALID_SIGNATURE,
        invalidMessage: `the signature cannot be read (${why})`,
        payer,
      };
    }
  }

  private async diagnose(payment: Payment, revert: string | undefined): Promise<Outcome<VerifyResponse>> {
    const { authorization } = payment;
    const payer = authorization.from;
    const invalid = (invalidReason: string, invalidMessage: string) =>
      ok<VerifyResponse>({ isValid: false, invalidReason, invalidMessage, payer });
    let facts;
    try {
      facts = await readAuthorizationFacts(this.options.client, payment.asset, authorization.from, authorization.nonce);
    } catch (error) {
      if (isRpcUnavailable(error)) return rpcUnavailable(describeRpcFailure(error));
      return invalid(reasons.SIMULATION_FAILED, revert ?? "the transfer simulation reverted");
    }
    if (facts.used) {
      const settledIn = this.options.settledIn(authorizationKey(payment));
      return invalid(
        reasons.NONCE_ALREADY_USED,
        `authorization nonce ${authorization.nonce} of ${payer} is already used on chain${settledIn ? ` (settled in ${settledIn})` : ""}`,
      );
    }
    const extra = payment.request.paymentRequirements.extra ?? {};
    if (typeof extra.name === "string" && extra.name !== facts.name) {
      return invalid(
        reasons.TOKEN_NAME_MISMATCH,
        `requirements name the EIP-712 domain "${extra.name}", the token says "${facts.name}"`,
      );
    }
    if (typeof extra.version === "string" && extra.version !== facts.version) {
      return invalid(
        reasons.TOKEN_VERSION_MISMATCH,
        `requirements give EIP-712 version "${extra.version}", the token says "${facts.version}"`,
      );
    }
    if (facts.balance < BigInt(authorization.value)) {
      return invalid(
        reasons.INSUFFICIENT_BALANCE,
        `payer balance ${facts.balance} is below the authorized value ${authorization.value}`,
      );
    }
    return invalid(reasons.SIMULATION_FAILED, revert ?? "the transfer simulation reverted");
  }
}

/** @x402/evm's own verification: smart wallets (ERC-1271, ERC-6492) and unusual signatures. */
function libraryVerify(payment: Payment, probe: VerifyProbe): Promise<VerifyResponse> {
  const { request } = payment;
  return request.x402Version === 2
    ? new ExactEvmScheme(probe).verify(request.paymentPayload, request.paymentRequirements)
    : new ExactEvmSchemeV1(probe).verify(
        request.paymentPayload as unknown as PaymentPayload,
        request.paymentRequirements as unknown as PaymentRequirements,
      );
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
