// Test harness (load): many distinct payments, settled concurrently over real HTTP, and a check
// that every answer matches the chain. Shared by the load tests and the benchmark.
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import type { Hex } from "viem";
import type { DevAccount } from "./accounts.js";
import type { TestChain } from "./chain.js";
import { facilitatorBody, requirementsV2, signPaymentV2 } from "./payments.js";

export interface SignedPayment {
  readonly payload: PaymentPayload;
  readonly requirements: PaymentRequirements;
  readonly nonce: Hex;
}

export interface SettleAnswer {
  readonly payment: SignedPayment;
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly ms: number;
}

/** `count` distinct authorizations from the chain's buyer to its seller, `amount` atomic units each. */
export async function signPayments(chain: TestChain, count: number, amount: bigint): Promise<SignedPayment[]> {
  const requirements = requirementsV2({ asset: chain.token.address, payTo: chain.seller.account.address, amount });
  const payloads = await Promise.all(
    Array.from({ length: count }, () => signPaymentV2(chain.buyer.account, requirements)),
  );
  return payloads.map((payload) => ({
    payload,
    requirements,
    nonce: (payload.payload.authorization as { nonce: Hex }).nonce,
  }));
}

/** POSTs every payment to /settle at once; payment i goes to urls[i % urls.length]. */
export function settleConcurrently(
  urls: readonly string[],
  payments: readonly SignedPayment[],
  headers: Record<string, string> = {},
): Promise<SettleAnswer[]> {
  return Promise.all(
    payments.map(async (payment, i) => {
      const started = performance.now();
      const response = await fetch(`${urls[i % urls.length]}/settle`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(facilitatorBody(payment.payload, payment.requirements)),
      });
      const text = await response.text();
      return {
        payment,
        status: response.status,
        body: JSON.parse(text) as Record<string, unknown>,
        text,
        ms: performance.now() - started,
      };
    }),
  );
}

export interface ChainAgreement {
  readonly succeeded: number;
  readonly usedOnChain: number;
  /** Answers that disagree with the chain, described. Empty when every answer is true. */
  readonly mismatches: string[];
}

/**
 * Every answer against the chain: a success names a mined, successful transaction and the
 * authorization is used; an answer that is not a success leaves the authorization unused, unless
 * it says it is pending (and then it names a transaction).
 */
export async function compareWithChain(chain: TestChain, answers: readonly SettleAnswer[]): Promise<ChainAgreement> {
  const mismatches: string[] = [];
  let usedOnChain = 0;
  let succeeded = 0;
  for (const answer of answers) {
    const used = await chain.token.authorizationState(chain.buyer.account.address, answer.payment.nonce);
    if (used) usedOnChain++;
    const success = answer.status === 200 && answer.body.success === true;
    if (success) {
      succeeded++;
      const receipt = await chain.anvil.rpc<{ status: string } | null>("eth_getTransactionReceipt", [
        answer.body.transaction,
      ]);
      if (!used || receipt?.status !== "0x1")
        mismatches.push(
          `${answer.payment.nonce}: reported settled in ${String(answer.body.transaction)}, but used=${used}, receipt=${receipt?.status}`,
        );
    } else if (used && answer.body.errorReason !== "settlement_pending") {
      mismatches.push(`${answer.payment.nonce}: used on chain, but answered ${answer.status} ${answer.text}`);
    }
  }
  return { succeeded, usedOnChain, mismatches };
}

/** Lower-case hex bodies of the keys, to look for in captured output. */
export function keyMaterial(accounts: readonly DevAccount[]): string[] {
  return accounts.map((a) => a.privateKey.slice(2).toLowerCase());
}
