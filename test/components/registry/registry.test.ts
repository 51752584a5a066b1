// The Artifact Registry repository component under mocks.
import { describe, expect, it } from "vitest";
import { Registry, cleanupPolicies, type RegistryArgs } from "../../../components/registry/registry";
import { runProgram } from "../../support/program";

const args: RegistryArgs = {
  project: "x402-facilitator-staging",
  location: "europe-west1",
  repositoryId: "facilitator",
  untaggedRetentionDays: 14,
};

function run(overrides: Partial<RegistryArgs> = {}) {
  return runProgram(() => {
    const registry = new Registry("facilitator", { ...args, ...overrides });
    return { registryUri: registry.registryUri, repositoryName: registry.repositoryName };
  });
}

describe("Registry", () => {
  it("a DOCKER repository with immutable tags, cleanup, scanning, protected from deletion", async () => {
    const result = await run();
    const repo = result.one("gcp:artifactregistry/repository:Repository");
    expect(repo.inputs).toMatchObject({
      project: "x402-facilitator-staging",
      location: "europe-west1",
      repositoryId: "facilitator",
      format: "DOCKER",
      dockerConfig: { immutableTags: true },
      cleanupPolicyDryRun: false,
      cleanupPolicies: cleanupPolicies(14),
      vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
    });
    expect(repo.options.protect).toBe(true);
    expect(repo.parent).toBe(result.one("facilitator:index:Registry").urn);
    expect(result.outputs).toEqual({
      registryUri: "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator",
      repositoryName: "projects/x402-facilitator-staging/locations/europe-west1/repositories/facilitator",
    });
  });

  it("cleanup keeps every release tag and deletes untagged versions after the configured age", () => {
    expect(cleanupPolicies(14)).toEqual([
      { id: "keep-releases", action: "KEEP", condition: { tagState: "TAGGED", tagPrefixes: ["v"] } },
      { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "1209600s" } },
    ]);
    expect(cleanupPolicies(1)[1]?.condition).toMatchObject({ olderThan: "86400s" });
  });

  it("grants no access itself (each stack grants its own principals: RegistryAccess)", async () => {
    const result = await run();
    expect(result.resources.filter((r) => /Iam(Binding|Member|Policy)/.test(r.type))).toEqual([]);
  });
});
