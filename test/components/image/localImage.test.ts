// LocalFacilitatorImage under the shared mocks (runProgram): the image in the local registry, and
// the alias that keeps stacks created under its former type token from replacing it.
import { describe, expect, it } from "vitest";
import { LOCAL_IMAGE_FORMER_TYPE, LocalFacilitatorImage } from "../../../components/image/localImage";
import { fakeDigest } from "../../support/fakes";
import { runProgram } from "../../support/program";

const REPOSITORY = "127.0.0.1:5000/x402-facilitator-amoy";
const base = { registry: "127.0.0.1:5000", imageName: "x402-facilitator-amoy", contextDir: "." };

describe("LocalFacilitatorImage", () => {
  it("resolve: references the digest and builds nothing", async () => {
    const digest = fakeDigest("sha-1a2b3c4");
    const run = await runProgram(() => {
      const image = new LocalFacilitatorImage("facilitator", {
        ...base,
        action: { action: "resolve", tag: "sha-1a2b3c4", digest },
      });
      return { repository: image.repository, tag: image.tag, digest: image.digest, ref: image.ref };
    });
    expect(run.outputs).toEqual({ repository: REPOSITORY, tag: "sha-1a2b3c4", digest, ref: `${REPOSITORY}@${digest}` });
    expect(run.ofType("docker-build:index:Image")).toEqual([]);
  });

  it("is named as its class is, with an alias of its former type token, so an existing local stack sees no replacement", async () => {
    const run = await runProgram(() => {
      new LocalFacilitatorImage("facilitator", {
        ...base,
        action: { action: "resolve", tag: "v1.2.3", digest: fakeDigest("v1.2.3") },
      });
      return {};
    });
    const component = run.one("facilitator:index:LocalFacilitatorImage");
    expect(LOCAL_IMAGE_FORMER_TYPE).toBe("facilitator:index:LocalImage");
    expect(component.options.aliases).toContainEqual({ type: LOCAL_IMAGE_FORMER_TYPE });
    expect(run.ofType(LOCAL_IMAGE_FORMER_TYPE)).toEqual([]);
  });
});
