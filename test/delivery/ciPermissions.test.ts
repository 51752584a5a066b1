// Under mocks, over the committed stacks: the changes a release and a rollback plan stay inside what
// the CI deployer may change, with its rights read from what the program itself grants it (the
// CiIdentity's project IAM members, the registry grants); a change outside them (an alert policy,
// an IAM member, a GitHub environment variable) is caught by the deploy job's check step, which
// runs before `pulumi up` (its ordering: workflows.test.ts).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { classify, deployerGrants, plannedChanges, stackSettings, type DeployerGrants } from "../../scripts/ciPlan.mjs";
import { tempRepo, type TempRepo } from "../support/gitRepo";
import { releasedImages, REPO_ROOT, runStack, type StackRun } from "../support/stack";
import { planOf } from "../rehearsal/runner";

const REGISTRY = releasedImages(["v1.2.2", "v1.2.3"]);
const WRITER = "roles/artifactregistry.writer";

/** The deployer's rights as the program grants them: its project roles and, if any, registry write. */
function grantsOf(run: StackRun): DeployerGrants {
  const deployer = run
    .ofType("gcp:serviceaccount/account:Account")
    .find((a) => String(a.inputs["accountId"]).startsWith("ci-deploy-"));
  if (!deployer) throw new Error("the stack creates no CI deployer");
  const member = String(deployer.state["member"]);
  const projectRoles = run
    .ofType("gcp:projects/iAMMember:IAMMember")
    .filter((m) => m.inputs["member"] === member)
    .map((m) => String(m.inputs["role"]));
  // Registry access by member (RepositoryIamMember) or by an authoritative binding, whichever the program uses.
  const writes =
    run
      .ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
      .some((m) => m.inputs["role"] === WRITER && m.inputs["member"] === member) ||
    run
      .ofType("gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding")
      .some((b) => b.inputs["role"] === WRITER && (b.inputs["members"] as string[]).includes(member));
  return deployerGrants({ projectRoles, registryWriter: writes });
}

const changesOf = (state: StackRun, next: StackRun) => plannedChanges(planOf(state.resources, next.resources));
const described = (changes: { ops: string[]; type: string }[]) =>
  changes.map((c) => `${c.ops.join("+")} ${c.type}`).sort();

let staging: StackRun;
let prod: StackRun;
beforeAll(async () => {
  staging = await runStack({ stack: "staging", registry: REGISTRY });
  prod = await runStack({ stack: "prod", registry: REGISTRY });
});

describe("the CI deployer's rights", () => {
  it("are what the program grants it, and what the deploy job's check reads from the stack files", () => {
    expect(grantsOf(staging)).toMatchObject({ projectRoles: ["roles/container.developer"], registryWriter: true });
    expect(grantsOf(prod)).toMatchObject({ projectRoles: ["roles/container.developer"], registryWriter: false });
    for (const [stack, run] of [
      ["staging", staging],
      ["prod", prod],
    ] as const) {
      expect(deployerGrants(stackSettings(REPO_ROOT, stack))).toEqual(grantsOf(run));
    }
  });
});

