// A GitHub Actions runner played in-process, step by step, for the deploy workflows of a fresh
// clone of this repository's HEAD: what deploy-on-merge.yml dispatches, what release.yml's jobs
// check out, the side effects of the external actions the outcome depends on, and the Pulumi
// program run through the entry point pulumi/actions uses, under mocks. Nothing here reaches a
// network: `gh` is a recorder, the cloud is test/support/mocks.ts.
//
// What is played, and what stands in for what:
// - actions/checkout@v4.2.2: a clone of the "origin" repository; no `ref` means the run's commit
//   on its branch (`git checkout -B main <sha>`), `ref: main` means main's tip when the job
//   starts; fetch-depth 0 brings every tag, otherwise one commit of that ref
//   (src/input-helper.ts, src/ref-helper.ts, src/git-source-provider.ts of v4.2.2).
// - `npm ci --ignore-scripts`: node_modules is a symlink to this checkout's, excluded from git in
//   .git/info/exclude as .gitignore excludes the real directory. Running npm ci would take a minute
//   and install exactly the same lockfile.
// - google-github-actions/auth@v2.1.10 (keyless): writes `gha-creds-<16 hex>.json` (an
//   external_account credential config) into $GITHUB_WORKSPACE and exports
//   GOOGLE_APPLICATION_CREDENTIALS, CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE and GOOGLE_GHA_CREDS_PATH
//   (to that file) and CLOUDSDK_CORE_PROJECT, CLOUDSDK_PROJECT, GCLOUD_PROJECT, GCP_PROJECT,
//   GOOGLE_CLOUD_PROJECT (create_credentials_file and export_environment_variables default to true):
//   src/main.ts, src/utils.ts generateCredentialsFilename, src/client/workload_identity_federation.ts
//   createCredentialsFile, https://github.com/google-github-actions/auth/tree/v2.1.10.
//   setup-gcloud and `gcloud container clusters get-credentials` write outside the workspace
//   (tool cache, ~/.kube/config) and the mocks need neither: not played.
// - docker/setup-buildx-action: a builder on the Docker host, nothing in the workspace; the mocks
//   build nothing: not played.
// - pulumi/actions@v6.6.1: LocalWorkspace.selectStack({ workDir }) then preview/up, i.e. the Pulumi
//   CLI runs package.json's `main` with the stack's config: Pulumi.yaml's defaults overlaid by
//   Pulumi.<stack>.yaml, secure values decrypted (src/main.ts; no config-map input is used here).
//   Under mocks: index.ts of the workspace, with that config. A `plan:` input writes what
//   `pulumi preview --save-plan` writes (apitype.DeploymentPlanV1), here derived from the stack's
//   recorded state and the new run.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { vi } from "vitest";
import { parse, parseDocument } from "yaml";
import { diffRuns } from "../support/diff";
import { git } from "../support/gitRepo";
import type { RecordedResource, RegistryImage } from "../support/mocks";
import { runProgram, type ProgramRun } from "../support/program";

export const ROOT = resolve(__dirname, "../..");

