// Nobody makes the facilitator pay gas for nothing, and a payment that landed is reported as landed.
// Each case is what a caller who wants free resources, or wants us to pay gas, would send; anvil
// plays the chain (automine off where the attack needs a transaction to sit in the pool).
import type { PaymentRequirements } from "@x402/core/types";
import { eip3009ABI } from "@x402/evm";
import {
  createWalletClient,
  encodeFunctionData,
  getAddress,
  http,
  parseGwei,
  parseSignature,
  type Address,
  type Hex,
} from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { devAccount } from "./support/accounts.js";
import { startTestChain, type TestChain } from "./support/chain.js";
import { createInProcessFacilitator, type InProcessFacilitator } from "./support/inProcess.js";
import {
  APPROVE_EVERYTHING,
  APPROVE_NOTHING,
  contractPayerPayment,
  randomNonce,
  requirementsV2,
  signPaymentV2,
} from "./support/payments.js";
import { localAmoy, usdc } from "./support/token.js";

/** Counts down from 0x8000 (~850k gas), then returns the magic value: a signature check that burns gas. */
const BURN_THEN_APPROVE: Hex = "0x6180005b600190038060035750631626ba7e60e01b60005260206000f3";

let chain: TestChain;
let service: InProcessFacilitator; // defaults: contract payers refused, minimum payment 1
let contracts: InProcessFacilitator; // ALLOW_CONTRACT_PAYERS=true

beforeAll(async () => {
  chain = await startTestChain();
  service = createInProcessFacilitator(chain.facilitatorEnv({ SETTLE_TIMEOUT_MS: "20000" }));
  contracts = createInProcessFacilitator(
    chain.facilitatorEnv({ SETTLE_TIMEOUT_MS: "20000", ALLOW_CONTRACT_PAYERS: "true" }),
  );
});

afterEach(async () => {
  await chain.anvil.rpc("evm_setAutomine", [true]);
});

afterAll(async () => {
  await Promise.all([service?.close(), contracts?.close()]);
  await chain?.stop();
});

const requirements = (amount: bigint): PaymentRequirements =>
  requirementsV2({ asset: chain.token.address, payTo: chain.seller.account.address, amount });

const signerNonce = async (tag: "latest" | "pending" = "pending") =>
  Number(await chain.anvil.rpc<string>("eth_getTransactionCount", [chain.facilitator.account.address, tag]));

/** Resolves once the facilitator's signer has a transaction in the pool beyond `before`. */
async function untilBroadcast(before: number): Promise<void> {
  while ((await signerNonce("pending")) === before) await new Promise((r) => setTimeout(r, 20));
}

