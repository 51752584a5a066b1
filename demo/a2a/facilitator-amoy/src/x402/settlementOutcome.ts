// What a /settle answer means for operations (the facilitator_settlements_total "outcome" label):
// only "failure" is the facilitator's own trouble and may page someone; "invalid" is the client's.
import type { SettleResponse } from "@x402/core/types";
import type { SettleOutcome } from "./facilitator.js";
import * as reasons from "./reasons.js";

export type SettlementOutcome = "success" | "failure" | "invalid" | "duplicate" | "pending" | "simulated";

/** A valid payment the facilitator could not settle. */
const FACILITATOR_FAILURES: ReadonlySet<string> = new Set([
  reasons.TRANSACTION_FAILED,
  reasons.TRANSFER_EVENT_MISMATCH,
  reasons.SIGNER_INSUFFICIENT_FUNDS,
  reasons.TRANSACTION_REJECTED,
]);

export function classifySettlement(outcome: SettleOutcome): { outcome: SettlementOutcome; reason: string } {
  if (!outcome.ok) return { outcome: "failure", reason: outcome.error.kind };
  const response: SettleResponse = outcome.value;
  const reason = response.errorReason ?? "";
  // Joined a concurrent settle of the same payment: its result is counted once, by the leader.
  if (outcome.shared) return { outcome: "duplicate", reason };
  if (response.success) return { outcome: response.extra?.simulated === true ? "simulated" : "success", reason: "" };
  if (reason === reasons.SETTLEMENT_PENDING) return { outcome: "pending", reason };
  // The authorization was already used (by us or by someone who broadcast it): nothing new was paid.
  if (reason === reasons.NONCE_ALREADY_USED || reason === reasons.SETTLED_ELSEWHERE)
    return { outcome: "duplicate", reason };
  if (FACILITATOR_FAILURES.has(reason)) return { outcome: "failure", reason };
  return { outcome: "invalid", reason };
}
