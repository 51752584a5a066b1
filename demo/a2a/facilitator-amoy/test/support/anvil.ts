// Test harness: a real local chain. Starts the anvil binary from @foundry-rs/anvil (directly, not
// through its node wrapper, so stopping it leaves nothing behind) on a free port with Amoy's chain id.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { AMOY_CHAIN_ID } from "../../src/chain/clients.js";

export { AMOY_CHAIN_ID };

export interface AnvilOptions {
  /** Interval mining (seconds) instead of mining each transaction at once. */
  readonly blockTime?: number;
  /** Listen address (default 127.0.0.1; 0.0.0.0 lets containers on this host reach it). */
  readonly host?: string;
  /** Listen port (default: a free one). */
  readonly port?: number;
}

export interface Anvil {
  readonly url: string;
  readonly port: number;
  /** The anvil process id (benchmarks read its CPU time). */
  readonly pid: number;
  /** Raw JSON-RPC call, e.g. `rpc("evm_setAutomine", [false])` then `rpc("evm_mine")`. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const require = createRequire(import.meta.url);
  return join(
    dirname(require.resolve(`${pkg}/package.json`)),
    "bin",
    process.platform === "win32" ? "anvil.exe" : "anvil",
  );
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const args = [
    "--host",
    options.host ?? "127.0.0.1",
    "--port",
    String(options.port ?? 0),
    "--chain-id",
    String(AMOY_CHAIN_ID),
  ];
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));

  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => fail(new Error(`anvil did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on [\d.]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume(); // keep draining so anvil never blocks on a full pipe
        resolve(Number(match[1]));
      }
    };
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => fail(new Error(`anvil exited with ${code}:\n${output}`)));
  });

  const url = `http://127.0.0.1:${port}`;
  let id = 0;
  return {
    url,
    port,
    pid: child.pid!,
    async rpc<T>(method: string, params: unknown[] = []): Promise<T> {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
      });
      const body = (await response.json()) as { result?: T; error?: { message: string } };
      if (body.error) throw new Error(`${method}: ${body.error.message}`);
      return body.result as T;
    },
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
