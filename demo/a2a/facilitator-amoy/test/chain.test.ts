// `npm run chain` as a user runs it: the printed `pulumi config set --stack local` lines point at a
// chain that answers (chain id 80002, the test token, a funded buyer and signer), reachable from
// other hosts' view too (0.0.0.0), and Ctrl-C (SIGINT to the process group, as a terminal sends
// it) stops the chain.
import { spawn, type ChildProcess } from "node:child_process";
import { networkInterfaces } from "node:os";
import { afterAll, expect, it } from "vitest";
import { createPublicClient, http, isAddressEqual, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { roles } from "./support/accounts.js";
import { freePort } from "./support/facilitator.js";
import { compileTestUsdc, localAmoy, SERVICE_DIR, usdc } from "./support/token.js";

let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null)
    process.kill(-child.pid, "SIGKILL");
});

/** Resolves with everything printed once `done` matches it; rejects if the process exits first. */
function outputUntil(process_: ChildProcess, done: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`no match for ${done} within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (done.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    process_.stdout!.on("data", onData);
    process_.stderr!.on("data", onData);
    process_.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm run chain exited (${code ?? signal}) early:\n${output}`));
    });
  });
}

function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

async function chainIdAt(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(3_000),
    });
    return Number(((await response.json()) as { result: string }).result);
  } catch {
    return undefined;
  }
}

it("prints the local stack's config for a running chain with the test token, and stops on Ctrl-C", async () => {
  const port = await freePort();
  const { PORT: _ignored, ...env } = process.env;
  child = spawn("npm", ["run", "chain", "--", "--port", String(port)], {
    cwd: SERVICE_DIR,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child!.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let output = await outputUntil(child, /Ctrl-C stops the chain/, 120_000);

  const configLines = output.split("\n").filter((line) => line.startsWith("pulumi config set --stack local "));
  expect(configLines).toHaveLength(3);
  const value = (key: string) => {
    const line = configLines.find((l) => l.includes(` facilitator:${key} `));
    expect(line, key).toBeDefined();
    return line!.split(` facilitator:${key} `)[1]!.split(/\s+/)[0]!;
  };
  expect(configLines.find((l) => l.includes("facilitator:rpcUrl"))).toContain("--secret");
  expect(configLines.find((l) => l.includes("facilitator:privateKey"))).toMatch(
    /--secret .* # anvil dev key #1 \(public test key\)$/,
  );
  expect(value("rpcUrl")).toBe(`http://host.docker.internal:${port}`);
  const token = value("usdcAddress") as Address;
  const signer = privateKeyToAccount(value("privateKey") as Hex);
  expect(signer.address).toBe(roles.facilitator().account.address);

  // The token answers on that chain, from this machine and (0.0.0.0) on a non-loopback address.
  const rpc = `http://127.0.0.1:${port}`;
  const client = createPublicClient({ chain: localAmoy(rpc), transport: http(rpc) });
  expect(await client.getChainId()).toBe(80002);
  const { abi } = await compileTestUsdc();
  expect(await client.readContract({ address: token, abi, functionName: "name" })).toBe("USDC");
  expect(await client.readContract({ address: token, abi, functionName: "version" })).toBe("2");
  expect(
    await client.readContract({
      address: token,
      abi,
      functionName: "balanceOf",
      args: [roles.buyer().account.address],
    }),
  ).toBe(usdc(1_000));
  expect(await client.getBalance({ address: signer.address })).toBeGreaterThan(10n ** 18n);
  expect(isAddressEqual(token, "0x5FbDB2315678afecb367f032d93f642f64180aa3")).toBe(true); // deployer #0, nonce 0: the same on every start
  const lan = lanAddress();
  if (lan !== undefined) expect(await chainIdAt(`http://${lan}:${port}`)).toBe(80002);

  // Ctrl-C: the terminal signals the whole foreground process group.
  const stopped = new Promise<string>((resolve) => {
    child!.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/SIGINT: chain stopped\./.test(output)) resolve(output);
    });
  });
  process.kill(-child.pid!, "SIGINT");
  await stopped;
  const { code, signal } = await exited;
  expect(code === 0 || signal === "SIGINT", `exit ${code ?? signal}`).toBe(true);
  expect(await chainIdAt(rpc)).toBeUndefined();
}, 180_000);
