// A rollback is a stack-config change on main: what the deploy applies is main's program and stack
// files, and the old tag selects only the image. Played on a clone of this repository: releases
// v1.2.2 and v1.2.3 each carry prod's signer key A; main then rotates it to B; a pull request rolls
// prod back to v1.2.2. deploy-on-merge.yml and release.yml decide, with their own scripts and
// checkout steps (test/rehearsal/runner.ts), what the production job checks out; the program then
// runs there under mocks. Before: the run was dispatched at the tag and deployed the tag's tree,
// signer key A included.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffRuns } from "../support/diff";
import { ANVIL_DEV_KEY_1, ANVIL_DEV_KEY_2, FAKE_RPC_URL } from "../support/fakes";
import type { RecordedResource } from "../support/mocks";
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
  pulumiProgram,
  releasePlan,
  setConfig,
  startRun,
  type Dispatch,
  type Origin,
  type Workspace,
} from "../rehearsal/runner";

const REGISTRY = releasedImages(["v1.2.2", "v1.2.3"]);
const KEY_A = ANVIL_DEV_KEY_1; // the signer key releases v1.2.2 and v1.2.3 were cut with
const KEY_B = ANVIL_DEV_KEY_2; // the key main rotated to afterwards
const image = (r: RecordedResource) =>
  (r.inputs as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0]!
    .image;

let origin: Origin;
let rotated: string;
let merge: { status: number | null; log: string; dispatches: Dispatch[] };
let ws: Workspace;
let applied: ProgramRun;
let beforeRollback: ProgramRun;

beforeAll(async () => {
  origin = cloneHead();
  for (const tag of ["v1.2.2", "v1.2.3"]) {
    origin.commit(`release(${tag})`, () => {
      for (const stack of ["staging", "prod"])
        setConfig(origin.dir, stack, { imageTag: tag }, { privateKey: KEY_A, rpcUrl: FAKE_RPC_URL });
    });
    origin.git("tag", "-a", tag, "-m", `release(${tag}): test`);
  }
  rotated = origin.commit("rotate prod's signer key", () => setConfig(origin.dir, "prod", {}, { privateKey: KEY_B }));
  origin.commit("roll back prod to v1.2.2", () => setConfig(origin.dir, "prod", { imageTag: "v1.2.2" }));

  merge = deployOnMerge(origin, rotated);
  const run = startRun(origin, merge.dispatches[0]!);
  expect(releasePlan(origin, run)).toMatchObject({ status: 0, staging: false, prod: true });
  ws = checkoutFor(origin, run, "production");
  npmCi(ws);
  googleAuth(ws, "x402-facilitator-prod", "ci-deploy-prod@x402-facilitator-prod.iam.gserviceaccount.com");
  applied = await pulumiProgram(ws, "prod", REGISTRY);

  const previous = checkoutCommit(origin, rotated);
  npmCi(previous);
  beforeRollback = await pulumiProgram(previous, "prod", REGISTRY);
}, 120_000);
afterAll(cleanUp);

describe("prod rollback to v1.2.2 after a secret rotation on main", () => {
  it("is dispatched at main, for prod alone", () => {
    expect(merge.status).toBe(0);
    expect(merge.dispatches).toEqual([{ workflow: "release.yml", ref: "main", inputs: { stacks: "prod" } }]);
  });

  it("the production job checks out main's tree, not the tag's", () => {
    expect(origin.git("-C", ws.dir, "rev-parse", "HEAD")).toBe(origin.tip());
    expect(origin.git("-C", ws.dir, "status", "--porcelain", "--untracked-files=no")).toBe("");
    expect(origin.git("diff", "--stat", "v1.2.2", origin.tip(), "--", "Pulumi.prod.yaml")).not.toBe(""); // the tag's stack file is another one
  });

  it("keeps the rotated secret: the Kubernetes Secret holds key B, never A", () => {
    const secrets = applied.ofType("kubernetes:core/v1:Secret");
    expect(secrets).toHaveLength(1);
    const data = JSON.stringify(secrets[0]!.inputs);
    expect(data).toContain(KEY_B);
    expect(data).not.toContain(KEY_A);
  });

  it("changes only the image: against main before the rollback, one input of one resource differs", () => {
    const deployment = applied.one("kubernetes:apps/v1:Deployment");
    expect(diffRuns(beforeRollback.resources, applied.resources)).toEqual({
      [deployment.urn]: ["spec.template.spec.containers.0.image"],
    });
    expect(image(deployment)).toBe(
      `${REGISTRY[0]!.repository}@${REGISTRY.find((i) => i.tags.includes("v1.2.2"))!.digest}`,
    );
    expect(image(beforeRollback.one("kubernetes:apps/v1:Deployment"))).toBe(
      `${REGISTRY[0]!.repository}@${REGISTRY.find((i) => i.tags.includes("v1.2.3"))!.digest}`,
    );
    expect(applied.outputs["imageTag"]).toBe("v1.2.2");
  });

  it("leaves staging alone (its stack file did not change)", () => {
    expect(merge.dispatches.map((d) => d.inputs["stacks"])).not.toContain("both");
  });
});
