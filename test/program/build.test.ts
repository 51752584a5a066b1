// The build path on staging: only from a clean checkout exactly at the tag, built once, two tags.
import { afterEach, describe, expect, it } from "vitest";
import { tempRepo, type TempRepo } from "../support/gitRepo";
import { FACILITATOR_REPOSITORY, releasedImages, runStack } from "../support/stack";

const registry = releasedImages(["v1.2.2", "v1.2.3"]);

describe("staging with imageTag v1.3.0, not yet in the registry", () => {
  let repo: TempRepo;
  afterEach(() => repo.remove());

  function checkout(atTag: boolean): string {
    repo = tempRepo();
    repo.commit("release");
    repo.git("tag", "-a", "v1.3.0", "-m", "release(v1.3.0): test");
    if (!atTag) repo.commit("after the tag");
    return repo.git("rev-parse", "--short=7", "HEAD");
  }

  it("HEAD at the tag: builds once, pushes v1.3.0 and sha-<short>, deploys the built digest", async () => {
    const sha = checkout(true);
    const run = await runStack({ stack: "staging", config: { imageTag: "v1.3.0" }, registry, cwd: repo.dir });

    const built = run.one("docker-build:index:Image"); // exactly one build
    expect(built.inputs["tags"]).toEqual([`${FACILITATOR_REPOSITORY}:v1.3.0`, `${FACILITATOR_REPOSITORY}:sha-${sha}`]);
    expect(built.inputs["push"]).toBe(true);
    expect(built.options.retainOnDelete).toBe(true);
    // Labelled as scripts/publish.sh labels a release: version, full sha, commit time, source (no origin here).
    expect(built.inputs["buildArgs"]).toEqual({
      CREATED: repo.git("log", "-1", "--format=%cI"),
      REVISION: repo.git("rev-parse", "HEAD"),
      SOURCE: "",
      VERSION: "v1.3.0",
    });
    // The push waits for the repository this stack owns and for the grant that lets CI push to it.
    const childrenOf = (type: string) => run.resources.filter((r) => r.parent === run.one(type).urn).map((r) => r.urn);
    const waitsFor = [...childrenOf("facilitator:index:Registry"), ...childrenOf("facilitator:index:RegistryAccess")];
    expect(
      run
        .ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
        .some((m) => m.inputs["role"] === "roles/artifactregistry.writer"),
    ).toBe(true);
    expect(built.options.dependsOn).toEqual(expect.arrayContaining(waitsFor));

    const digest = String(built.state["digest"]);
    const image = (
      run.one("kubernetes:apps/v1:Deployment").inputs as {
        spec: { template: { spec: { containers: { image: string }[] } } };
      }
    ).spec.template.spec.containers[0]!.image;
    expect(image).toBe(`${FACILITATOR_REPOSITORY}@${digest}`);
    expect(run.outputs).toMatchObject({
      imageTag: "v1.3.0",
      imageDigest: digest,
      imageRef: `${FACILITATOR_REPOSITORY}@${digest}`,
    });
  });

  it("HEAD not at the tag: fails with the tag, the missing condition and the fix; nothing deployed", async () => {
    const sha = checkout(false);
    await expect(
      runStack({ stack: "staging", config: { imageTag: "v1.3.0" }, registry, cwd: repo.dir }),
    ).rejects.toThrow(
      `Image tag v1.3.0 is not in ${FACILITATOR_REPOSITORY}, and HEAD (${sha}) is not at git tag v1.3.0, so it cannot be built: an image is built only from its tag. ` +
        `Check out the tag (git fetch --tags && git checkout v1.3.0) or tag this commit (git tag -a v1.3.0 -m "release(v1.3.0): <summary>"), then run pulumi up again.`,
    );
  });

  it("uncommitted changes at the tag: fails rather than building something that is not the tag", async () => {
    checkout(true);
    repo.write("CHANGES.txt", "local edit\n");
    await expect(
      runStack({ stack: "staging", config: { imageTag: "v1.3.0" }, registry, cwd: repo.dir }),
    ).rejects.toThrow(/HEAD is at v1\.3\.0 but the working tree has uncommitted or untracked changes/);
  });

  it("the tag already released: resolves it even with HEAD elsewhere (no rebuild)", async () => {
    checkout(false);
    const run = await runStack({ stack: "staging", config: { imageTag: "v1.2.3" }, registry, cwd: repo.dir });
    expect(run.ofType("docker-build:index:Image")).toEqual([]);
  });
});
