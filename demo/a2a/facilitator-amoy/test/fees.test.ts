// Polygon PoS's priority-fee floor. Source: PIP-35 (https://github.com/0xPolygon/Polygon-Improvement-Proposals/blob/main/PIPs/PIP-35.md,
// 25 gwei since PR #316/#326) and bor's pool admission error, quoted in
// https://github.com/WayfinderFoundation/wayfinder-paths-sdk/pull/379: "transaction gas price below
// minimum: gas tip cap X, minimum needed 25000000000". anvil accepts any tip, so a proxy in front of
// it refuses the way bor does.
import { parseGwei, parseTransaction, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { minimumTipDemanded, withTipFloor } from "../src/chain/fees.js";
import { startTestChain, type TestChain } from "./support/chain.js";
import { createInProcessFacilitator } from "./support/inProcess.js";
import { facilitatorBody, requirementsV2, signPaymentV2 } from "./support/payments.js";
import { startRpcProxy, type RpcProxy } from "./support/rpcProxy.js";
import { usdc } from "./support/token.js";

const BOR_MINIMUM_TIP = parseGwei("25");

describe("the tip floor (pure)", () => {
  it("raises a low tip to the floor and keeps the base-fee headroom of maxFeePerGas", () => {
    expect(
      withTipFloor({ maxPriorityFeePerGas: parseGwei("1"), maxFeePerGas: parseGwei("3") }, BOR_MINIMUM_TIP),
    ).toEqual({
      maxPriorityFeePerGas: parseGwei("25"),
      maxFeePerGas: parseGwei("27"),
    });
    const high = { maxPriorityFeePerGas: parseGwei("40"), maxFeePerGas: parseGwei("90") };
    expect(withTipFloor(high, BOR_MINIMUM_TIP)).toBe(high);
  });

  it("reads the minimum from bor's refusal, and nothing from other errors", () => {
    expect(
      minimumTipDemanded("transaction gas price below minimum: gas tip cap 1000000000, minimum needed 25000000000"),
    ).toBe(BOR_MINIMUM_TIP);
    expect(minimumTipDemanded("nonce too low")).toBeUndefined();
  });
});

describe("settling through a node that refuses tips below 25 gwei", () => {
  let chain: TestChain;
  let proxy: RpcProxy;
  const refused: bigint[] = [];
  const accepted: bigint[] = [];

  beforeAll(async () => {
    chain = await startTestChain();
    proxy = await startRpcProxy(chain.anvil.url);
    proxy.override((call) => {
      // Estimates can come back below the floor: this node suggests 1 gwei, as public Amoy RPCs have.
      if (call.method === "eth_maxPriorityFeePerGas") return { result: `0x${parseGwei("1").toString(16)}` };
      if (call.method !== "eth_sendRawTransaction") return undefined;
      const tip = parseTransaction(call.params![0] as Hex).maxPriorityFeePerGas ?? 0n;
      if (tip >= BOR_MINIMUM_TIP) {
        accepted.push(tip);
        return undefined;
      }
      refused.push(tip);
      return {
        error: {
          code: -32000,
          message: `transaction gas price below minimum: gas tip cap ${tip}, minimum needed ${BOR_MINIMUM_TIP}`,
        },
      };
    });
  });

  afterAll(async () => {
    await proxy?.stop();
    await chain?.stop();
  });

  async function settleOnce(env: Record<string, string>) {
    const service = createInProcessFacilitator(chain.facilitatorEnv({ AMOY_RPC_URL: proxy.url, ...env }));
    try {
      const presented = requirementsV2({
        asset: chain.token.address,
        payTo: chain.seller.account.address,
        amount: usdc(1),
      });
      const payload = await signPaymentV2(chain.buyer.account, presented);
      return (
        await service.server.inject({ method: "POST", url: "/settle", payload: facilitatorBody(payload, presented) })
      ).json<Record<string, unknown>>();
    } finally {
      await service.close();
    }
  }

  it("by default every settlement offers at least 25 gwei: nothing is refused (the node suggests 1 gwei)", async () => {
    refused.length = accepted.length = 0;
    expect(await settleOnce({})).toMatchObject({ success: true });
    expect(refused).toEqual([]);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]! >= BOR_MINIMUM_TIP).toBe(true);
  });

  it("with the floor set too low, the refusal is learned and the payment resent at the demanded tip, never lost", async () => {
    refused.length = accepted.length = 0;
    const answer = await settleOnce({ MIN_PRIORITY_FEE_GWEI: "0" });
    expect(answer).toMatchObject({ success: true });
    expect(refused).toHaveLength(1);
    expect(accepted).toEqual([BOR_MINIMUM_TIP]);
    const mined = await chain.anvil.rpc<{ maxPriorityFeePerGas: Hex }>("eth_getTransactionByHash", [
      answer.transaction,
    ]);
    expect(BigInt(mined.maxPriorityFeePerGas)).toBe(BOR_MINIMUM_TIP);
  });
});
