// `npm run demo`: the whole x402 flow on a local chain, no cloud account needed.
// anvil (chain id 80002) → TestUSDC → funded buyer → this facilitator (REAL_SETTLE=true) →
// a paid resource server (official @x402/express middleware) → a buyer (official @x402/fetch).
// Prints each step and both balances, then stops everything it started.
import { HTTPFacilitatorClient } from "@x402/core/server";
import type { Network } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { paymentMiddleware, x402ResourceServer } from "@x402/express";
import { decodePaymentResponseHeader, wrapFetchWithPayment } from "@x402/fetch";
import { decodePaymentRequiredHeader } from "@x402/core/http";
import express from "express";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { formatUnits } from "viem";
import { buyerClient } from "../test/support/payments.js";
import { startFacilitator, freePort, type FacilitatorProcess } from "../test/support/facilitator.js";
import { startTestChain, type TestChain } from "../test/support/chain.js";
import { SERVICE_DIR, usdc } from "../test/support/token.js";

const NETWORK: Network = "eip155:80002";
const PRICE = usdc(0.01);
const step = (n: number, text: string) => console.log(`\n[${n}] ${text}`);
const show = (label: string, value: unknown) =>
  console.log(`    ${label}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
const amount = (atomic: bigint) => `${formatUnits(atomic, 6)} USDC`;

let chain: TestChain | undefined;
let facilitator: FacilitatorProcess | undefined;
let resourceServer: Server | undefined;
let bundleDir: string | undefined;

async function main(): Promise<void> {
  step(1, "Starting a local chain (anvil, chain id 80002), deploying TestUSDC and funding the buyer");
  chain = await startTestChain({ buyerFunds: usdc(10) });
  const { token, buyer, seller } = chain;
  show("chain", chain.anvil.url);
  show("TestUSDC", token.address);
  show("buyer", buyer.account.address);
  show("seller (payTo)", seller.account.address);

  step(2, "Building the facilitator bundle and starting it with REAL_SETTLE=true");
  // The same self-contained bundle the image ships, built aside so a dist/ in use is left alone.
  bundleDir = await mkdtemp(join(tmpdir(), "facilitator-demo-"));
  await promisify(execFile)(process.execPath, ["scripts/build.mjs", bundleDir], { cwd: SERVICE_DIR });
  facilitator = await startFacilitator({ env: chain.facilitatorEnv({ LOG_LEVEL: "warn" }), distDir: bundleDir });
  show("facilitator", facilitator.url);
  show("GET /supported", await (await fetch(`${facilitator.url}/supported`)).json());

  step(3, "Starting a paid resource server (official x402 Express middleware)");
  const port = await freePort();
  const app = express();
  const server = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitator.url })).register(
    NETWORK,
    new ExactEvmScheme(),
  );
  app.use(
    paymentMiddleware(
      {
        "GET /weather": {
          accepts: {
            scheme: "exact",
            network: NETWORK,
            payTo: seller.account.address,
            price: { amount: PRICE.toString(), asset: token.address, extra: { name: "USDC", version: "2" } },
          },
          description: "Today's weather",
        },
      },
      server,
    ),
  );
  app.get("/weather", (_req, res) => {
    res.json({ city: "Amoy", forecast: "sunny", temperatureC: 24 });
  });
  resourceServer = await new Promise<Server>((resolve) => {
    const s = app.listen(port, "127.0.0.1", () => resolve(s));
  });
  const resourceUrl = `http://127.0.0.1:${port}/weather`;
  show("resource", `${resourceUrl} (price ${amount(PRICE)})`);

  const before = {
    buyer: await token.balanceOf(buyer.account.address),
    seller: await token.balanceOf(seller.account.address),
  };
  step(4, "Balances before");
  show("buyer", amount(before.buyer));
  show("seller", amount(before.seller));

  step(5, "Buyer requests the resource without paying");
  const unpaid = await fetch(resourceUrl);
  show("status", `${unpaid.status} ${unpaid.statusText}`);
  const required = decodePaymentRequiredHeader(unpaid.headers.get("payment-required") ?? "");
  const accepted = required.accepts[0]!;
  show("requirements", {
    scheme: accepted.scheme,
    network: accepted.network,
    asset: accepted.asset,
    amount: accepted.amount,
    payTo: accepted.payTo,
  });

  step(6, "Buyer pays with the official x402 fetch client");
  const client = buyerClient(buyer.account, token.address).onAfterPaymentCreation(async ({ paymentPayload }) => {
    const auth = paymentPayload.payload.authorization as Record<string, string>;
    show("signed EIP-3009 authorization", { from: auth.from, to: auth.to, value: auth.value, nonce: auth.nonce });
  });
  const paid = await wrapFetchWithPayment(fetch, client)(resourceUrl);
  show("status", `${paid.status} ${paid.statusText}`);
  if (paid.status !== 200) throw new Error(`expected 200 after paying, got ${paid.status}: ${await paid.text()}`);
  show("resource", await paid.json());
  const settlement = decodePaymentResponseHeader(paid.headers.get("payment-response") ?? "");
  show("settlement", { success: settlement.success, network: settlement.network, transaction: settlement.transaction });

  step(7, "Balances after");
  const after = {
    buyer: await token.balanceOf(buyer.account.address),
    seller: await token.balanceOf(seller.account.address),
  };
  show("buyer", `${amount(after.buyer)} (${amount(after.buyer - before.buyer)})`);
  show("seller", `${amount(after.seller)} (+${amount(after.seller - before.seller)})`);
  if (before.buyer - after.buyer !== PRICE || after.seller - before.seller !== PRICE)
    throw new Error("balances did not move by the price");
  console.log("\nDone: paid, settled on chain, and served.");
}

async function stopAll(): Promise<void> {
  await new Promise<void>((resolve) => (resourceServer ? resourceServer.close(() => resolve()) : resolve()));
  await facilitator?.stop();
  await chain?.stop();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
}

main().then(stopAll, async (error: unknown) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  if (facilitator) console.error(`facilitator output:\n${facilitator.output()}`);
  await stopAll();
  process.exitCode = 1;
});
