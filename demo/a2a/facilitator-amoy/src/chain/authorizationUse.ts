// Chain layer: which transaction used an EIP-3009 authorization, and what it moved. EIP-3009 tokens
// (Circle's FiatToken included) emit AuthorizationUsed(authorizer indexed, nonce indexed) when an
// authorization is consumed, and AuthorizationCanceled when the payer cancels it instead.
import {
  erc20Abi,
  getAddress,
  isAddressEqual,
  parseAbiItem,
  parseEventLogs,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { AmoyClient } from "./clients.js";

const AUTHORIZATION_USED = parseAbiItem("event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)");
/**
 * How far back to look: Amoy makes a block about every 2 s, so ~33 minutes. A settlement that lost a
 * race is looked up moments later; public RPC providers cap eth_getLogs ranges (often 1,000-10,000 blocks).
 */
export const AUTHORIZATION_LOOKBACK_BLOCKS = 1_000n;

export interface AuthorizationUse {
  readonly hash: Hex;
  /** Who sent the transaction that used it. */
  readonly sender: Address;
  readonly receipt: TransactionReceipt;
}

/** The transaction that used (from, nonce) within the lookback window, if any. Throws on RPC failure. */
export async function findAuthorizationUse(
  client: AmoyClient,
  token: Address,
  from: Address,
  nonce: Hex,
): Promise<AuthorizationUse | undefined> {
  const latest = await client.getBlockNumber();
  const fromBlock = latest > AUTHORIZATION_LOOKBACK_BLOCKS ? latest - AUTHORIZATION_LOOKBACK_BLOCKS : 0n;
  const logs = await client.getLogs({
    address: token,
    event: AUTHORIZATION_USED,
    args: { authorizer: from, nonce },
    fromBlock,
    toBlock: latest,
  });
  const hash = logs[0]?.transactionHash;
  if (!hash) return undefined;
  const [receipt, transaction] = await Promise.all([
    client.getTransactionReceipt({ hash }),
    client.getTransaction({ hash }),
  ]);
  return { hash, sender: getAddress(transaction.from), receipt };
}

/** The receipt shows `amount` of `token` moved from `from` to `to` (a Transfer log emitted by the token itself). */
export function transferred(
  receipt: TransactionReceipt,
  token: Address,
  from: Address,
  to: Address,
  amount: bigint,
): boolean {
  if (receipt.status !== "success") return false;
  const logs = receipt.logs.filter((log) => isAddressEqual(log.address, token));
  return parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs }).some(
    (log) => isAddressEqual(log.args.from, from) && isAddressEqual(log.args.to, to) && log.args.value === amount,
  );
}
