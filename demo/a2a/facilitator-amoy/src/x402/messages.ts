// Human-readable invalidMessage for the reason codes @x402/evm returns without one,
// so every rejection names the problem (and, where there is one, the fix).
import type { Payment } from "./payment.js";

export function explainReason(reason: string | undefined, payment: Payment): string | undefined {
  const { authorization: a, request } = payment;
  const r = request.paymentRequirements;
  const amount = request.x402Version === 2 ? request.paymentRequirements.amount : request.paymentRequirements.maxAmountRequired;
  switch (reason) {
    case "invalid_exact_evm_recipient_mismatch":
      return `authorization pays ${a.to}, but the requirements' payTo is ${r.payTo}`;
    case "invalid_exact_evm_payload_authorization_value_mismatch":
    case "invalid_exact_evm_authorization_value":
      return `authorization value ${a.value} differs from the required amount ${amount}`;
    case "invalid_exact_evm_payload_authorization_valid_before":
      return `authorization expired (validBefore ${a.validBefore}, now ${Math.floor(Date.now() / 1000)}; at least 6 s must remain): sign a new one`;
    case "invalid_exact_evm_payload_authorization_valid_after":
      return `authorization is not valid yet (validAfter ${a.validAfter}, now ${Math.floor(Date.now() / 1000)})`;
    case "invalid_exact_evm_signature":
      return `signature is not ${a.from}'s over this TransferWithAuthorization (EIP-712 domain "${String(r.extra?.name)}" version "${String(r.extra?.version)}", chain 80002, token ${r.asset})`;
    case "invalid_exact_evm_network_mismatch":
      return "the network in paymentPayload differs from paymentRequirements.network";
    case "invalid_exact_evm_scheme":
      return "the scheme in paymentPayload differs from paymentRequirements.scheme";
    case "invalid_exact_evm_missing_eip712_domain":
      return 'paymentRequirements.extra must carry the token\'s EIP-712 domain: {"name": "USDC", "version": "2"}';
    case "asset_not_deployed_contract":
      return `there is no contract at ${r.asset} on this chain`;
    case "eip6492_factory_not_allowed":
      return "the payer is an undeployed smart wallet (ERC-6492); this facilitator does not deploy wallets";
    default:
      return undefined;
  }
}