const temps: string[] = [];
/** Removes every directory this module made (call in afterAll/afterEach). */
export function cleanUp(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

// ---- the repository on "GitHub" -----------------------------------------------------------

export interface Origin {
  dir: string;
  git(...args: string[]): string;
  /** Edits files on main and commits them; returns the new commit. */
  commit(message: string, edit: () => void): string;
  tip(): string;
}

/** A clone of this repository's HEAD (its committed tree only) on branch main: the maintainers' origin. */
export function cloneHead(): Origin {
  const dir = join(tempDir("rehearsal-origin-"), "facilitator-deploy");
  git(tmpdir(), "clone", "--quiet", "--no-hardlinks", ROOT, dir);
  git(dir, "checkout", "--quiet", "-B", "main");
  const settings = {
    "user.name": "Maintainer",
    "user.email": "maintainer@example.invalid",
    "commit.gpgsign": "false",
    "tag.gpgsign": "false",
  };
  for (const [key, value] of Object.entries(settings)) git(dir, "config", key, value);
  const origin: Origin = {
    dir,
    git: (...args) => git(dir, ...args),
    commit(message, edit) {
      edit();
      git(dir, "add", "-A");
      git(dir, "commit", "--quiet", "-m", message);
      return git(dir, "rev-parse", "HEAD");
    },
    tip: () => git(dir, "rev-parse", "main"),
  };
  return origin;
}

/** Stands in for the passphrase secrets provider's ciphertext (`secure:` values in a stack file). */
export function fakeSecure(plaintext: string): string {
  return `fake:${Buffer.from(plaintext).toString("base64")}`;
}
function fakeDecrypt(ciphertext: string): string {
  if (!ciphertext.startsWith("fake:")) throw new Error(`not a fake ciphertext: ${ciphertext}`);
  return Buffer.from(ciphertext.slice("fake:".length), "base64").toString("utf8");
}

/**
 * Sets config values in Pulumi.<stack>.yaml as `pulumi config set [--secret]` does (comments kept).
 * Short keys are in the `facilitator` namespace.
 */
export function setConfig(
  dir: string,
  stack: string,
  values: Record<string, string>,
  secrets: Record<string, string> = {},
): void {
  const file = join(dir, `Pulumi.${stack}.yaml`);
  const doc = parseDocument(readFileSync(file, "utf8"));
  const key = (k: string) => (k.includes(":") ? k : `facilitator:${k}`);
  for (const [k, v] of Object.entries(values)) doc.setIn(["config", key(k)], v);
  for (const [k, v] of Object.entries(secrets)) doc.setIn(["config", key(k)], { secure: fakeSecure(v) });
  writeFileSync(file, doc.toString());
}

// ---- workflows -----------------------------------------------------------------------------

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}
function workflowAt(origin: Origin, commit: string, file: string): Workflow {
  return parse(origin.git("show", `${commit}:.github/workflows/${file}`)) as Workflow;
}

/** Runs a `run:` script as GitHub's bash shell does (`bash --noprofile --norc -eo pipefail`). */
function bash(script: string, cwd: string, env: Record<string, string>) {
  const file = join(tempDir("rehearsal-step-"), "step.sh");
  writeFileSync(file, script);
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
  });
  return { status: result.status, log: `${result.stdout}${result.stderr}` };
}

export interface Dispatch {
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
}

/**
 * deploy-on-merge.yml for a push to main from `before` to main's tip: its own script (as of the
 * pushed commit) with `gh` replaced by a recorder. Returns the runs it dispatched.
 */
export function deployOnMerge(
  origin: Origin,
  before: string,
): { status: number | null; log: string; dispatches: Dispatch[] } {
  const sha = origin.tip();
  const step = workflowAt(origin, sha, "deploy-on-merge.yml").jobs["dispatch"]!.steps.find((s) =>
    s.run?.includes("gh workflow run"),
  )!;
  const bin = tempDir("rehearsal-gh-");
  const calls = join(bin, "calls");
  writeFileSync(join(bin, "gh"), `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> "${calls}"\n`);
  chmodSync(join(bin, "gh"), 0o755);
  const result = bash(step.run!, origin.dir, {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    GITHUB_SHA: sha,
    BEFORE: before,
    GH_TOKEN: "fake",
    GH_REPO: "x402-payments/facilitator-deploy",
    GITHUB_STEP_SUMMARY: join(bin, "summary.md"),
  });
  const dispatches = (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n").filter(Boolean) : []).map(
    (line) => {
      const words = line.split(" ");
      const inputs: Record<string, string> = {};
      words.forEach((w, i) => {
        if (w === "-f") {
          const [k, ...v] = words[i + 1]!.split("=");
          inputs[k!] = v.join("=");
        }
      });
      return { workflow: words[2]!, ref: words[words.indexOf("--ref") + 1]!, inputs };
    },
  );
  return { ...result, dispatches };
}

/** A workflow_dispatch run: the ref it runs at, the commit (the ref's tip when dispatched), its inputs. */
export interface Run {
  ref: string;
  sha: string;
  inputs: Record<string, string>;
}

/** GitHub starts a dispatched run at the tip of the ref it names. */
export function startRun(origin: Origin, dispatch: Dispatch): Run {
  const isBranch = (name: string) =>
    spawnSync("git", ["show-ref", "--verify", "--quiet", `refs/heads/${name}`], { cwd: origin.dir }).status === 0;
  const qualified = dispatch.ref.startsWith("refs/")
    ? dispatch.ref
    : isBranch(dispatch.ref)
      ? `refs/heads/${dispatch.ref}`
      : `refs/tags/${dispatch.ref}`;
  return { ref: qualified, sha: origin.git("rev-parse", `${qualified}^{commit}`), inputs: dispatch.inputs };
}

