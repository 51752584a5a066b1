// Rollback and promotion: changing prod's imageTag changes only the Deployment's image digest.
import { afterEach, describe, expect, it } from "vitest";
import { diffRuns } from "../support/diff";
import { fakeDigest } from "../support/fakes";
import { tempRepo, type TempRepo } from "../support/gitRepo";
import { FACILITATOR_REPOSITORY, releasedImages, runStack } from "../support/stack";

const registry = releasedImages(["v1.2.2", "v1.2.3"]);
const digest = (tag: string) => fakeDigest(`${FACILITATOR_REPOSITORY}:${tag}`);

describe("prod rollback v1.2.3 → v1.2.2", () => {
  it("changes only the Deployment's image digest, and builds nothing", async () => {
    const current = await runStack({ stack: "prod", registry });
    const rolledBack = await runStack({ stack: "prod", config: { imageTag: "v1.2.2" }, registry });

    const deployment = current.one("kubernetes:apps/v1:Deployment").urn;
    expect(diffRuns(current.resources, rolledBack.resources)).toEqual({
      [deployment]: ["spec.template.spec.containers.0.image"],
    });
    const image = (run: typeof current) =>
      (
        run.one("kubernetes:apps/v1:Deployment").inputs as {
          spec: { template: { spec: { containers: { image: string }[] } } };
        }
      ).spec.template.spec.containers[0]!.image;
    expect(image(current)).toBe(`${FACILITATOR_REPOSITORY}@${digest("v1.2.3")}`);
    expect(image(rolledBack)).toBe(`${FACILITATOR_REPOSITORY}@${digest("v1.2.2")}`);

    for (const run of [current, rolledBack]) expect(run.ofType("docker-build:index:Image")).toEqual([]);
    expect(rolledBack.outputs).toMatchObject({
      imageTag: "v1.2.2",
      imageDigest: digest("v1.2.2"),
      imageRef: `${FACILITATOR_REPOSITORY}@${digest("v1.2.2")}`,
    });
    expect(rolledBack.outputs["imageRepository"]).toBe(current.outputs["imageRepository"]);
    expect(rolledBack.outputs["namespace"]).toBe(current.outputs["namespace"]);
  });

  it("an unchanged stack gives identical inputs on every run (no phantom diffs)", async () => {
    const first = await runStack({ stack: "prod", registry });
    const second = await runStack({ stack: "prod", registry });
    expect(diffRuns(first.resources, second.resources)).toEqual({});
  });
});

describe("prod never builds, whatever its config says", () => {
  let repo: TempRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it("facilitator:build true on prod is a config error; nothing is built", async () => {
    await expect(runStack({ stack: "prod", config: { build: "true" }, registry })).rejects.toThrow(
      /facilitator:build: expected false; stack prod never builds/,
    );
  });

  it("a tag staging has not released fails on prod even from a clean checkout at that tag", async () => {
    repo = tempRepo();
    repo.commit("release");
    repo.git("tag", "-a", "v1.3.0", "-m", "release(v1.3.0): test");
    await expect(runStack({ stack: "prod", config: { imageTag: "v1.3.0" }, registry, cwd: repo.dir })).rejects.toThrow(
      /Image tag v1\.3\.0 is not in .*Stack prod only deploys images the staging stack built: release v1\.3\.0 to staging first/,
    );
  });
});
