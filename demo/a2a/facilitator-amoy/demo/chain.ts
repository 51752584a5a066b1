// `npm run chain`: a local Polygon Amoy for the `local` stack. anvil with chain id 80002 on
// 0.0.0.0:8545 (`--port N` or PORT to change it; 0.0.0.0 so containers on this host reach it),
// the repository's test token (contracts/TestUSDC.sol), a funded buyer; prints the stack config
// that points at them, then runs until Ctrl-C. The same chain setup as `npm run demo` and the
// tests (test/support/chain.ts); only anvil's published dev keys are used.
import { formatEther, formatUnits, getAddress } from "viem";
import { startTestChain, type TestChain } from "../test/support/chain.js";
import { usdc } from "../test/support/token.js";

const DEFAULT_PORT = 8545;
const BUYER_FUNDS = usdc(1_000);
const USAGE = "usage: npm run chain [-- --port N]   (or PORT=N; default 8545)";

/** `--port N`, `--port=N`, else PORT, else 8545. */
function chainPort(argv: readonly string[], env: Record<string, string | undefined>): number {
  let text: string | undefined = env.PORT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--port") text = argv[++i] ?? "";
    else if (arg.startsWith("--port=")) text = arg.slice("--port=".length);
    else if (arg === "-h" || arg === "--help") throw new UsageError("");
    else throw new UsageError(`unknown argument '${arg}'`);
  }
  if (text === undefined || text.trim() === "") return DEFAULT_PORT;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 65535)
    throw new UsageError(`the port must be an integer from 1 to 65535 (got "${text}")`);
  return Number(text);
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const port = chainPort(process.argv.slice(2), process.env);
  let chain: TestChain;
  try {
    chain = await startTestChain({ host: "0.0.0.0", port, buyerFunds: BUYER_FUNDS });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/address already in use|os error 98|EADDRINUSE/i.test(message)) {
      throw new Error(`port ${port} is in use (another chain?): stop it, or run npm run chain -- --port ${port + 1}`);
    }
    throw error;
  }
  const { token, facilitator, buyer } = chain;
  const signerBalance = await chain.anvil.rpc<string>("eth_getBalance", [facilitator.account.address, "latest"]);
  const say = (line = "") => process.stdout.write(`${line}\n`);

  say(`Local chain: anvil, chain id 80002, listening on 0.0.0.0:${port}`);
  say(`  RPC from this machine:  http://127.0.0.1:${port}`);
  say(`  RPC from a container:   http://host.docker.internal:${port}`);
  say(`  TestUSDC (USDC, EIP-712 version 2, 6 decimals): ${getAddress(token.address)}`);
  say(
    `  signer: ${facilitator.account.address}  ${formatEther(BigInt(signerBalance))} POL for gas  (anvil dev key #1)`,
  );
  say(
    `  buyer:  ${buyer.account.address}  ${formatUnits(BUYER_FUNDS, 6)} USDC  key ${buyer.privateKey}  (anvil dev key #2)`,
  );
  say();
  say("anvil's dev keys are published test keys: anyone can spend from them on any real chain. Local use only.");
  say("Point the local stack at this chain:");
  say();
  say(`pulumi config set --stack local --secret facilitator:rpcUrl http://host.docker.internal:${port}`);
  say(`pulumi config set --stack local facilitator:usdcAddress ${getAddress(token.address)}`);
  say(
    `pulumi config set --stack local --secret facilitator:privateKey ${facilitator.privateKey}   # anvil dev key #1 (public test key)`,
  );
  say();
  say("Ctrl-C stops the chain; its state goes with it (a new start deploys the token at the same address).");

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await chain.stop();
  say(`\n${signal}: chain stopped.`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    if (error.message) process.stderr.write(`chain: ${error.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`chain: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
