// The image decision, "resolve | build | fail", as a pure function of the facts, and which paths make
// up the build context (the cleanliness check of both tag policies).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  artifactRegistryHost,
  artifactRegistryImage,
  buildContextPaths,
  findTagDigest,
  imageRefByDigest,
  planImage,
  type ImageFacts,
} from "../../../components/image/imagePlan";
import { fakeDigest } from "../../support/fakes";
import { REPO_ROOT } from "../../support/stack";

const REPOSITORY = "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator/x402-facilitator-amoy";
const DIGEST = fakeDigest("v1.2.3");
const AT_TAG = { shortSha: "abc1234", headAtTag: true, clean: true };

function facts(overrides: Partial<ImageFacts>): ImageFacts {
  return {
    stack: "staging",
    tag: "v1.3.0",
    repository: REPOSITORY,
    digest: undefined,
    mayBuild: true,
    promoteOnly: false,
    git: AT_TAG,
    ...overrides,
  };
}

describe("planImage", () => {
  it("a tag in the registry resolves to its digest, whatever else holds (rollback, promotion)", () => {
    for (const mayBuild of [true, false]) {
      for (const git of [AT_TAG, { ...AT_TAG, headAtTag: false }, undefined]) {
        expect(planImage(facts({ digest: DIGEST, mayBuild, git }))).toEqual({ action: "resolve", digest: DIGEST });
      }
    }
  });

  it("a missing tag is built when the stack may build and HEAD is cleanly at the tag", () => {
    expect(planImage(facts({}))).toEqual({ action: "build", shortSha: "abc1234" });
  });

  it("a missing tag on a stack that may not build fails, naming the tag, the condition and the fix", () => {
    const plan = planImage(facts({ mayBuild: false, git: undefined }));
    expect(plan).toEqual({
      action: "fail",
      reason:
        `Image tag v1.3.0 is not in ${REPOSITORY}, and stack staging may not build it (facilitator:build is false). ` +
        `Let this stack build it (pulumi config set --stack staging facilitator:build true), or release it through the stack that builds; ` +
        `or deploy a tag that exists (gcloud artifacts docker tags list ${REPOSITORY}).`,
    });
  });

  it("on a promote-only stack the fix is to release through staging, never to build", () => {
    const plan = planImage(facts({ stack: "prod", mayBuild: false, promoteOnly: true, git: undefined }));
    expect(plan.action).toBe("fail");
    const reason = plan.action === "fail" ? plan.reason : "";
    expect(reason).toContain("Image tag v1.3.0 is not in");
    expect(reason).toContain("Stack prod only deploys images the staging stack built: release v1.3.0 to staging first");
    expect(reason).not.toContain("facilitator:build true");
  });

  it("HEAD not at the tag fails, naming the tag, HEAD and how to get there", () => {
    const plan = planImage(facts({ git: { shortSha: "def5678", headAtTag: false, clean: true } }));
    expect(plan).toEqual({
      action: "fail",
      reason:
        `Image tag v1.3.0 is not in ${REPOSITORY}, and HEAD (def5678) is not at git tag v1.3.0, so it cannot be built: an image is built only from its tag. ` +
        `Check out the tag (git fetch --tags && git checkout v1.3.0) or tag this commit (git tag -a v1.3.0 -m "release(v1.3.0): <summary>"), then run pulumi up again.`,
    });
  });

  it("a dirty tree at the tag fails: the build would not be the tagged commit", () => {
    const plan = planImage(facts({ git: { ...AT_TAG, clean: false } }));
    expect(plan.action).toBe("fail");
    expect(plan.action === "fail" && plan.reason).toContain(
      "HEAD is at v1.3.0 but the working tree has uncommitted or untracked changes",
    );
  });

  it("refuses to guess without git facts when a build is possible", () => {
    expect(() => planImage(facts({ git: undefined }))).toThrow(/git facts are required/);
  });
});

describe("registry listing and references", () => {
  const listing = [
    {
      imageName: "x402-facilitator-amoy",
      selfLink: `${REPOSITORY}@${fakeDigest("old")}`,
      tags: ["v1.2.2", "sha-1111111"],
    },
    { imageName: "x402-facilitator-amoy", selfLink: `${REPOSITORY}@${DIGEST}`, tags: ["v1.2.3", "sha-2222222"] },
    {
      imageName: "other-image",
      selfLink: `${REPOSITORY.replace("x402-facilitator-amoy", "other-image")}@${fakeDigest("other")}`,
      tags: ["v1.3.0"],
    },
  ];

  it("finds the digest a tag points to, only for the right image", () => {
    expect(findTagDigest(listing, "x402-facilitator-amoy", "v1.2.3")).toBe(DIGEST);
    expect(findTagDigest(listing, "x402-facilitator-amoy", "v1.2.2")).toBe(fakeDigest("old"));
    expect(findTagDigest(listing, "x402-facilitator-amoy", "v1.3.0")).toBeUndefined();
    expect(findTagDigest([], "x402-facilitator-amoy", "v1.2.3")).toBeUndefined();
  });

  it("a listed image without a digest is an error, not a silent miss", () => {
    expect(() => findTagDigest([{ imageName: "x", selfLink: "host/p/r/x:v1", tags: ["v1"] }], "x", "v1")).toThrow(
      /without a digest/,
    );
  });

  it("builds registry paths and digest references", () => {
    expect(artifactRegistryImage("europe-west1", "p-1", "facilitator", "img")).toBe(
      "europe-west1-docker.pkg.dev/p-1/facilitator/img",
    );
    expect(artifactRegistryHost("us")).toBe("us-docker.pkg.dev");
    expect(imageRefByDigest(REPOSITORY, DIGEST)).toBe(`${REPOSITORY}@${DIGEST}`);
    expect(() => imageRefByDigest(REPOSITORY, "v1.2.3")).toThrow(/Not an image digest/);
  });
});

describe("buildContextPaths", () => {
  it("is the Dockerfile plus the .dockerignore whitelist of this repository", () => {
    const paths = buildContextPaths(readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8"));
    expect(paths).toContain("demo/facilitator-amoy.Dockerfile");
    expect(paths).toContain("demo/a2a/facilitator-amoy/src");
    expect(paths.some((p) => p.startsWith("Pulumi") || p === "." || p.includes("*"))).toBe(false);
  });
});
