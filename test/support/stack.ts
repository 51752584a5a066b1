// Runs the real program (index.ts) for a committed stack under Pulumi mocks: the stack file as
// written, Pulumi.yaml's defaults, fake secrets, a fake Artifact Registry. Returns every
// registered resource and the stack outputs. Reusable by any suite (policy pack, delivery, …).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ANVIL_DEV_KEY_0, FAKE_RPC_URL, fakeDigest } from "./fakes";
import type { InvokeHandler, RegistryImage } from "./mocks";
import { runProgram, type ProgramRun } from "./program";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const PROJECT = "facilitator";

/** The secrets every stack needs, as fake values (set with --secret in real stacks). */
export const FAKE_SECRETS: Readonly<Record<string, string>> = {
  "facilitator:privateKey": ANVIL_DEV_KEY_0, // anvil dev key
  "facilitator:rpcUrl": FAKE_RPC_URL,
};

/** The repository the committed stacks use (staging's Artifact Registry). */
export const FACILITATOR_REPOSITORY =
  "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator/x402-facilitator-amoy";

/** Registry contents holding each release tag (plus its sha- tag) with a stable fake digest. */
export function releasedImages(tags: readonly string[], repository = FACILITATOR_REPOSITORY): RegistryImage[] {
  return tags.map((tag) => ({
    repository,
    tags: [tag, `sha-${fakeDigest(tag).slice(7, 14)}`],
    digest: fakeDigest(`${repository}:${tag}`),
  }));
}

export interface StackRunOptions {
  /** `staging`, `prod`, …: reads Pulumi.<stack>.yaml. */
  stack: string;
  /** Plain config overrides; short keys are in the `facilitator` namespace. `undefined` unsets a key. */
  config?: Readonly<Record<string, string | undefined>>;
  /** Secret config overrides (added to, or replacing, the fake secrets). */
  secrets?: Readonly<Record<string, string>>;
  /** The fake Artifact Registry's contents (see releasedImages). Default: empty. */
  registry?: readonly RegistryImage[];
  /** Working directory of the program (its git checkout). Default: the repository root. */
  cwd?: string;
  /** Mocks for further invoke tokens, for components added later. */
  invokes?: Readonly<Record<string, InvokeHandler>>;
}

/** Resources and outputs of one stack run (see ProgramRun). */
export type StackRun = ProgramRun;

function fullKey(key: string): string {
  return key.includes(":") ? key : `${PROJECT}:${key}`;
}

/** Pulumi passes config to programs as strings: scalars as text, lists and maps as JSON. */
function configString(key: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value !== null && typeof value === "object" && "secure" in value) {
    throw new Error(`${key} is an encrypted value in a committed stack file; tests use fake secrets instead`);
  }
  return JSON.stringify(value);
}

/** Pulumi.yaml's project config defaults, as full keys. */
export function projectDefaults(): Record<string, string> {
  const project = parse(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, { default?: unknown }>;
  };
  const values: Record<string, string> = {};
  for (const [key, schema] of Object.entries(project.config ?? {})) {
    if (schema.default !== undefined) values[fullKey(key)] = configString(key, schema.default);
  }
  return values;
}

/** The committed Pulumi.<stack>.yaml `config:` block, as full keys. */
export function stackFileConfig(stack: string): Record<string, string> {
  const file = parse(readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  };
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config ?? {})) values[fullKey(key)] = configString(key, value);
  return values;
}

/** What the Pulumi CLI would hand the program: defaults, then the stack file, then overrides. */
export function stackConfig(options: Pick<StackRunOptions, "stack" | "config" | "secrets">): {
  values: Record<string, string>;
  secretKeys: string[];
} {
  const values: Record<string, string> = { ...projectDefaults(), ...stackFileConfig(options.stack), ...FAKE_SECRETS };
  const secretKeys = new Set(Object.keys(FAKE_SECRETS));
  for (const [key, value] of Object.entries(options.config ?? {})) {
    secretKeys.delete(fullKey(key));
    if (value === undefined) delete values[fullKey(key)];
    else values[fullKey(key)] = value;
  }
  for (const [key, value] of Object.entries(options.secrets ?? {})) {
    values[fullKey(key)] = value;
    secretKeys.add(fullKey(key));
  }
  return { values, secretKeys: [...secretKeys].sort() };
}

/**
 * Runs index.ts for a stack under mocks and waits until every output and registration settled.
 * Rejects with the program's error if it fails (bad config, an image tag that cannot be resolved or built).
 * Each call re-imports the program (vi.resetModules), so several runs can share one test file.
 */
export async function runStack(options: StackRunOptions): Promise<StackRun> {
  const { values, secretKeys } = stackConfig(options);
  const previousCwd = process.cwd();
  process.chdir(options.cwd ?? REPO_ROOT);
  try {
    return await runProgram(
      async () => {
        // Imported here so this module also loads outside vitest (stackConfig in plain Node.js).
        const { vi } = await import("vitest");
        vi.resetModules();
        const program = (await import("../../index.js")) as unknown as {
          default: () => Promise<Record<string, unknown>>;
        };
        return program.default();
      },
      {
        project: PROJECT,
        stack: options.stack,
        config: values,
        secretKeys,
        ...(options.registry ? { registry: options.registry } : {}),
        ...(options.invokes ? { invokes: options.invokes } : {}),
      },
    );
  } finally {
    process.chdir(previousCwd);
  }
}
