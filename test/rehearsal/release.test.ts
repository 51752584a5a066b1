// Release rehearsal: a release and a rollback played step by step on a fresh clone of this
// repository's HEAD, as GitHub's runners would run them (test/rehearsal/runner.ts says what is
// played and what stands in for what). Each deploy job: checkout as its actions/checkout step says,
// npm ci (linked), google-github-actions/auth's credentials file in the workspace, pulumi preview
// (the program through package.json's main, the stack's config), the CI-rights check on the saved
// plan, pulumi up, then another preview, which must change nothing.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plannedChanges } from "../../scripts/ciPlan.mjs";
import { diffRuns } from "../support/diff";
import { ANVIL_DEV_KEY_0, FAKE_RPC_URL } from "../support/fakes";
import type { RecordedResource, RegistryImage } from "../support/mocks";
import type { ProgramRun } from "../support/program";
import { releasedImages } from "../support/stack";
import {
  checkoutCommit,
  checkoutFor,
  cleanUp,
  cloneHead,
  deployOnMerge,
  googleAuth,
  npmCi,
  planOf,
  pulumiProgram,
  releasePlan,
  runStep,
  savePlan,
  setConfig,
  startRun,
  type Origin,
  type Run,
  type Workspace,
} from "./runner";

const PROJECTS = { staging: "x402-facilitator-staging", prod: "x402-facilitator-prod" } as const;
type Stack = keyof typeof PROJECTS;

let origin: Origin;
/** The fake Artifact Registry; staging's `up` pushes into it. */
const registry: RegistryImage[] = releasedImages(["v1.2.2", "v1.2.3"]);
/** What each stack's last `up` left in its Pulumi state. */
const state: Record<Stack, readonly RecordedResource[]> = { staging: [], prod: [] };

const described = (plan: unknown) =>
  plannedChanges(plan)
    .map((c) => `${c.ops.join("+")} ${c.type}`)
    .sort();

beforeAll(async () => {
  origin = cloneHead();
  // Before the rehearsal: both stacks run v1.2.3, released from this commit, with their secrets set.
  const running = origin.commit("operators set the stacks' secrets", () => {
    for (const stack of ["staging", "prod"])
      setConfig(origin.dir, stack, { imageTag: "v1.2.3" }, { privateKey: ANVIL_DEV_KEY_0, rpcUrl: FAKE_RPC_URL });
  });
  origin.git("tag", "-a", "v1.2.3", "-m", "release(v1.2.3): the running release");
  const deployed = checkoutCommit(origin, running);
  npmCi(deployed);
  for (const stack of ["staging", "prod"] as const)
    state[stack] = (await pulumiProgram(deployed, stack, registry)).resources;
}, 120_000);
afterAll(cleanUp);

/** One deploy job, played: checkout, npm ci, GCP login, preview + check + up, then the second preview. */
async function deployJob(run: Run, job: "staging" | "production") {
  const stack: Stack = job === "staging" ? "staging" : "prod";
  const ws: Workspace = checkoutFor(origin, run, job);
  npmCi(ws);
  const credentials = googleAuth(ws, PROJECTS[stack], `ci-deploy-${stack}@${PROJECTS[stack]}.iam.gserviceaccount.com`);
  const preview = await pulumiProgram(ws, stack, registry);
  const plan = planOf(state[stack], preview.resources);
  savePlan(ws, stack, plan);
  const check = runStep(origin, run, job, ws, "scripts/ciPlan.mjs check");
  let up: ProgramRun | undefined;
  if (check.status === 0) {
    up = await pulumiProgram(ws, stack, registry);
    state[stack] = up.resources;
  }
  return { ws, credentials, preview, plan, check, up };
}

/** The preview after `up`: what it would change, and the inputs of every resource it keeps. */
async function secondPreview(ws: Workspace, stack: Stack) {
  const again = await pulumiProgram(ws, stack, registry);
  return { again, plan: planOf(state[stack], again.resources), diff: diffRuns(state[stack], again.resources) };
}