/** release.yml's plan job for a run: which deploy jobs run. */
export function releasePlan(
  origin: Origin,
  run: Run,
): { status: number | null; log: string; staging: boolean; prod: boolean } {
  const plan = workflowAt(origin, run.sha, "release.yml").jobs["plan"];
  if (!plan) throw new Error(`release.yml at ${run.ref} has no plan job`);
  const output = join(tempDir("rehearsal-out-"), "output");
  writeFileSync(output, "");
  const result = bash(plan.steps.find((s) => s.id === "stacks")!.run!, origin.dir, {
    GITHUB_REF: run.ref,
    GITHUB_SHA: run.sha,
    STACKS: run.inputs["stacks"] ?? "",
    GITHUB_OUTPUT: output,
  });
  const out = readFileSync(output, "utf8");
  return { ...result, staging: /^staging=true$/m.test(out), prod: /^prod=true$/m.test(out) };
}

/** A runner's workspace for one job of a run, checked out as the job's actions/checkout step says. */
export interface Workspace {
  dir: string;
  /** Environment the steps so far exported (GITHUB_ENV). */
  env: Record<string, string>;
  runnerTemp: string;
}

export function checkoutFor(origin: Origin, run: Run, job: string | undefined): Workspace {
  const checkout: Step =
    job === undefined
      ? { with: { "fetch-depth": 0 } }
      : workflowAt(origin, run.sha, "release.yml").jobs[job]!.steps.find((s) =>
          s.uses?.startsWith("actions/checkout@"),
        )!;
  const ref = checkout.with?.["ref"] as string | undefined;
  const fullHistory = checkout.with?.["fetch-depth"] === 0;
  // no ref: the run's ref at the run's commit; a branch name: that branch's tip now
  const branch = ref ?? run.ref.replace(/^refs\/heads\//, "");
  const sha = ref === undefined ? run.sha : origin.git("rev-parse", `refs/heads/${ref}`);
  const root = tempDir("rehearsal-runner-");
  const dir = join(root, "work", "facilitator-deploy", "facilitator-deploy");
  if (fullHistory) {
    git(tmpdir(), "clone", "--quiet", "--no-checkout", origin.dir, dir);
  } else {
    git(
      tmpdir(),
      "clone",
      "--quiet",
      "--no-checkout",
      "--depth",
      "1",
      "--no-tags",
      "--branch",
      branch,
      `file://${origin.dir}`,
      dir,
    );
  }
  git(dir, "checkout", "--quiet", "--force", "-B", branch, sha);
  const runnerTemp = join(root, "temp"); // RUNNER_TEMP, outside the workspace
  mkdirSync(runnerTemp);
  return {
    dir,
    env: { GITHUB_WORKSPACE: dir, GITHUB_SHA: run.sha, GITHUB_REF: run.ref, RUNNER_TEMP: runnerTemp },
    runnerTemp,
  };
}

/** A plain checkout of one commit (full history), e.g. to compute the state an earlier deploy left. */
export function checkoutCommit(origin: Origin, sha: string): Workspace {
  return checkoutFor(origin, { ref: "refs/heads/main", sha, inputs: {} }, undefined);
}

/** `npm ci --ignore-scripts --no-audit --no-fund`: see the header. */
export function npmCi(ws: Workspace): void {
  symlinkSync(join(ROOT, "node_modules"), join(ws.dir, "node_modules"));
  appendFileSync(join(ws.dir, ".git/info/exclude"), "/node_modules\n");
}

/** google-github-actions/auth's side effects (see the header). Returns the credentials file. */
export function googleAuth(ws: Workspace, project: string, serviceAccount: string): string {
  const file = join(ws.dir, `gha-creds-${randomBytes(8).toString("hex")}.json`);
  const config = {
    type: "external_account",
    audience:
      "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/providers/github",
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    token_url: "https://sts.googleapis.com/v1/token",
    credential_source: {
      url: "https://pipelines.actions.example.invalid/idtoken?audience=fake",
      headers: { Authorization: "Bearer fake-actions-id-token-request-token" },
      format: { type: "json", subject_token_field_name: "value" },
    },
    service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${serviceAccount}:generateAccessToken`,
  };
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  for (const key of [
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
    "GOOGLE_GHA_CREDS_PATH",
  ])
    ws.env[key] = file;
  for (const key of [
    "CLOUDSDK_CORE_PROJECT",
    "CLOUDSDK_PROJECT",
    "GCLOUD_PROJECT",
    "GCP_PROJECT",
    "GOOGLE_CLOUD_PROJECT",
  ])
    ws.env[key] = project;
  return file;
}

// ---- pulumi/actions ------------------------------------------------------------------------

/** What the Pulumi CLI hands the program for a stack of the workspace (see the header). */
export function stackConfigOf(
  dir: string,
  stack: string,
): { project: string; values: Record<string, string>; secretKeys: string[] } {
  const project = parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config?: Record<string, { default?: unknown }>;
  };
  const file = parse(readFileSync(join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  const full = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
  const text = (value: unknown) =>
    typeof value === "string"
      ? value
      : typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : JSON.stringify(value);
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, schema] of Object.entries(project.config ?? {}))
    if (schema.default !== undefined) values[full(key)] = text(schema.default);
  for (const [key, value] of Object.entries(file.config ?? {})) {
    if (value !== null && typeof value === "object" && "secure" in value) {
      values[full(key)] = fakeDecrypt(String((value as { secure: unknown }).secure));
      secretKeys.push(full(key));
    } else {
      values[full(key)] = text(value);
    }
  }
  return { project: project.name, values, secretKeys: secretKeys.sort() };
}

/**
 * The program of the workspace for a stack, as `pulumi preview|up` runs it: package.json's main in
 * the work-dir, the stack's config, the job's environment, the fake cloud's registry.
 */
export async function pulumiProgram(
  ws: Workspace,
  stack: string,
  registry: readonly RegistryImage[],
): Promise<ProgramRun> {
  const { project, values, secretKeys } = stackConfigOf(ws.dir, stack);
  const main = (JSON.parse(readFileSync(join(ws.dir, "package.json"), "utf8")) as { main: string }).main;
  const saved = { cwd: process.cwd(), env: { ...process.env } };
  process.chdir(ws.dir);
  Object.assign(process.env, ws.env);
  try {
    return await runProgram(
      async () => {
        vi.resetModules();
        const program = (await import(join(ws.dir, main))) as { default: () => Promise<Record<string, unknown>> };
        return program.default();
      },
      { project, stack, config: values, secretKeys, registry },
    );
  } finally {
    process.chdir(saved.cwd);
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
  }
}

/** The update plan `pulumi preview --save-plan` writes for a program run against the stack's state. */
export function planOf(
  state: readonly RecordedResource[],
  next: readonly RecordedResource[],
): { resourcePlans: Record<string, { goal?: { type: string; name: string; custom: boolean }; steps: string[] }> } {
  const changed = diffRuns(state, next);
  const resourcePlans: Record<string, { goal?: { type: string; name: string; custom: boolean }; steps: string[] }> = {};
  for (const r of next) {
    const diff = changed[r.urn];
    resourcePlans[r.urn] = {
      goal: { type: r.type, name: r.name, custom: r.custom },
      steps: [diff === undefined ? "same" : diff[0] === "(added)" ? "create" : "update"],
    };
  }
  for (const [urn, diff] of Object.entries(changed))
    if (diff[0] === "(removed)") resourcePlans[urn] = { steps: ["delete"] };
  return { resourcePlans };
}

/** Writes the plan where the job's preview step puts it (`plan: ${{ runner.temp }}/<stack>.plan.json`). */
export function savePlan(ws: Workspace, stack: string, plan: unknown): string {
  const file = join(ws.runnerTemp, `${stack}.plan.json`);
  writeFileSync(file, JSON.stringify(plan));
  return file;
}

/** A job's `run:` step by a substring of its script, run in the workspace with the job's environment. */
export function runStep(
  origin: Origin,
  run: Run,
  job: string,
  ws: Workspace,
  contains: string,
  env: Record<string, string> = {},
): { status: number | null; log: string } {
  const step = workflowAt(origin, run.sha, "release.yml").jobs[job]!.steps.find((s) => s.run?.includes(contains));
  if (!step) throw new Error(`release.yml job ${job} has no step running '${contains}'`);
  return bash(step.run!, ws.dir, { ...ws.env, ...env });
}
