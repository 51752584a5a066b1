// Test harness: one call for the usual fixture — anvil, the test token, a funded buyer.
import type { Address } from "viem";
import { roles, type DevAccount } from "./accounts.js";
import { startAnvil, type Anvil, type AnvilOptions } from "./anvil.js";
import { deployTestUsdc, usdc, type TestToken } from "./token.js";

export interface TestChain {
  readonly anvil: Anvil;
  readonly token: TestToken;
  readonly facilitator: DevAccount;
  readonly buyer: DevAccount;
  readonly seller: DevAccount;
  /** Env for a facilitator process on this chain (REAL_SETTLE=true; override as needed). */
  facilitatorEnv(overrides?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

/** Starts anvil (chain id 80002), deploys TestUSDC and gives the buyer `buyerFunds` (default 100 USDC). */
export async function startTestChain(options: AnvilOptions & { buyerFunds?: bigint } = {}): Promise<TestChain> {
  const anvil = await startAnvil(options);
  try {
    const token = await deployTestUsdc(anvil.url, roles.deployer().account);
    const buyer = roles.buyer();
    await token.mint(buyer.account.address, options.buyerFunds ?? usdc(100));
    const facilitator = roles.facilitator();
    return {
      anvil,
      token,
      facilitator,
      buyer,
      seller: roles.seller(),
      facilitatorEnv: (overrides = {}) => ({
        FACILITATOR_PRIVATE_KEY: facilitator.privateKey,
        AMOY_RPC_URL: anvil.url,
        AMOY_USDC_ADDRESS: token.address as Address,
        REAL_SETTLE: "true",
        LOG_LEVEL: "info",
        ...overrides,
      }),
      stop: () => anvil.stop(),
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}
