// Test harness: the facilitator as a child process (the built bundle, or the TypeScript source
// through tsx), with captured output, a free port, and a wait for /healthz.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { stopChild } from "./anvil.js";
import { SERVICE_DIR } from "./token.js";

export interface FacilitatorProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then wait for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

export interface StartFacilitatorOptions {
  /** FACILITATOR_PRIVATE_KEY, AMOY_RPC_URL, ... (PORT is chosen free unless given). */
  readonly env: Record<string, string>;
  /** "dist" runs `node dist/main.js` (run `npm run build` first); "source" runs src/main.ts via tsx. */
  readonly entry?: "dist" | "source";
  /** Where dist/main.js lives (default: this package's dist/); e.g. a copy with no node_modules near it. */
  readonly distDir?: string;
  readonly startTimeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Runs the facilitator to completion (for start-up failures): exit code and output. */
export async function runFacilitator(
  env: Record<string, string>,
  entry: "dist" | "source" = "dist",
): Promise<{ code: number | null; output: string }> {
  const child = spawnFacilitator(env, entry);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

export async function startFacilitator(options: StartFacilitatorOptions): Promise<FacilitatorProcess> {
  const port = options.env.PORT ? Number(options.env.PORT) : await freePort();
  const child = spawnFacilitator(
    { ...options.env, PORT: String(port), HOST: options.env.HOST ?? "127.0.0.1" },
    options.entry ?? "dist",
    options.distDir,
  );
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`facilitator exited with ${child.exitCode} before it was healthy:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`facilitator not healthy within ${options.startTimeoutMs ?? 20_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    child,
    output: () => output,
    async stop() {
      await stopChild(child);
      return child.exitCode;
    },
  };
}

function spawnFacilitator(
  env: Record<string, string>,
  entry: "dist" | "source",
  distDir = join(SERVICE_DIR, "dist"),
): ChildProcess {
  const args = entry === "dist" ? [join(distDir, "main.js")] : ["--import", "tsx", join(SERVICE_DIR, "src", "main.ts")];
  // A clean environment: only what the test passes (plus PATH), so the host's env cannot leak in.
  return spawn(process.execPath, args, {
    cwd: entry === "dist" ? distDir : SERVICE_DIR,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
