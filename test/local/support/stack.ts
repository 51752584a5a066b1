// Runs the committed `local` stack (Pulumi.local.yaml) under mocks, deterministically: a fake
// local registry that already holds the checkout's HEAD as sha-<short> (the resolve path, as after a
// first `pulumi up`), so no build and no dependence on the machine's registry or working tree.
// Any suite that runs every committed stack can use runLocalStack() for `local`.
import { execFileSync } from "node:child_process";
import { fakeDigest } from "../../support/fakes";
import { REPO_ROOT, runStack, stackConfig, type StackRun, type StackRunOptions } from "../../support/stack";
import { startFakeRegistry, type FakeRegistry } from "./registry";

export const LOCAL_STACK = "local";

/** facilitator:imageName of the local stack. */
export function localImageName(): string {
  return stackConfig({ stack: LOCAL_STACK }).values["facilitator:imageName"] ?? "";
}

export function headShortSha(dir: string = REPO_ROOT): string {
  return execFileSync("git", ["rev-parse", "--short=7", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
}

/** A stable fake digest for `tag` of the local image. */
export function localDigest(tag: string): string {
  return fakeDigest(`local:${localImageName()}:${tag}`);
}

/** The docker Container's inputs as the stack declares them (resolved under mocks). */
export interface DeclaredContainer {
  name: string;
  image?: string;
  command: string[];
  envs: string[];
  uploads: { file: string; content: string; owner: string; group: string; permissions: string }[];
  volumes: { containerPath: string }[];
  user: string;
  readOnly: boolean;
  tmpfs: Record<string, string>;
  capabilities: { drops: string[] };
  securityOpts: string[];
  memory: number;
  memorySwap: number;
  cpus: string;
  restart: string;
  healthcheck: { tests: string[]; interval: string; timeout: string; startPeriod: string; retries: number };
  logDriver: string;
  logOpts: Record<string, string>;
  stopSignal: string;
  stopTimeout: number;
  ports: { internal: number; external: number; ip: string; protocol: string }[];
  hosts: { host: string; ip: string }[];
  networkMode: string;
  wait: boolean;
  mustRun: boolean;
  labels: { label: string; value: string }[];
}

/** The one container a docker-target run declares. */
export const declaredContainer = (run: StackRun): DeclaredContainer =>
  run.one("docker:index/container:Container").inputs as unknown as DeclaredContainer;

export interface LocalStackRun extends StackRun {
  /** The fake registry's address (the run's facilitator:localRegistry). */
  registry: string;
}

/**
 * Runs the local stack with a fake registry holding `tags` (default: sha-<HEAD short> of `cwd`).
 * Other options as for runStack; `config.localRegistry` is always the fake registry.
 */
export async function runLocalStack(
  options: Omit<StackRunOptions, "stack" | "registry"> & { tags?: readonly string[]; registry?: FakeRegistry } = {},
): Promise<LocalStackRun> {
  const own = options.registry === undefined;
  const tags = options.tags ?? [`sha-${headShortSha(options.cwd)}`];
  const registry =
    options.registry ??
    (await startFakeRegistry(Object.fromEntries(tags.map((tag) => [`${localImageName()}:${tag}`, localDigest(tag)]))));
  try {
    const { tags: _tags, registry: _registry, ...rest } = options;
    const run = await runStack({
      ...rest,
      stack: LOCAL_STACK,
      config: { ...(options.config ?? {}), localRegistry: registry.address },
    });
    return { ...run, registry: registry.address };
  } finally {
    if (own) await registry.stop();
  }
}