describe("a release and a rollback stay inside them", () => {
  let repo: TempRepo;
  let release: StackRun;
  beforeAll(async () => {
    // staging at v1.3.0 from a clean checkout exactly at the tag: it builds and pushes
    repo = tempRepo();
    repo.commit("release");
    repo.git("tag", "-a", "v1.3.0", "-m", "release(v1.3.0): test");
    release = await runStack({ stack: "staging", config: { imageTag: "v1.3.0" }, registry: REGISTRY, cwd: repo.dir });
  });
  afterAll(() => repo.remove());

  it("release, staging v1.2.3 -> v1.3.0: build and push, new Deployment image", () => {
    const changes = changesOf(staging, release);
    expect(described(changes)).toEqual(["create docker-build:index:Image", "update kubernetes:apps/v1:Deployment"]);
    expect(classify(changes, grantsOf(release)).outside).toEqual([]);
  });

  it("release, prod v1.2.3 -> v1.3.0 once staging pushed it: the Deployment image only", async () => {
    const next = await runStack({
      stack: "prod",
      config: { imageTag: "v1.3.0" },
      registry: releasedImages(["v1.2.2", "v1.2.3", "v1.3.0"]),
    });
    const changes = changesOf(prod, next);
    expect(described(changes)).toEqual(["update kubernetes:apps/v1:Deployment"]);
    expect(classify(changes, grantsOf(next)).outside).toEqual([]);
  });

  it("rollback, prod v1.2.3 -> v1.2.2: the Deployment image only", async () => {
    const next = await runStack({ stack: "prod", config: { imageTag: "v1.2.2" }, registry: REGISTRY });
    const changes = changesOf(prod, next);
    expect(described(changes)).toEqual(["update kubernetes:apps/v1:Deployment"]);
    expect(classify(changes, grantsOf(next)).outside).toEqual([]);
  });

  it("rollback, staging v1.3.0 -> v1.2.3: the build resource leaves state (tags retained), new Deployment image", async () => {
    const next = await runStack({ stack: "staging", registry: REGISTRY });
    const changes = changesOf(release, next);
    expect(described(changes)).toEqual(["delete docker-build:index:Image", "update kubernetes:apps/v1:Deployment"]);
    expect(release.one("docker-build:index:Image").options.retainOnDelete).toBe(true); // the delete touches no registry
    expect(classify(changes, grantsOf(next)).outside).toEqual([]);
  });
});

describe("a change outside them is caught before anything is applied", () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  /** The deploy job's check step on the plan of this change: `node scripts/ciPlan.mjs check`. */
  function check(stack: string, state: StackRun, next: StackRun) {
    const dir = mkdtempSync(join(tmpdir(), "ci-permissions-"));
    temps.push(dir);
    const plan = join(dir, `${stack}.plan.json`);
    writeFileSync(plan, JSON.stringify(planOf(state.resources, next.resources)));
    const result = spawnSync(process.execPath, ["scripts/ciPlan.mjs", "check", "--stack", stack, "--plan", plan], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    return { status: result.status, out: `${result.stdout}${result.stderr}` };
  }

  it("an alert threshold (monitoring): the alert policy update needs roles/monitoring.editor", async () => {
    const next = await runStack({ stack: "prod", config: { monitoringErrorRatio: "0.05" }, registry: REGISTRY });
    const { outside } = classify(changesOf(prod, next), grantsOf(prod));
    expect(described(outside)).toEqual(["update gcp:monitoring/alertPolicy:AlertPolicy"]);
    const result = check("prod", prod, next);
    expect(result.status).toBe(1);
    expect(result.out).toContain("needs roles/monitoring.editor");
    expect(result.out).toContain("Nothing was applied.");
    expect(result.out).toContain("pulumi up --stack prod");
  });

  it("a new role for the deployer (IAM): the IAM member needs IAM admin rights", async () => {
    const next = await runStack({
      stack: "prod",
      config: { ciDeployerRoles: '["roles/container.developer","roles/monitoring.viewer"]' },
      registry: REGISTRY,
    });
    const { outside } = classify(changesOf(prod, next), grantsOf(prod));
    expect(described(outside)).toEqual(["create gcp:projects/iAMMember:IAMMember"]);
    const result = check("prod", prod, next);
    expect(result.status).toBe(1);
    expect(result.out).toContain("needs IAM admin rights");
  });

  it("a GitHub environment setting: the variable needs a GitHub admin token", async () => {
    const next = await runStack({ stack: "staging", config: { ciGkeCluster: "facilitator-2" }, registry: REGISTRY });
    const { outside } = classify(changesOf(staging, next), grantsOf(staging));
    expect(described(outside)).toEqual([
      "update github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
      "update github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
    ]);
    expect(check("staging", staging, next).out).toContain("needs a GitHub token with admin rights on the repository");
  });

  it("with the workload change next to it, nothing is applied either (all or nothing)", async () => {
    const next = await runStack({
      stack: "prod",
      config: { imageTag: "v1.2.2", monitoringErrorRatio: "0.05" },
      registry: REGISTRY,
    });
    const { inside, outside } = classify(changesOf(prod, next), grantsOf(prod));
    expect(described(inside)).toEqual(["update kubernetes:apps/v1:Deployment"]);
    expect(outside).toHaveLength(1);
    expect(check("prod", prod, next).status).toBe(1);
  });
});
