// Shared by every test that needs a Docker engine (image, publish, compose).
// No engine reachable: the suite is skipped with a message saying why and how to get one;
// with REQUIRE_DOCKER=1 (CI) the same situation is a failing test instead.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, it } from "vitest";

/** The Docker CLI to use: $DOCKER, else Debian's 20.10 CLI (BuildKit built in), else `docker`. */
export const dockerCli: string = process.env.DOCKER ?? (existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker");

export interface DockerEngine {
  available: boolean;
  /** Server version when available, else why not. */
  detail: string;
}

let detected: DockerEngine | undefined;

/** Asks the engine at $DOCKER_HOST (or the CLI's default) for its version, once per process. */
export function detectDockerEngine(): DockerEngine {
  if (detected) return detected;
  const r = spawnSync(dockerCli, ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8", timeout: 15_000 });
  if (r.error) detected = { available: false, detail: `${dockerCli}: ${r.error.message}` };
  else if (r.status !== 0)
    detected = { available: false, detail: (r.stderr || r.stdout).trim().split("\n").pop() ?? `exit ${r.status}` };
  else
    detected = {
      available: true,
      detail: `engine ${r.stdout.trim()} at ${process.env.DOCKER_HOST ?? "the default socket"}`,
    };
  return detected;
}

export const dockerRequired = (): boolean => process.env.REQUIRE_DOCKER === "1";

/** The local registry prepared by scripts/ci/docker-up.sh. */
export const localRegistry: string = process.env.LOCAL_REGISTRY ?? "127.0.0.1:5000";

/** Whether the local registry answers its API root (checked synchronously, once per process). */
let registryAnswers: boolean | undefined;
function localRegistryAnswers(): boolean {
  registryAnswers ??=
    spawnSync(
      process.execPath,
      [
        "-e",
        "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
        `http://${localRegistry}/v2/`,
      ],
      {
        timeout: 10_000,
      },
    ).status === 0;
  return registryAnswers;
}

/**
 * `describe` that runs only with a reachable engine (and, with `needsRegistry`, the local
 * registry); see the file comment for what happens otherwise.
 */
export function describeWithDocker(name: string, body: () => void, options: { needsRegistry?: boolean } = {}): void {
  const engine = detectDockerEngine();
  const missing = !engine.available
    ? `no Docker engine reachable (${engine.detail})`
    : options.needsRegistry && !localRegistryAnswers()
      ? `no registry answers on ${localRegistry}`
      : undefined;
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  const message =
    `${missing}. Prepare this machine with: eval "$(bash scripts/ci/docker-up.sh)"` +
    (dockerRequired() ? "" : "; set REQUIRE_DOCKER=1 to make this a failure");
  if (dockerRequired()) {
    describe(name, () => {
      it("needs a Docker engine and a local registry (REQUIRE_DOCKER=1)", () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`[skipped] ${name}: ${message}`);
  describe.skip(name, body);
}

/** Runs the Docker CLI; returns stdout, throws with stderr when it fails. */
export function docker(
  args: string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): string {
  const r = spawnSync(dockerCli, args, {
    cwd: options.cwd,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 300_000,
    env: { DOCKER_BUILDKIT: "1", ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`docker ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`docker ${args.join(" ")} exited ${r.status}:\n${r.stderr}${r.stdout}`.slice(-4000));
  return r.stdout.trim();
}

/**
 * Flags that let a build run on the engine prepared by scripts/ci/docker-up.sh and on a normal
 * one alike: base images from $NODE_BUILD_IMAGE / $NODE_RUNTIME_IMAGE when set (local stand-ins
 * by digest), RUN steps on the host network (the engine may have no bridge), and the host's
 * extra CA bundle as the optional `npm_ca` secret when npm traffic is TLS-intercepted.
 */
export function machineBuildFlags(): string[] {
  const flags = ["--network", "host"];
  for (const name of ["NODE_BUILD_IMAGE", "NODE_RUNTIME_IMAGE"]) {
    const value = process.env[name];
    if (value) flags.push("--build-arg", `${name}=${value}`);
  }
  const ca = process.env.NPM_CA_FILE ?? process.env.NODE_EXTRA_CA_CERTS;
  if (ca && existsSync(ca)) flags.push("--secret", `id=npm_ca,src=${ca}`);
  return flags;
}
