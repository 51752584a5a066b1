// Load: 200 distinct payments settled concurrently through the built service (real HTTP, real
// anvil) — one process with automine and with 1 s blocks, two processes sharing one key, and a
// two-key signer pool. Every answer must match the chain; the key never appears anywhere.
import { afterEach, describe, expect, it } from "vitest";
import { devAccount } from "./support/accounts.js";
import { startTestChain, type TestChain } from "./support/chain.js";
import { startFacilitator, type FacilitatorProcess } from "./support/facilitator.js";
import { compareWithChain, keyMaterial, settleConcurrently, signPayments, type SettleAnswer } from "./support/load.js";
import { usdc } from "./support/token.js";

const COUNT = 200;
const AMOUNT = usdc(0.01);
let chain: TestChain | undefined;
let services: FacilitatorProcess[] = [];

afterEach(async () => {
  await Promise.all(services.map((s) => s.stop()));
  services = [];
  await chain?.stop();
  chain = undefined;
});

async function expectAllLanded(c: TestChain, answers: SettleAnswer[]): Promise<void> {
  const summary = answers
    .filter((a) => a.body.success !== true)
    .slice(0, 5)
    .map((a) => `${a.status} ${a.text}`);
  expect(summary).toEqual([]);
  const agreement = await compareWithChain(c, answers);
  expect(agreement).toEqual({ succeeded: COUNT, usedOnChain: COUNT, mismatches: [] });
  expect(new Set(answers.map((a) => a.body.transaction)).size).toBe(COUNT);
  expect(await c.token.balanceOf(c.seller.account.address)).toBe(AMOUNT * BigInt(COUNT));
}

function expectNoKeys(keys: string[], answers: SettleAnswer[]): void {
  const everything = [...services.map((s) => s.output()), ...answers.map((a) => a.text)].join("\n").toLowerCase();
  for (const key of keys) expect(everything).not.toContain(key);
}

async function signerNonce(c: TestChain, address: string): Promise<number> {
  return Number(await c.anvil.rpc<string>("eth_getTransactionCount", [address, "latest"]));
}

describe(`${COUNT} concurrent settlements`, () => {
  for (const blockTime of [undefined, 1]) {
    it(`through one process, ${blockTime ? `${blockTime} s blocks` : "automine"}: all on chain, every answer true`, async () => {
      const c = (chain = await startTestChain({ blockTime }));
      services = [await startFacilitator({ env: c.facilitatorEnv({ LOG_LEVEL: "info" }) })];
      const payments = await signPayments(c, COUNT, AMOUNT);
      const answers = await settleConcurrently([services[0]!.url], payments);
      await expectAllLanded(c, answers);
      expect(await signerNonce(c, c.facilitator.account.address)).toBe(COUNT);
      expectNoKeys(keyMaterial([c.facilitator]), answers);
    });
  }

  it.each([
    ["automine", undefined],
    ["1 s blocks", 1],
  ])("split between two processes sharing one key, %s: all on chain, no nonce lost", async (_label, blockTime) => {
    const c = (chain = await startTestChain({ blockTime }));
    const env = c.facilitatorEnv({ LOG_LEVEL: "warn" });
    services = await Promise.all([startFacilitator({ env }), startFacilitator({ env })]);
    const payments = await signPayments(c, COUNT, AMOUNT);
    const answers = await settleConcurrently(
      services.map((s) => s.url),
      payments,
    );
    await expectAllLanded(c, answers);
    expect(await signerNonce(c, c.facilitator.account.address)).toBe(COUNT);
    expectNoKeys(keyMaterial([c.facilitator]), answers);
  });

  it("through a two-key signer pool: all on chain, spread over both keys", async () => {
    const c = (chain = await startTestChain());
    const second = devAccount(8); // anvil dev key #8 (public test key)
    const env = c.facilitatorEnv({
      FACILITATOR_PRIVATE_KEY: "",
      FACILITATOR_PRIVATE_KEYS: `${c.facilitator.privateKey},${second.privateKey}`,
    });
    services = [await startFacilitator({ env })];
    const payments = await signPayments(c, COUNT, AMOUNT);
    const answers = await settleConcurrently([services[0]!.url], payments);
    await expectAllLanded(c, answers);
    expect((await signerNonce(c, c.facilitator.account.address)) + (await signerNonce(c, second.account.address))).toBe(
      COUNT,
    );
    expect(await signerNonce(c, second.account.address)).toBeGreaterThanOrEqual(COUNT / 2 - 1);
    expectNoKeys(keyMaterial([c.facilitator, second]), answers);
  });
});
