import { describe, expect, it } from "vitest";
import { imageReferenceProblems, imagesByDigest, tagOf } from "../../policy/images";
import { runPolicies } from "../../policy/run";
import { DIGEST, IMAGE_BY_DIGEST, deployment, dockerContainer, main, resource } from "./fixtures";

const REPO = "europe-west1-docker.pkg.dev/facilitator-staging/facilitator/facilitator";

describe("images-by-digest", () => {
  it("passes a Deployment whose containers reference images by digest", async () => {
    expect(await runPolicies([imagesByDigest], [deployment()])).toEqual([]);
  });

  it("rejects a Deployment image referenced by tag, naming the container and the fix", async () => {
    const violations = await runPolicies([imagesByDigest], [deployment((pod) => (main(pod).image = `${REPO}:v1.2.3`))]);
    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toMatch(/container "facilitator" references .*:v1\.2\.3 by tag, not by digest/);
    expect(violations[0]?.urn).toContain("kubernetes:apps/v1:Deployment");
  });

  it("rejects `latest` even when a digest is present, and checks init containers too", async () => {
    const violations = await runPolicies(
      [imagesByDigest],
      [deployment((pod) => (pod.initContainers = [{ name: "init", image: `${REPO}:latest@${DIGEST}` }]))],
    );
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/initContainer "init" uses the "latest" tag/),
    ]);
  });

  it("covers pods of CronJobs", async () => {
    const cronJob = resource("kubernetes:batch/v1:CronJob", "sweeper", {
      spec: {
        schedule: "*/5 * * * *",
        jobTemplate: { spec: { template: { spec: { containers: [{ name: "sweep", image: "busybox" }] } } } },
      },
    });
    expect(await runPolicies([imagesByDigest], [cronJob])).toHaveLength(1);
  });

  it("passes a docker Container by digest or image id and rejects one by tag", async () => {
    expect(await runPolicies([imagesByDigest], [dockerContainer()])).toEqual([]);
    const byTag = await runPolicies([imagesByDigest], [dockerContainer((c) => (c.image = `${REPO}:v1.2.3`))]);
    expect(byTag.map((v) => v.message)).toEqual([expect.stringMatching(/^docker container references .* by tag/)]);
    const byImageId = await runPolicies([imagesByDigest], [dockerContainer((c) => (c.image = DIGEST))]);
    expect(byImageId).toEqual([]);
  });

  it("passes a docker RemoteImage pulled by digest and rejects one pulled by tag", async () => {
    const remote = (name: string) =>
      resource("docker:index/remoteImage:RemoteImage", "facilitator", { name, keepLocally: true });
    expect(await runPolicies([imagesByDigest], [remote(IMAGE_BY_DIGEST)])).toEqual([]);
    const byTag = await runPolicies([imagesByDigest], [remote(`${REPO}:latest`)]);
    expect(byTag.map((v) => v.message)).toEqual([
      expect.stringMatching(/^docker RemoteImage uses the "latest" tag/),
      expect.stringMatching(/^docker RemoteImage references .* by tag, not by digest/),
    ]);
  });

  it("rejects a docker-build Image that pushes `latest`, passes immutable tags", async () => {
    const image = (tags: string[]) => resource("docker-build:index:Image", "facilitator", { push: true, tags });
    expect(await runPolicies([imagesByDigest], [image([`${REPO}:v1.2.3`, `${REPO}:sha-1a2b3c4`])])).toEqual([]);
    const latest = await runPolicies([imagesByDigest], [image([`${REPO}:v1.2.3`, `${REPO}:latest`])]);
    expect(latest.map((v) => v.message)).toEqual([expect.stringMatching(/pushes the "latest" tag/)]);
  });

  it("ignores resources that run no images", async () => {
    expect(
      await runPolicies([imagesByDigest], [resource("kubernetes:core/v1:Service", "facilitator", { spec: {} })]),
    ).toEqual([]);
  });
});

describe("image reference parsing", () => {
  it.each([
    [`${REPO}:v1.2.3`, "v1.2.3"],
    [`${REPO}:latest@${DIGEST}`, "latest"],
    [IMAGE_BY_DIGEST, undefined],
    ["localhost:5000/facilitator", undefined],
    ["localhost:5000/facilitator:v1", "v1"],
  ])("tag of %s is %s", (image, tag) => {
    expect(tagOf(image)).toBe(tag);
  });

  it("accepts only a full sha256 digest", () => {
    expect(imageReferenceProblems(IMAGE_BY_DIGEST)).toEqual([]);
    expect(imageReferenceProblems(`${REPO}@sha256:mock`)).toHaveLength(1);
    expect(imageReferenceProblems(undefined)).toEqual(["has no image"]);
  });
});
