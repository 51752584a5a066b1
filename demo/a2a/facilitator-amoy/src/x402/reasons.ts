// Reason codes in invalidReason / errorReason. Where @x402/evm has a code for a case we detect
// ourselves, we use its exact string so clients see one vocabulary.

// Our own, for what the scheme library never sees (routing happens before it).
export const UNSUPPORTED_SCHEME = "unsupported_scheme";
export const UNSUPPORTED_NETWORK = "unsupported_network";
export const UNSUPPORTED_ASSET = "unsupported_asset";
export const SIGNER_INSUFFICIENT_FUNDS = "facilitator_signer_insufficient_funds";
export const TRANSACTION_REJECTED = "transaction_rejected";
/** Below MIN_PAYMENT_AMOUNT (a zero-value payment is always below). */
export const AMOUNT_BELOW_MINIMUM = "amount_below_minimum";
/** The payer has code (a smart wallet) and ALLOW_CONTRACT_PAYERS is off. */
export const CONTRACT_PAYER_NOT_ALLOWED = "contract_payer_not_allowed";
/** A contract payer's settlement would need more gas than CONTRACT_PAYER_GAS_LIMIT. */
export const CONTRACT_PAYER_GAS_LIMIT_EXCEEDED = "contract_payer_gas_limit_exceeded";
/** An earlier settlement of this payer reverted on chain: refused for PAYER_REVERT_COOLDOWN_SECONDS. */
export const PAYER_COOLING_DOWN = "payer_cooling_down";
/** The authorization was used by a transaction this facilitator did not send; `transaction` names it. */
export const SETTLED_ELSEWHERE = "authorization_settled_elsewhere";

// Same strings as @x402/evm (its constants are not exported).
export const UNSUPPORTED_PAYLOAD_TYPE = "unsupported_payload_type";
export const SIMULATION_FAILED = "invalid_exact_evm_transaction_simulation_failed";
export const NONCE_ALREADY_USED = "invalid_exact_evm_nonce_already_used";
export const INSUFFICIENT_BALANCE = "invalid_exact_evm_insufficient_balance";
export const TOKEN_NAME_MISMATCH = "invalid_exact_evm_token_name_mismatch";
export const TOKEN_VERSION_MISMATCH = "invalid_exact_evm_token_version_mismatch";
export const TRANSACTION_FAILED = "invalid_exact_evm_transaction_failed";
export const TRANSFER_EVENT_MISMATCH = "invalid_exact_evm_transfer_event_mismatch";
export const INVALID_SCHEME = "invalid_exact_evm_scheme";
export const NETWORK_MISMATCH = "invalid_exact_evm_network_mismatch";
export const MISSING_EIP712_DOMAIN = "invalid_exact_evm_missing_eip712_domain";
export const INVALID_SIGNATURE = "invalid_exact_evm_signature";
export const RECIPIENT_MISMATCH = "invalid_exact_evm_recipient_mismatch";
export const VALID_BEFORE_EXPIRED = "invalid_exact_evm_payload_authorization_valid_before";
export const VALID_AFTER_IN_FUTURE = "invalid_exact_evm_payload_authorization_valid_after";
/** v2's name for a value that differs from the required amount; v1 says INVALID_AUTHORIZATION_VALUE. */
export const AUTHORIZATION_VALUE_MISMATCH = "invalid_exact_evm_payload_authorization_value_mismatch";
export const INVALID_AUTHORIZATION_VALUE = "invalid_exact_evm_authorization_value";
export const ASSET_NOT_CONTRACT = "asset_not_deployed_contract";
export const FACTORY_NOT_ALLOWED = "eip6492_factory_not_allowed";
/** Broadcast, receipt not seen in time: retry the same settle to pick up the same transaction. */
export const SETTLEMENT_PENDING = "settlement_pending";
