// scripts/ciPlan.mjs: which planned changes the CI deployer may make (pure functions), and the CLI
// the deploy and preview jobs run on the plan `pulumi preview --save-plan` writes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  classify,
  deployerGrants,
  mayChange,
  neededRights,
  outsideMessage,
  parseUrn,
  plannedChanges,
  previewNote,
  stackSettings,
  type PlannedChange,
} from "../../scripts/ciPlan.mjs";

const ROOT = resolve(__dirname, "../..");
const SCRIPT = join(ROOT, "scripts/ciPlan.mjs");

const urn = (qualifiedType: string, name: string, stack = "prod") =>
  `urn:pulumi:${stack}::facilitator::${qualifiedType}::${name}`;
const DEPLOYMENT = urn("facilitator:index:FacilitatorDeployment$kubernetes:apps/v1:Deployment", "facilitator");
const ALERT = urn("facilitator:index:Monitoring$gcp:monitoring/alertPolicy:AlertPolicy", "facilitator-error-ratio");
const IAM = urn(
  "facilitator:index:GithubDelivery$facilitator:index:CiIdentity$gcp:projects/iAMMember:IAMMember",
  "delivery-ci-deployer-monitoring.editor",
);
const SECRET = urn("facilitator:index:FacilitatorDeployment$kubernetes:core/v1:Secret", "facilitator");

/**
 * An update plan in the shape `pulumi preview --save-plan` writes (apitype.DeploymentPlanV1, JSON of
 * pkg/cmd/pulumi/plan.Write): manifest, config (secrets stay encrypted), and one resource plan per
 * URN with its goal and steps; a deleted resource has steps but no goal.
 * https://github.com/pulumi/pulumi/blob/master/sdk/go/common/apitype/plan.go
 * https://github.com/pulumi/pulumi/blob/master/pkg/cmd/pulumi/plan/plan.go
 */
function planFile(resourcePlans: Record<string, { type?: string; steps: string[] }>): unknown {
  return {
    manifest: { time: "2026-12-01T00:00:00Z", magic: "", version: "v3.248.0" },
    config: {
      "facilitator:imageTag": "v1.2.2",
      "facilitator:privateKey": { secure: "v1:AAAAAAAAAAAAAAAA:ciphertext" },
    },
    resourcePlans: Object.fromEntries(
      Object.entries(resourcePlans).map(([u, { type, steps }]) => [
        u,
        {
          ...(type
            ? { goal: { type, name: parseUrn(u).name, custom: true, inputDiff: {}, outputDiff: {}, protect: false } }
            : {}),
          steps,
          state: {},
        },
      ]),
    ),
  };
}

describe("parseUrn", () => {
  it("takes the resource's own type from a URN with parent types, and its name", () => {
    expect(parseUrn(IAM)).toEqual({
      type: "gcp:projects/iAMMember:IAMMember",
      name: "delivery-ci-deployer-monitoring.editor",
    });
    expect(parseUrn("urn:pulumi:prod::facilitator::pulumi:pulumi:Stack::facilitator-prod")).toEqual({
      type: "pulumi:pulumi:Stack",
      name: "facilitator-prod",
    });
    expect(() => parseUrn("facilitator")).toThrow(/not a Pulumi URN/);
  });
});