describe("release v1.3.0: scripts/release.sh, then the merge deploys staging and production from main", () => {
  let run: Run;
  let staging: Awaited<ReturnType<typeof deployJob>>;

  it("the maintainer cuts the release; deploy-on-merge dispatches release.yml at main for both stacks", () => {
    const before = origin.tip();
    origin.commit("changelog for 1.3.0", () => {
      const changelog = readFileSync(join(origin.dir, "CHANGELOG.md"), "utf8");
      const entry = "## [Unreleased]\n\n## [1.3.0] - 2026-12-01\n- Rehearsed release\n";
      writeFileSync(join(origin.dir, "CHANGELOG.md"), changelog.replace("## [Unreleased]\n", entry));
    });
    const cut = spawnSync("bash", ["scripts/release.sh", "v1.3.0"], {
      cwd: origin.dir,
      encoding: "utf8",
      env: { ...process.env, RELEASE_SKIP_TESTS: "1" },
    });
    expect(`${cut.stdout}${cut.stderr}`).toContain("release: tagged v1.3.0");
    expect(cut.status).toBe(0);

    const merge = deployOnMerge(origin, before);
    expect(merge.dispatches).toEqual([{ workflow: "release.yml", ref: "main", inputs: { stacks: "both" } }]);
    run = startRun(origin, merge.dispatches[0]!);
    expect(run.sha).toBe(origin.git("rev-parse", "v1.3.0^{commit}"));
    expect(releasePlan(origin, run)).toMatchObject({ status: 0, staging: true, prod: true });
  });

  it("staging: HEAD at the tag with the credentials file in the workspace builds; the plan is inside the CI deployer's rights", async () => {
    staging = await deployJob(run, "staging");
    const { ws, credentials } = staging;
    expect(origin.git("-C", ws.dir, "describe", "--exact-match", "--tags", "HEAD")).toBe("v1.3.0");
    // google-github-actions/auth's file is there, next to the sources, and exported
    expect(credentials).toMatch(new RegExp(`^${ws.dir}/gha-creds-[0-9a-f]{16}\\.json$`));
    expect(existsSync(credentials)).toBe(true);
    expect(ws.env).toMatchObject({
      GOOGLE_APPLICATION_CREDENTIALS: credentials,
      CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE: credentials,
      GOOGLE_GHA_CREDS_PATH: credentials,
    });
    expect(origin.git("-C", ws.dir, "status", "--porcelain", "--ignored")).toContain(
      `!! ${credentials.slice(ws.dir.length + 1)}`,
    );
    // ... and does not block the build
    expect(described(staging.plan)).toEqual([
      "create docker-build:index:Image",
      "update kubernetes:apps/v1:Deployment",
    ]);
    expect(staging.check.log).toContain("all inside the CI deployer's rights");
    expect(staging.check.status).toBe(0);
  });

  it("staging: even where .gitignore does not cover the credentials file, it is outside the build context and does not block the build", async () => {
    const ws = checkoutFor(origin, run, "staging");
    npmCi(ws);
    const gitignore = join(ws.dir, ".gitignore");
    writeFileSync(gitignore, readFileSync(gitignore, "utf8").replace(/^.*gha-creds.*$/gm, ""));
    const credentials = googleAuth(
      ws,
      PROJECTS.staging,
      `ci-deploy-staging@${PROJECTS.staging}.iam.gserviceaccount.com`,
    );
    expect(
      origin
        .git("-C", ws.dir, "status", "--porcelain")
        .split("\n")
        .map((l) => l.trim())
        .sort(),
    ).toEqual([`?? ${credentials.slice(ws.dir.length + 1)}`, "M .gitignore"].sort());
    const preview = await pulumiProgram(ws, "staging", registry);
    expect(preview.ofType("docker-build:index:Image")).toHaveLength(1);
  });

  it("staging: up builds from the tag once, deploys the built digest; the credentials stay out of every input and of the build context", () => {
    const up = staging.up!;
    expect(diffRuns(staging.preview.resources, up.resources)).toEqual({}); // up runs what the preview planned
    const built = up.one("docker-build:index:Image");
    const short = origin.git("rev-parse", "--short=7", "v1.3.0^{commit}");
    expect(built.inputs["tags"]).toEqual([
      `${registry[0]!.repository}:v1.3.0`,
      `${registry[0]!.repository}:sha-${short}`,
    ]);
    expect(up.outputs).toMatchObject({ imageTag: "v1.3.0", imageDigest: built.state["digest"] });
    expect(
      runStep(origin, run, "staging", staging.ws, "is not a digest reference", {
        IMAGE_REF: String(up.outputs["imageRef"]),
      }).status,
    ).toBe(0);

    const name = staging.credentials.slice(staging.ws.dir.length + 1);
    expect(JSON.stringify(up.resources.map((r) => r.inputs))).not.toContain("gha-creds-");
    const dockerignore = readFileSync(join(staging.ws.dir, ".dockerignore"), "utf8").split("\n");
    expect(dockerignore[dockerignore.findIndex((l) => !l.startsWith("#") && l.trim() !== "")]).toBe("*"); // everything out first
    const letIn = dockerignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/+$/, ""));
    expect(letIn.filter((path) => name === path || name.startsWith(`${path}/`))).toEqual([]);

    // staging's push: the registry now holds the tag (immutable) at the built digest
    registry.push({
      repository: registry[0]!.repository,
      tags: ["v1.3.0", `sha-${short}`],
      digest: String(built.state["digest"]),
    });
  });

  it("staging, second preview: every kept resource has the same inputs; only the retained build resource leaves state", async () => {
    const { again, plan, diff } = await secondPreview(staging.ws, "staging");
    // The tag now resolves in the registry, so the program declares no build: Pulumi drops the
    // build resource from state (retainOnDelete: the pushed tags stay), as README "Deploy" says.
    expect(described(plan)).toEqual(["delete docker-build:index:Image"]);
    expect(Object.values(diff)).toEqual([["(removed)"]]);
    expect(state.staging.find((r) => r.type === "docker-build:index:Image")!.options.retainOnDelete).toBe(true);
    expect(again.outputs).toEqual(staging.up!.outputs);
    // once that is applied, the next preview is empty
    state.staging = again.resources;
    expect(described((await secondPreview(staging.ws, "staging")).plan)).toEqual([]);
  });

  it("record: RELEASES.md gets v1.3.0's row with the tag's commit", () => {
    const ws = checkoutFor(origin, run, "record");
    const outputs = staging.up!.outputs as Record<string, string>;
    const result = runStep(origin, run, "record", ws, "scripts/releasesTable.mjs", {
      IMAGE_REPOSITORY: outputs["imageRepository"]!,
      IMAGE_TAG: outputs["imageTag"]!,
      IMAGE_DIGEST: outputs["imageDigest"]!,
      IMAGE_REF: outputs["imageRef"]!,
    });
    expect(result.status).toBe(0);
    const row = readFileSync(join(ws.dir, "RELEASES.md"), "utf8")
      .split("\n")
      .find((l) => l.startsWith("| v1.3.0 |"));
    expect(row).toContain(outputs["imageDigest"]);
    expect(row).toContain(origin.git("rev-parse", "--short=12", "v1.3.0^{commit}").slice(0, 7));
    expect(row).toContain("Rehearsed release");
  });

  it("production: main's tip, the image Pulumi.prod.yaml selects, a plan inside the deployer's rights, the staged digest, then an empty preview", async () => {
    const prod = await deployJob(run, "production");
    expect(origin.git("-C", prod.ws.dir, "rev-parse", "HEAD")).toBe(origin.tip());
    const image = runStep(origin, run, "production", prod.ws, "ciPlan.mjs image", {
      GITHUB_OUTPUT: join(prod.ws.runnerTemp, "output"),
    });
    expect(image.status).toBe(0);
    expect(readFileSync(join(prod.ws.runnerTemp, "output"), "utf8")).toBe(`ref=${registry[0]!.repository}:v1.3.0\n`);
    expect(described(prod.plan)).toEqual(["update kubernetes:apps/v1:Deployment"]);
    expect(prod.check.status).toBe(0);
    const outputs = prod.up!.outputs as Record<string, string>;
    const staged = staging.up!.outputs as Record<string, string>;
    const same = runStep(origin, run, "production", prod.ws, "the signature verified before the deploy", {
      VERIFIED: staged["imageDigest"]!, // what the image-signature step reports for v1.3.0 (signing.test.ts)
      DEPLOYED: outputs["imageDigest"]!,
      DEPLOYED_TAG: outputs["imageTag"]!,
      STAGED: staged["imageDigest"]!,
      STAGED_TAG: staged["imageTag"]!,
    });
    expect(same).toMatchObject({ status: 0 });
    expect(described((await secondPreview(prod.ws, "prod")).plan)).toEqual([]);
  });
});

