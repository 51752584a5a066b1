// .github/workflows/deploy-on-merge.yml: its trigger and permissions, and its script run for real
// in throwaway git repositories (real commits, annotated release tags, push ranges). Only `gh` is
// replaced, by a recorder on PATH: dispatching needs GitHub, and the test asserts what would be sent.
// What the dispatched run then applies (main's tree, not the tag's) is test/delivery/rollbackAppliesMain.test.ts.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { git, initRepo } from "../support/gitRepo";

const ROOT = resolve(__dirname, "../..");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  environment?: unknown;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const read = (file: string): Workflow => parse(readFileSync(join(ROOT, ".github/workflows", file), "utf8")) as Workflow;
const workflow = read("deploy-on-merge.yml");
const job = workflow.jobs.dispatch;
const dispatchStep = job.steps.find((s) => s.run?.includes("gh workflow run")) as Step;
const script = dispatchStep.run as string;

describe("deploy-on-merge.yml", () => {
  it("runs on pushes to main that touch a deployed stack's file, and on nothing else", () => {
    expect(workflow.on).toEqual({ push: { branches: ["main"], paths: ["Pulumi.staging.yaml", "Pulumi.prod.yaml"] } });
    // action-validator's npm build does not check `paths` globs: the files must exist
    for (const path of ["Pulumi.staging.yaml", "Pulumi.prod.yaml"])
      expect({ path, exists: existsSync(join(ROOT, path)) }).toEqual({ path, exists: true });
  });

  it("holds least privilege: read-only at the top, actions: write only where it dispatches, no cloud identity", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(Object.keys(workflow.jobs)).toEqual(["dispatch"]);
    expect(job.permissions).toEqual({ actions: "write", contents: "read" });
    expect(job.environment).toBeUndefined();
    expect(JSON.stringify(workflow)).not.toMatch(/secrets\.|vars\.|id-token/);
    expect(dispatchStep.env?.GH_TOKEN).toBe("${{ github.token }}");
  });

  it("checks out every tag and the history, without keeping the token in .git", () => {
    const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.uses).toMatch(/^actions\/checkout@[0-9a-f]{40}$/); // SHA pin: workflows.test.ts
    expect(checkout?.with).toEqual({ "fetch-depth": 0, "persist-credentials": false });
  });

  it("dispatches release.yml at main, never at a tag: a tag's own copy would deploy that tag's whole tree", () => {
    // the one command that runs it
    expect(script.match(/^\s*gh workflow run .*$/gm)?.map((line) => line.trim())).toEqual([
      'gh workflow run release.yml --ref main -f stacks="$stacks"',
    ]);
    expect(dispatchStep.env?.BEFORE).toBe("${{ github.event.before }}");
    const release = read("release.yml") as unknown as {
      on: { workflow_dispatch: { inputs: { stacks: { options: string[] } } } };
    };
    expect(release.on.workflow_dispatch.inputs.stacks.options).toEqual(["staging", "prod", "both"]);
  });

  it("pins every action it uses to a full commit SHA (the version comment: workflows.test.ts)", () => {
    const uses = job.steps.map((s) => s.uses).filter((u): u is string => u !== undefined);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
  });
});

// ---- the script, run in throwaway repositories -------------------------------------------------

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const stackFile = (tag: string, extra = "") =>
  `config:\n  facilitator:imageTag: ${tag}\n  facilitator:replicas: 2${extra}\n`;

/** Writes the stack files, commits, and returns the commit. */
function commit(repo: string, staging: string, prod: string, message: string): string {
  writeFileSync(join(repo, "Pulumi.staging.yaml"), staging);
  writeFileSync(join(repo, "Pulumi.prod.yaml"), prod);
  git(repo, "add", "-A");
  git(repo, "commit", "--quiet", "--allow-empty", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

/** A repository with releases v1.2.2 and v1.2.3 cut as scripts/release.sh does (both stack files, annotated tag). */
function makeRepo(): { repo: string; v123: string } {
  const repo = initRepo("deploy-on-merge-");
  temps.push(repo);
  for (const tag of ["v1.2.2", "v1.2.3"]) {
    commit(repo, stackFile(tag), stackFile(tag), `release(${tag})`);
    git(repo, "tag", "-a", tag, "-m", `release(${tag}): test`);
  }
  return { repo, v123: git(repo, "rev-parse", "HEAD") };
}

/** Runs the workflow's own script as GitHub's bash shell would, for the push BEFORE..HEAD. */
function run(repo: string, before: string) {
  const bin = mkdtempSync(join(tmpdir(), "deploy-on-merge-bin-"));
  temps.push(bin);
  const calls = join(bin, "gh-calls");
  const summary = join(bin, "summary.md");
  writeFileSync(join(bin, "gh"), `#!/usr/bin/env bash\nprintf '%s|%s\\n' "$GH_REPO" "$*" >> "${calls}"\n`);
  chmodSync(join(bin, "gh"), 0o755);
  writeFileSync(join(bin, "script.sh"), script);
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", join(bin, "script.sh")], {
    cwd: repo,
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      GITHUB_SHA: git(repo, "rev-parse", "HEAD"),
      BEFORE: before,
      GH_TOKEN: "not-a-token",
      GH_REPO: "x402-payments/facilitator-deploy",
      GITHUB_STEP_SUMMARY: summary,
    },
  });
  return {
    status: result.status,
    out: `${result.stdout}${result.stderr}`,
    gh: existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : [],
    summary: existsSync(summary) ? readFileSync(summary, "utf8") : "",
  };
}