describe("plannedChanges", () => {
  it("reads an update plan (--save-plan): changed resources only, a delete's type from its URN", () => {
    const plan = planFile({
      [urn("pulumi:pulumi:Stack", "facilitator-prod")]: { type: "pulumi:pulumi:Stack", steps: ["same"] },
      [DEPLOYMENT]: { type: "kubernetes:apps/v1:Deployment", steps: ["update"] },
      [SECRET]: { type: "kubernetes:core/v1:Secret", steps: ["same"] },
      [ALERT]: { steps: ["delete"] },
      [urn("gcp:artifactregistry/getDockerImages:getDockerImages", "x")]: { type: "x:y:Z", steps: ["read"] },
    });
    expect(plannedChanges(plan)).toEqual([
      { urn: DEPLOYMENT, type: "kubernetes:apps/v1:Deployment", name: "facilitator", ops: ["update"] },
      { urn: ALERT, type: "gcp:monitoring/alertPolicy:AlertPolicy", name: "facilitator-error-ratio", ops: ["delete"] },
    ]);
  });

  it("reads `pulumi preview --json` (steps with op and urn), merging a replacement's steps", () => {
    // display.PreviewDigest: https://github.com/pulumi/pulumi/blob/master/sdk/go/common/display/json.go
    const preview = {
      steps: [
        { op: "same", urn: SECRET, newState: { type: "kubernetes:core/v1:Secret" } },
        { op: "create-replacement", urn: ALERT, newState: { type: "gcp:monitoring/alertPolicy:AlertPolicy" } },
        { op: "replace", urn: ALERT, newState: { type: "gcp:monitoring/alertPolicy:AlertPolicy" } },
        { op: "delete-replaced", urn: ALERT, oldState: { type: "gcp:monitoring/alertPolicy:AlertPolicy" } },
      ],
      changeSummary: { replace: 1, same: 1 },
    };
    expect(plannedChanges(preview)).toEqual([
      {
        urn: ALERT,
        type: "gcp:monitoring/alertPolicy:AlertPolicy",
        name: "facilitator-error-ratio",
        ops: ["create-replacement", "replace", "delete-replaced"],
      },
    ]);
  });

  it("refuses anything else", () => {
    expect(() => plannedChanges({ outputs: {} })).toThrow(/not a Pulumi update plan/);
  });
});