describe("rollback of staging to v1.2.3: a one-line change on main", () => {
  it("deploys staging alone from main; inside the deployer's rights; then an empty preview", async () => {
    const before = origin.tip();
    origin.commit("roll back staging to v1.2.3", () => setConfig(origin.dir, "staging", { imageTag: "v1.2.3" }));
    const merge = deployOnMerge(origin, before);
    expect(merge.dispatches).toEqual([{ workflow: "release.yml", ref: "main", inputs: { stacks: "staging" } }]);
    const run = startRun(origin, merge.dispatches[0]!);
    expect(releasePlan(origin, run)).toMatchObject({ status: 0, staging: true, prod: false });

    const job = await deployJob(run, "staging");
    expect(described(job.plan)).toEqual(["update kubernetes:apps/v1:Deployment"]);
    expect(job.check.status).toBe(0);
    expect(job.up!.ofType("docker-build:index:Image")).toEqual([]); // a rollback never builds
    expect(job.up!.outputs["imageTag"]).toBe("v1.2.3");
    // the Secret is main's (unchanged since the release), the image v1.2.3's
    expect(JSON.stringify(job.up!.one("kubernetes:core/v1:Secret").inputs)).toContain(ANVIL_DEV_KEY_0);
    expect(described((await secondPreview(job.ws, "staging")).plan)).toEqual([]);
  });
});
