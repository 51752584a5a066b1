// Human-readable invalidMessage for the reason codes @x402/evm returns without one,
// so every rejection names the problem (and, where there is one, the fix).
import { requiredAmount, type Payment } from "./payment.js";
import * as reasons from "./reasons.js";

export function explainReason(reason: string | undefined, payment: Payment): string | undefined {
  const { authorization: a, request } = payment;
  const r = request.paymentRequirements;
  const amount = requiredAmount(request);
  switch (reason) {
    case reasons.RECIPIENT_MISMATCH:
      return `authorization pays ${a.to}, but the requirements' payTo is ${r.payTo}`;
    case reasons.AUTHORIZATION_VALUE_MISMATCH:
    case reasons.INVALID_AUTHORIZATION_VALUE:
      return `authorization value ${a.value} differs from the required amount ${amount}`;
    case reasons.VALID_BEFORE_EXPIRED:
      return `authorization expired (validBefore ${a.validBefore}, now ${Math.floor(Date.now() / 1000)}; at least 6 s must remain): sign a new one`;
    case reasons.VALID_AFTER_IN_FUTURE:
      return `authorization is not valid yet (validAfter ${a.validAfter}, now ${Math.floor(Date.now() / 1000)})`;
    case reasons.INVALID_SIGNATURE:
      return `signature is not ${a.from}'s over this TransferWithAuthorization (EIP-712 domain "${String(r.extra?.name)}" version "${String(r.extra?.version)}", chain 80002, token ${r.asset})`;
    case reasons.NETWORK_MISMATCH:
      return "the network in paymentPayload differs from paymentRequirements.network";
    case reasons.INVALID_SCHEME:
      return "the scheme in paymentPayload differs from paymentRequirements.scheme";
    case reasons.MISSING_EIP712_DOMAIN:
      return 'paymentRequirements.extra must carry the token\'s EIP-712 domain: {"name": "USDC", "version": "2"}';
    case reasons.ASSET_NOT_CONTRACT:
      return `there is no contract at ${r.asset} on this chain`;
    case reasons.FACTORY_NOT_ALLOWED:
      return "the payer is an undeployed smart wallet (ERC-6492); this facilitator does not deploy wallets";
    default:
      return undefined;
  }
}