/** Mines every 100 ms until `work` settles (automine off). */
async function mining<T>(work: Promise<T>): Promise<T> {
  let done = false;
  const miner = (async () => {
    while (!done) {
      await chain.anvil.rpc("evm_mine");
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return await work;
  } finally {
    done = true;
    await miner;
  }
}

/** A contract payer (anvil_setCode) holding `funds`. */
async function contractPayer(code: Hex, funds: bigint): Promise<Address> {
  const wallet = getAddress(randomNonce().slice(0, 42));
  await chain.anvil.rpc("anvil_setCode", [wallet, code]);
  await chain.token.mint(wallet, funds);
  return wallet;
}

describe("no zero-value or dust settlements", () => {
  it("a zero-value authorization from an unfunded key is refused before any transaction", async () => {
    const presented = requirements(0n);
    const payload = await signPaymentV2(devAccount(7).account, presented); // anvil dev key #7: holds no USDC
    const before = await signerNonce();
    expect((await service.post("/verify", payload, presented)).body).toMatchObject({
      isValid: false,
      invalidReason: "amount_below_minimum",
    });
    const settle = await service.post("/settle", payload, presented);
    expect(settle.body).toMatchObject({ success: false, errorReason: "amount_below_minimum", transaction: "" });
    expect(String(settle.body.errorMessage)).toContain("MIN_PAYMENT_AMOUNT");
    expect(await signerNonce()).toBe(before);
  });

  it("MIN_PAYMENT_AMOUNT refuses anything below it and accepts it exactly", async () => {
    const floor = createInProcessFacilitator(chain.facilitatorEnv({ MIN_PAYMENT_AMOUNT: "1000" }));
    try {
      const below = requirements(999n);
      expect((await floor.post("/verify", await signPaymentV2(chain.buyer.account, below), below)).body).toMatchObject({
        invalidReason: "amount_below_minimum",
      });
      const at = requirements(1000n);
      expect((await floor.post("/settle", await signPaymentV2(chain.buyer.account, at), at)).body).toMatchObject({
        success: true,
      });
    } finally {
      await floor.close();
    }
  });
});

describe("pending debits are reserved per payer", () => {
  it("two authorizations that together exceed the balance, settled at once: one is sent, the other refused before broadcast", async () => {
    const payer = devAccount(5); // anvil dev key #5
    await chain.token.mint(payer.account.address, usdc(15));
    const presented = requirements(usdc(10));
    const [first, second] = await Promise.all([
      signPaymentV2(payer.account, presented),
      signPaymentV2(payer.account, presented),
    ]);
    const before = await signerNonce();
    await chain.anvil.rpc("evm_setAutomine", [false]);
    const results = await mining(
      Promise.all([service.post("/settle", first!, presented), service.post("/settle", second!, presented)]),
    );

    expect(results.filter((r) => r.body.success === true)).toHaveLength(1);
    const refused = results.find((r) => r.body.success !== true)!;
    expect(refused.body).toMatchObject({ errorReason: "invalid_exact_evm_insufficient_balance", transaction: "" });
    expect(String(refused.body.errorMessage)).toContain("pending");
    expect(await signerNonce()).toBe(before + 1); // one transaction, none reverted at our cost
    expect(await chain.token.balanceOf(payer.account.address)).toBe(usdc(5));
  });
});

describe("contract payers: opt-in, gas-capped, cooled down after a revert", () => {
  it("a contract payer whose signature check burns gas is refused before broadcast (CONTRACT_PAYER_GAS_LIMIT)", async () => {
    const wallet = await contractPayer(BURN_THEN_APPROVE, usdc(5));
    const presented = requirements(usdc(1));
    const payload = contractPayerPayment(wallet, presented);
    expect((await service.post("/settle", payload, presented)).body).toMatchObject({
      errorReason: "contract_payer_not_allowed",
    });
    const before = await signerNonce();
    const settle = await contracts.post("/settle", payload, presented);
    expect(settle.body).toMatchObject({
      success: false,
      errorReason: "contract_payer_gas_limit_exceeded",
      transaction: "",
    });
    expect(String(settle.body.errorMessage)).toMatch(/needs \d+ gas, above the cap of 200000/);
    expect(await signerNonce()).toBe(before);
  });

  it("a contract payer that passes simulation and reverts on chain is refused afterwards (cool-down)", async () => {
    const wallet = await contractPayer(APPROVE_EVERYTHING, usdc(5));
    const presented = requirements(usdc(1));
    const before = await signerNonce();
    await chain.anvil.rpc("evm_setAutomine", [false]);
    const settling = contracts.post("/settle", contractPayerPayment(wallet, presented), presented);
    await untilBroadcast(before);
    await chain.anvil.rpc("anvil_setCode", [wallet, APPROVE_NOTHING]); // the wallet changes its mind once our transaction waits
    const settle = await mining(settling);
    expect(settle.body).toMatchObject({ success: false, errorReason: "invalid_exact_evm_transaction_failed" });

    await chain.anvil.rpc("evm_setAutomine", [true]);
    await chain.anvil.rpc("anvil_setCode", [wallet, APPROVE_EVERYTHING]);
    const again = await contracts.post("/verify", contractPayerPayment(wallet, presented), presented);
    expect(again.body).toMatchObject({ isValid: false, invalidReason: "payer_cooling_down" });
    expect(String(again.body.invalidMessage)).toContain("reverted on chain");
  });
});

describe("a payment that landed is reported as landed", () => {
  it("an authorization broadcast by someone else from the mempool: the answer names their transaction, the seller is paid once", async () => {
    const presented = requirements(usdc(2));
    const payload = await signPaymentV2(chain.buyer.account, presented);
    const sellerBefore = await chain.token.balanceOf(chain.seller.account.address);
    const before = await signerNonce();
    await chain.anvil.rpc("evm_setAutomine", [false]);
    const settling = service.post("/settle", payload, presented);
    await untilBroadcast(before);

    // A mempool watcher copies the authorization into its own transaction with a higher tip (anvil orders by fee).
    const watcher = createWalletClient({
      chain: localAmoy(chain.anvil.url),
      transport: http(chain.anvil.url),
      account: devAccount(8).account,
    });
    const a = payload.payload.authorization as Record<string, string>;
    const { r, s, v } = parseSignature(payload.payload.signature as Hex);
    const data = encodeFunctionData({
      abi: eip3009ABI,
      functionName: "transferWithAuthorization",
      args: [
        a.from as Address,
        a.to as Address,
        BigInt(a.value!),
        BigInt(a.validAfter!),
        BigInt(a.validBefore!),
        a.nonce as Hex,
        Number(v),
        r,
        s,
      ],
    });
    const theirs = await watcher.sendTransaction({
      to: chain.token.address,
      data,
      gas: 200_000n,
      maxPriorityFeePerGas: parseGwei("500"),
      maxFeePerGas: parseGwei("1000"),
    });
    const settle = await mining(settling);

    expect(settle.body).toMatchObject({
      success: false,
      errorReason: "authorization_settled_elsewhere",
      transaction: theirs,
    });
    expect(String(settle.body.errorMessage)).toContain(devAccount(8).account.address);
    expect(await chain.token.balanceOf(chain.seller.account.address)).toBe(sellerBefore + usdc(2));
  });

  it("a payment another replica settled: the second replica names that transaction instead of saying 'paid' again", async () => {
    const replica = createInProcessFacilitator(chain.facilitatorEnv()); // same key, its own memory
    try {
      const presented = requirements(usdc(1));
      const payload = await signPaymentV2(chain.buyer.account, presented);
      const first = await service.post("/settle", payload, presented);
      expect(first.body).toMatchObject({ success: true });
      const second = await replica.post("/settle", payload, presented);
      expect(second.body).toMatchObject({
        success: false,
        errorReason: "invalid_exact_evm_nonce_already_used",
        transaction: first.body.transaction,
      });
      expect(String(second.body.errorMessage)).toContain("already settled by this facilitator");
    } finally {
      await replica.close();
    }
  });
});
