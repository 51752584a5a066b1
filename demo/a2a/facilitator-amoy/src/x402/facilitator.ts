// x402 layer: the facilitator's two operations for exact/EIP-3009 USDC on Polygon Amoy. A thin
// router: each request is routed to the one payment kind we support (routePayment), verification
// is PaymentVerifier's (verifier.ts), settlement is Settlement's (settlement.ts), and this class
// adds what spans requests: one settlement per authorization at a time, and exactly one caller of
// concurrent settles of one payment told "paid".
import { x402Facilitator } from "@x402/core/facilitator";
import type { Network, SettleResponse, VerifyResponse } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/facilitator";
import type { Address, Hex } from "viem";
import type { AmoyClient } from "../chain/clients.js";
import { CodeCache, VerifyProbe } from "../chain/probe.js";
import type { ReceiptWatcher } from "../chain/receipts.js";
import type { SignerPool } from "../chain/signers.js";
import { ok, type Outcome } from "./outcome.js";
import {
  authorizationKey,
  NETWORK_V1,
  NETWORK_V2,
  routePayment,
  settlementTerms,
  type FacilitatorRequest,
} from "./payment.js";
import * as reasons from "./reasons.js";
import { failure, Settlement } from "./settlement.js";
import { SingleFlight } from "./singleFlight.js";
import { PaymentVerifier, type PayerPolicy } from "./verifier.js";

export type { Outcome, ServiceError } from "./outcome.js";
export type { PayerPolicy } from "./verifier.js";
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

// A transaction dropped from the pool (a replica sharing the key took its nonce) is re-sent; bounded.
const MAX_SEND_ROUNDS = 3;

export class Facilitator {
  /** GET /supported, in @x402/core's own format. */
  readonly supported: ReturnType<x402Facilitator["getSupported"]>;
  private readonly settles = new SingleFlight<Outcome<SettleResponse>>();
  private readonly verifier: PaymentVerifier;
  private readonly settlement: Settlement;

  constructor(private readonly options: FacilitatorOptions) {
    // Account code (EOA or smart wallet) changes rarely; shared by all verifications for a few seconds.
    const codes = new CodeCache(options.client);
    const signers = options.signers.addresses;
    this.verifier = new PaymentVerifier({
      client: options.client,
      signers,
      codes,
      payers: options.payers,
      settledIn: (key) => this.settlement.settledIn(key),
    });
    this.settlement = new Settlement({
      client: options.client,
      signers: options.signers,
      receipts: options.receipts,
      verifier: this.verifier,
      codes,
      realSettle: options.realSettle,
      settleTimeoutMs: options.settleTimeoutMs,
      contractPayerGasLimit: options.payers.contractPayerGasLimit,
    });
    const probe = new VerifyProbe(options.client, signers, codes);
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
      return ok({
        isValid: false,
        invalidReason: routed.reason,
        invalidMessage: routed.message,
        ...payerField(routed.payer),
      });
    }
    return this.verifier.check(routed.payment);
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
    const { result, shared } = await this.settles.run(authorizationKey(payment), settlementTerms(payment), () =>
      this.settlement.settle(payment, MAX_SEND_ROUNDS),
    );
    if (!shared) return result;
    // One payment pays once: a request that joined a concurrent settle of the same authorization
    // learns where it went, and is never the second one told "paid".
    if (result.ok && result.value.success && result.value.transaction !== "") {
      const hash = result.value.transaction as Hex;
      return {
        ...ok(
          failure(
            payment,
            reasons.NONCE_ALREADY_USED,
            `this authorization was settled by a concurrent request in transaction ${hash}; one payment pays once`,
            hash,
          ),
        ),
        shared,
      };
    }
    return { ...result, shared };
  }
}

function payerField(payer: string | undefined): { payer?: string } {
  return payer ? { payer } : {};
}
