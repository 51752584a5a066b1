// The local tag policy (planLocalImage), as a pure function of the facts.
import { describe, expect, it } from "vitest";
import { concreteTag, planLocalImage, type LocalImageFacts } from "../../../components/image/localImagePlan";

describe("planLocalImage (the local tag policy)", () => {
  const git = { shortSha: "1a2b3c4", headAtTag: false, clean: true };
  const facts = (over: Partial<LocalImageFacts>): LocalImageFacts => ({
    stack: "local",
    repository: "127.0.0.1:5000/x402-facilitator-amoy",
    tag: "sha-1a2b3c4",
    digest: undefined,
    mayBuild: true,
    git,
    ...over,
  });
  const digest = `sha256:${"a".repeat(64)}`;

  it("HEAD is the working tree's commit", () => {
    expect(concreteTag("HEAD", git)).toBe("sha-1a2b3c4");
    expect(concreteTag("v1.2.3", undefined)).toBe("v1.2.3");
  });

  it("a tag in the registry is resolved, never rebuilt", () => {
    expect(planLocalImage(facts({ digest, git: undefined, mayBuild: false }))).toEqual({
      action: "resolve",
      tag: "sha-1a2b3c4",
      digest,
    });
  });

  it("HEAD's sha- tag is built from a clean build context", () => {
    expect(planLocalImage(facts({}))).toEqual({
      action: "build",
      tag: "sha-1a2b3c4",
      tags: ["sha-1a2b3c4"],
      shortSha: "1a2b3c4",
    });
  });

  it("a release tag is built only at that git tag, and pushed with its sha- tag too", () => {
    expect(planLocalImage(facts({ tag: "v1.2.3", git: { ...git, headAtTag: true } }))).toEqual({
      action: "build",
      tag: "v1.2.3",
      tags: ["v1.2.3", "sha-1a2b3c4"],
      shortSha: "1a2b3c4",
    });
    const plan = planLocalImage(facts({ tag: "v1.2.3" }));
    expect(plan).toMatchObject({
      action: "fail",
      reason: expect.stringMatching(/HEAD \(sha-1a2b3c4\) is not at git tag v1\.2\.3, so it cannot be built/),
    });
  });

  it("a dirty build context, or a stack that may not build, fails with the fix", () => {
    expect(planLocalImage(facts({ git: { ...git, clean: false } }))).toMatchObject({
      action: "fail",
      reason: expect.stringMatching(/uncommitted or untracked changes.*Commit them/),
    });
    expect(planLocalImage(facts({ mayBuild: false }))).toMatchObject({
      action: "fail",
      reason: expect.stringMatching(
        /facilitator:build is false.*pulumi config set --stack local facilitator:build true/,
      ),
    });
  });
});
