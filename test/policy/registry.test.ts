import { describe, expect, it } from "vitest";
import { registryImmutableTags } from "../../policy/registry";
import { runPolicies } from "../../policy/run";
import { resource } from "./fixtures";

const repository = (props: Record<string, unknown>) =>
  resource("gcp:artifactregistry/repository:Repository", "facilitator", {
    repositoryId: "facilitator",
    location: "europe-west1",
    format: "DOCKER",
    ...props,
  });

describe("registry-immutable-tags", () => {
  it("passes a Docker repository with immutable tags", async () => {
    expect(await runPolicies([registryImmutableTags], [repository({ dockerConfig: { immutableTags: true } })])).toEqual(
      [],
    );
  });

  it("rejects a Docker repository with mutable or unset tags", async () => {
    for (const dockerConfig of [{ immutableTags: false }, undefined]) {
      const violations = await runPolicies([registryImmutableTags], [repository({ dockerConfig })]);
      expect(violations.map((v) => v.message)).toEqual([
        'Docker repository "facilitator" has mutable tags: set dockerConfig: { immutableTags: true }.',
      ]);
    }
  });

  it("does not apply to other formats or to remote repositories", async () => {
    const others = [repository({ format: "NPM" }), repository({ mode: "REMOTE_REPOSITORY" })];
    expect(await runPolicies([registryImmutableTags], others)).toEqual([]);
  });
});
