// Test harness: keys. Only anvil's well-known dev accounts, derived from anvil's published test
// mnemonic (public test keys, funded with test ETH by every anvil; never use them anywhere real).
import { toHex, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

export const ANVIL_TEST_MNEMONIC = "test test test test test test test test test test test junk";

export interface DevAccount {
  readonly account: PrivateKeyAccount;
  /** The anvil dev key (public test key): only ever passed to local test processes. */
  readonly privateKey: Hex;
}

/** anvil dev key #index (public test key). */
export function devAccount(index: number): DevAccount {
  const hd = mnemonicToAccount(ANVIL_TEST_MNEMONIC, { addressIndex: index });
  const privateKey = toHex(hd.getHdKey().privateKey!);
  return { account: privateKeyToAccount(privateKey), privateKey };
}

/** The roles the suites use, each a distinct anvil dev account. */
export const roles = {
  deployer: () => devAccount(0),
  facilitator: () => devAccount(1),
  buyer: () => devAccount(2),
  seller: () => devAccount(3),
  stranger: () => devAccount(4),
} as const;
