// Test harness: the EIP-3009 test token (contracts/TestUSDC.sol). solc-js is slow, so the compiled
// output is cached under node_modules/.cache (gitignored), keyed by the source and compiler version.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, http, type Abi, type Address, type Chain, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { polygonAmoy } from "viem/chains";

export const SERVICE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SOURCE = join(SERVICE_DIR, "contracts", "TestUSDC.sol");
const CACHE_DIR = join(SERVICE_DIR, "node_modules", ".cache", "facilitator-amoy-test");

/** USDC has 6 decimals: 1 USDC = 1_000_000 atomic units. */
export const usdc = (amount: number): bigint => BigInt(Math.round(amount * 1_000_000));

export interface CompiledContract {
  readonly abi: Abi;
  readonly bytecode: Hex;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

export async function compileTestUsdc(): Promise<CompiledContract> {
  const require = createRequire(import.meta.url);
  const solc = require("solc") as { version(): string; compile(input: string): string };
  const source = await readFile(SOURCE, "utf8");
  const key = createHash("sha256").update(solc.version()).update(source).digest("hex").slice(0, 16);
  const cached = join(CACHE_DIR, `TestUSDC-${key}.json`);
  try {
    return JSON.parse(await readFile(cached, "utf8")) as CompiledContract;
  } catch {
    // not cached yet
  }
  const input = {
    language: "Solidity",
    sources: { "TestUSDC.sol": { content: source } },
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0)
    throw new Error(`TestUSDC.sol does not compile:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  const contract = output.contracts["TestUSDC.sol"]!["TestUSDC"]!;
  const compiled: CompiledContract = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  await mkdir(CACHE_DIR, { recursive: true });
  const temporary = `${cached}.${process.pid}.tmp`; // parallel workers: write aside, then rename atomically
  await writeFile(temporary, JSON.stringify(compiled));
  await rename(temporary, cached);
  return compiled;
}

/** Polygon Amoy's definition, served by a local RPC (anvil runs with chain id 80002). */
export function localAmoy(rpcUrl: string): Chain {
  return { ...polygonAmoy, rpcUrls: { default: { http: [rpcUrl] } } };
}

export interface TestToken {
  readonly address: Address;
  mint(to: Address, amount: bigint): Promise<void>;
  balanceOf(owner: Address): Promise<bigint>;
  authorizationState(authorizer: Address, nonce: Hex): Promise<boolean>;
}

/** Deploys TestUSDC from `deployer` (who may then mint). */
export async function deployTestUsdc(rpcUrl: string, deployer: PrivateKeyAccount): Promise<TestToken> {
  const { abi, bytecode } = await compileTestUsdc();
  const chain = localAmoy(rpcUrl);
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 });
  const wallet = createWalletClient({ chain, transport: http(rpcUrl), account: deployer });
  const hash = await wallet.deployContract({ abi, bytecode });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error("TestUSDC deployment has no contract address");
  const address = receipt.contractAddress;
  return {
    address,
    async mint(to, amount) {
      const tx = await wallet.writeContract({ address, abi, functionName: "mint", args: [to, amount] });
      await publicClient.waitForTransactionReceipt({ hash: tx });
    },
    async balanceOf(owner) {
      return (await publicClient.readContract({ address, abi, functionName: "balanceOf", args: [owner] })) as bigint;
    },
    async authorizationState(authorizer, nonce) {
      return (await publicClient.readContract({
        address,
        abi,
        functionName: "authorizationState",
        args: [authorizer, nonce],
      })) as boolean;
    },
  };
}
