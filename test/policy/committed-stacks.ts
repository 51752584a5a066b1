// The committed stacks (every Pulumi.<stack>.yaml at the root), run as written: the stack's
// imageTag is already in its configured registry, the promote/rollback path every stack can take.
import { readdirSync } from "node:fs";
import { REPO_ROOT, releasedImages, runStack, stackConfig, type StackRun } from "../support/stack";

export function committedStacks(): string[] {
  return readdirSync(REPO_ROOT)
    .map((file) => /^Pulumi\.([\w-]+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

/** A `facilitator:` config value of a committed stack (stack file over Pulumi.yaml defaults). */
export function configOf(stack: string, key: string): string {
  return stackConfig({ stack }).values[`facilitator:${key}`] ?? "";
}

export function runCommittedStack(stack: string, config: Readonly<Record<string, string | undefined>> = {}): Promise<StackRun> {
  const at = (key: string) => configOf(stack, key);
  const repository = `${at("registryLocation")}-docker.pkg.dev/${at("registryProject")}/${at("registryRepository")}/${at("imageName")}`;
  return runStack({ stack, config, registry: releasedImages([at("imageTag")], repository) });
}