describe("what the CI deployer may change", () => {
  const change = (type: string, ops: string[] = ["update"]): PlannedChange => ({
    urn: urn(type, "r"),
    type,
    name: "r",
    ops,
  });
  // Pulumi.yaml's default facilitator:ciDeployerRoles; staging builds, so it also pushes.
  const staging = deployerGrants({ projectRoles: ["roles/container.developer"], registryWriter: true });
  const prod = deployerGrants({ projectRoles: ["roles/container.developer"], registryWriter: false });

  it.each([
    ["kubernetes:apps/v1:Deployment", ["update"]],
    ["kubernetes:core/v1:Secret", ["create"]],
    ["kubernetes:core/v1:Namespace", ["update"]],
    ["kubernetes:networking.k8s.io/v1:NetworkPolicy", ["delete"]],
    ["kubernetes:monitoring.googleapis.com/v1:PodMonitoring", ["replace", "create-replacement", "delete-replaced"]],
    ["pulumi:providers:kubernetes", ["update"]],
    ["facilitator:index:Monitoring", ["create"]],
    ["pulumi:pulumi:Stack", ["update"]],
    ["gcp:monitoring/alertPolicy:AlertPolicy", ["same"]],
  ])("prod may change %s (%j): the workload and state-only resources", (type, ops) => {
    expect(mayChange(prod, change(type, ops))).toBe(true);
  });

  it.each([
    ["gcp:monitoring/alertPolicy:AlertPolicy", "roles/monitoring.editor"],
    ["gcp:monitoring/dashboard:Dashboard", "roles/monitoring.editor"],
    ["gcp:projects/iAMMember:IAMMember", "IAM admin rights"],
    ["gcp:serviceaccount/account:Account", "IAM admin rights"],
    ["gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "IAM admin rights"],
    ["gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "roles/artifactregistry.admin"],
    ["gcp:storage/bucketIAMMember:BucketIAMMember", "roles/storage.admin"],
    ["github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable", "a GitHub token with admin rights"],
    ["github:index/repositoryRuleset:RepositoryRuleset", "a GitHub token with admin rights"],
    ["kubernetes:rbac.authorization.k8s.io/v1:Role", "roles/container.admin"],
    ["gcp:compute/globalAddress:GlobalAddress", "roles/compute.loadBalancerAdmin"],
    ["gcp:compute/securityPolicy:SecurityPolicy", "roles/compute.securityAdmin"],
    ["gcp:certificatemanager/certificate:Certificate", "roles/certificatemanager.editor"],
    ["docker-build:index:Image", "rights the CI deployer does not have"],
  ])("prod may not change %s: needs %s", (type, rights) => {
    expect(mayChange(prod, change(type))).toBe(false);
    expect(neededRights(type)).toContain(rights);
  });

  it("staging pushes images (registry writer where the stack builds), prod does not", () => {
    const build = change("docker-build:index:Image", ["create"]);
    expect(mayChange(staging, build)).toBe(true);
    expect(mayChange(prod, build)).toBe(false);
  });

  it("rights come from the roles: Kubernetes Engine Admin adds RBAC, Monitoring Editor adds alerting; unknown roles add nothing", () => {
    const role = change("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", ["create"]);
    expect(mayChange(deployerGrants({ projectRoles: ["roles/container.admin"], registryWriter: false }), role)).toBe(
      true,
    );
    const alert = change("gcp:monitoring/alertPolicy:AlertPolicy");
    expect(
      mayChange(
        deployerGrants({
          projectRoles: ["roles/container.developer", "roles/monitoring.editor"],
          registryWriter: false,
        }),
        alert,
      ),
    ).toBe(true);
    expect(
      mayChange(
        deployerGrants({ projectRoles: ["roles/editor"], registryWriter: false }),
        change("kubernetes:apps/v1:Deployment"),
      ),
    ).toBe(false);
  });

  it("an op this module does not know counts as a change", () => {
    expect(mayChange(prod, change("gcp:monitoring/alertPolicy:AlertPolicy", ["teleport"]))).toBe(false);
  });

  it("says what is outside, who may do it, and the operator command; nothing when all is inside", () => {
    const changes = plannedChanges(
      planFile({
        [DEPLOYMENT]: { type: "kubernetes:apps/v1:Deployment", steps: ["update"] },
        [ALERT]: { type: "gcp:monitoring/alertPolicy:AlertPolicy", steps: ["update"] },
        [IAM]: { type: "gcp:projects/iAMMember:IAMMember", steps: ["create"] },
      }),
    );
    const { inside, outside } = classify(changes, prod);
    expect(inside.map((c) => c.urn)).toEqual([DEPLOYMENT]);
    expect(outsideMessage("prod", outside, prod)).toBe(
      [
        "Stack prod: 2 planned changes are outside what the CI deployer may change (project roles roles/container.developer; registry push no):",
        '  - create gcp:projects/iAMMember:IAMMember "delivery-ci-deployer-monitoring.editor": needs IAM admin rights (roles/resourcemanager.projectIamAdmin, roles/iam.serviceAccountAdmin, roles/iam.workloadIdentityPoolAdmin)',
        '  - update gcp:monitoring/alertPolicy:AlertPolicy "facilitator-error-ratio": needs roles/monitoring.editor',
        "Nothing was applied. Someone with those rights applies main's tree from a checkout of main:",
        "  git switch main && git pull && pulumi up --stack prod",
        "then re-run this job (it then finds nothing outside its rights).",
      ].join("\n"),
    );
    expect(outsideMessage("prod", [], prod)).toBe("");
  });
});

describe("the PR note", () => {
  const grants = deployerGrants({ projectRoles: ["roles/container.developer"], registryWriter: false });

  it("says Kubernetes creates and updates were previewed client-side (read-only preview identity)", () => {
    const changes = plannedChanges(
      planFile({
        [DEPLOYMENT]: { type: "kubernetes:apps/v1:Deployment", steps: ["update"] },
        [SECRET]: { type: "kubernetes:core/v1:Secret", steps: ["create"] },
      }),
    );
    const note = previewNote("prod", changes, grants);
    expect(note).toContain("When CI next deploys `prod` from main, it may apply all 2 planned changes");
    expect(note).toContain("Previewed client-side");
    expect(note).toContain("pulumi/pulumi-kubernetes#2521");
    expect(note).toContain("`apps/v1:Deployment facilitator`, `core/v1:Secret facilitator`");
  });

  it("warns that CI will stop and names the operator command when a change is outside the deployer's rights", () => {
    const note = previewNote(
      "prod",
      plannedChanges(planFile({ [ALERT]: { type: "gcp:monitoring/alertPolicy:AlertPolicy", steps: ["update"] } })),
      grants,
    );
    expect(note).toContain(":warning: When CI next deploys `prod` from main, it stops before applying anything");
    expect(note).toContain("`pulumi up --stack prod`");
    expect(note).not.toContain("client-side");
  });

  it("says so when nothing changes", () => {
    expect(previewNote("staging", [], grants)).toBe("#### CI plan for `staging`\n\nNo resource changes.");
  });
});

describe("stackSettings over the committed stack files", () => {
  it("staging: the default deployer roles, registry push (it builds), its image", () => {
    expect(stackSettings(ROOT, "staging")).toEqual({
      projectRoles: ["roles/container.developer"],
      registryWriter: true,
      imageRepository: "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator/x402-facilitator-amoy",
      imageTag: expect.stringMatching(/^v\d+\.\d+\.\d+$/),
    });
  });
  it("prod: no registry push (it only promotes), staging's repository", () => {
    expect(stackSettings(ROOT, "prod")).toMatchObject({
      registryWriter: false,
      imageRepository: "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator/x402-facilitator-amoy",
    });
  });
});

describe("the CLI, as the workflows run it", () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function run(args: string[], plan?: unknown) {
    const dir = mkdtempSync(join(tmpdir(), "ci-plan-"));
    temps.push(dir);
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "");
    if (plan !== undefined) writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
    const result = spawnSync(
      process.execPath,
      [SCRIPT, ...args.map((a) => a.replace("PLAN", join(dir, "plan.json")))],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, GITHUB_STEP_SUMMARY: summary },
      },
    );
    return {
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr,
      summary: readFileSync(summary, "utf8"),
    };
  }

  it("check: exit 1, an ::error annotation and the job summary when a change is outside", () => {
    const result = run(
      ["check", "--stack", "prod", "--plan", "PLAN"],
      planFile({ [ALERT]: { type: "gcp:monitoring/alertPolicy:AlertPolicy", steps: ["update"] } }),
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^::error title=Needs an operator::Stack prod: 1 planned change is outside .*%0A.*pulumi up --stack prod/m,
    );
    expect(result.stderr).toContain("git switch main && git pull && pulumi up --stack prod");
    expect(result.summary).toContain("### Not applied: needs an operator");
  });

  it("check: exit 0 and the list when everything is inside", () => {
    const result = run(
      ["check", "--stack", "prod", "--plan", "PLAN"],
      planFile({ [DEPLOYMENT]: { type: "kubernetes:apps/v1:Deployment", steps: ["update"] } }),
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Stack prod: 1 planned change(s), all inside the CI deployer's rights");
    expect(result.stdout).toContain('update kubernetes:apps/v1:Deployment "facilitator"');
  });

  it("note prints the markdown; image prints the stack file's image; bad usage exits 2", () => {
    expect(run(["note", "--stack", "prod", "--plan", "PLAN"], planFile({})).stdout).toBe(
      "#### CI plan for `prod`\n\nNo resource changes.\n",
    );
    const image = run(["image", "--stack", "prod"]);
    expect(image.stdout.trim()).toBe(
      `${stackSettings(ROOT, "prod").imageRepository}:${stackSettings(ROOT, "prod").imageTag}`,
    );
    expect(run(["check", "--stack", "prod"]).status).toBe(2);
    expect(run(["check", "--stack", "nope", "--plan", "PLAN"], planFile({})).stderr).toContain(
      "Pulumi.nope.yaml not found",
    );
  });
});