describe("deploy-on-merge script", () => {
  const dispatched = (stacks: string) => [
    `x402-payments/facilitator-deploy|workflow run release.yml --ref main -f stacks=${stacks}`,
  ];

  it("a merged rollback of both stacks dispatches release.yml at main for both", () => {
    const { repo, v123 } = makeRepo();
    commit(repo, stackFile("v1.2.2"), stackFile("v1.2.2"), "roll back to v1.2.2");
    const result = run(repo, v123);
    expect(result.out).toContain("dispatched release.yml at main for both");
    expect(result.status).toBe(0);
    expect(result.gh).toEqual(dispatched("both"));
    expect(result.summary).toContain("- `staging` runs `v1.2.2`\n- `prod` runs `v1.2.2`");
    expect(result.summary).toContain(`Dispatched \`release.yml\` at \`main\` (${git(repo, "rev-parse", "HEAD")})`);
  });

  it("rolls back one stack without the other: only the stack whose file changed is deployed", () => {
    const { repo, v123 } = makeRepo();
    commit(repo, stackFile("v1.2.3"), stackFile("v1.2.2"), "roll back prod only");
    expect(run(repo, v123).gh).toEqual(dispatched("prod"));
    const { repo: other, v123: before } = makeRepo();
    commit(other, stackFile("v1.2.2"), stackFile("v1.2.3"), "roll back staging only");
    expect(run(other, before).gh).toEqual(dispatched("staging"));
  });

  it("any change to a stack file deploys that stack (a rotated secret, a setting), not only a new imageTag", () => {
    const { repo, v123 } = makeRepo();
    const rotated = stackFile("v1.2.3", "\n  facilitator:privateKey:\n    secure: v1:rotated");
    commit(repo, stackFile("v1.2.3"), rotated, "rotate prod's signer key");
    const result = run(repo, v123);
    expect(result.status).toBe(0);
    expect(result.gh).toEqual(dispatched("prod"));
  });

  it("a release pushed with its tag (scripts/release.sh --push) deploys both stacks from main", () => {
    const { repo, v123 } = makeRepo();
    commit(repo, stackFile("v1.3.0"), stackFile("v1.3.0"), "release(v1.3.0)");
    git(repo, "tag", "-a", "v1.3.0", "-m", "release(v1.3.0): test");
    expect(run(repo, v123).gh).toEqual(dispatched("both"));
  });

  it("reads a quoted value with a trailing comment", () => {
    const { repo, v123 } = makeRepo();
    const file = 'config:\n  facilitator:imageTag: "v1.2.2" # rollback, see incident 42\n';
    commit(repo, file, file, "roll back, quoted");
    expect(run(repo, v123).gh).toEqual(dispatched("both"));
  });

  it("refuses a tag that is not in the repository, naming where the releases are", () => {
    const { repo, v123 } = makeRepo();
    commit(repo, stackFile("v1.2.3"), stackFile("v1.2.9"), "typo");
    const result = run(repo, v123);
    expect(result.status).toBe(1);
    expect(result.out).toContain(
      "::error file=Pulumi.prod.yaml,title=No such release::tag v1.2.9 is not in this repository. Roll back to a tag listed in RELEASES.md",
    );
    expect(result.gh).toEqual([]);
  });

  it.each(["sha-1a2b3c4", "1.2.2", "v1.2", ""])("refuses imageTag '%s', which is not a release tag", (value) => {
    const { repo, v123 } = makeRepo();
    commit(repo, stackFile(value), stackFile("v1.2.2"), "bad tag");
    const result = run(repo, v123);
    expect(result.status).toBe(1);
    expect(result.out).toContain(
      `::error file=Pulumi.staging.yaml,title=Not a release tag::facilitator:imageTag must be set once, to a release tag vX.Y.Z (found '${value}')`,
    );
    expect(result.gh).toEqual([]);
  });

  it("refuses a file that sets imageTag twice", () => {
    const { repo, v123 } = makeRepo();
    commit(repo, stackFile("v1.2.2", "\n  facilitator:imageTag: v1.2.3"), stackFile("v1.2.2"), "twice");
    const result = run(repo, v123);
    expect(result.status).toBe(1);
    expect(result.out).toContain("(found 'v1.2.2, v1.2.3')");
    expect(result.gh).toEqual([]);
  });

  it("checks only the changed stack's file: an unchanged stack with an odd value does not block the other", () => {
    const { repo } = makeRepo();
    const before = commit(repo, stackFile("v1.2.3"), stackFile("sha-1a2b3c4"), "prod odd (outside this push)");
    commit(repo, stackFile("v1.2.2"), stackFile("sha-1a2b3c4"), "roll back staging");
    expect(run(repo, before).gh).toEqual(dispatched("staging"));
  });

  it("dispatches nothing when neither stack file changed", () => {
    const { repo, v123 } = makeRepo();
    writeFileSync(join(repo, "README.md"), "docs\n");
    git(repo, "add", "-A");
    git(repo, "commit", "--quiet", "-m", "docs");
    const result = run(repo, v123);
    expect(result.status).toBe(0);
    expect(result.out).toContain("::notice title=Nothing to deploy::neither stack file changed in this push.");
    expect(result.gh).toEqual([]);
  });

  it("without a usable previous commit (new branch, force push) deploys both stacks", () => {
    const { repo } = makeRepo();
    commit(repo, stackFile("v1.2.2"), stackFile("v1.2.2"), "roll back to v1.2.2");
    for (const before of ["0000000000000000000000000000000000000000", "1111111111111111111111111111111111111111"]) {
      expect(run(repo, before).gh).toEqual(dispatched("both"));
    }
  });
});
