// The Artifact Registry repository component under mocks.
import * as gcp from "@pulumi/gcp";
import { describe, expect, it } from "vitest";
import { Registry, cleanupPolicies, type RegistryArgs } from "../../components/registry";
import { runProgram } from "../support/program";

const args: RegistryArgs = {
  project: "x402-facilitator-staging",
  location: "europe-west1",
  repositoryId: "facilitator",
  writers: ["serviceAccount:ci-staging@x402-facilitator-staging.iam.gserviceaccount.com"],
  readers: [
    "serviceAccount:gke-nodes@x402-facilitator-prod.iam.gserviceaccount.com",
    "serviceAccount:gke-nodes@x402-facilitator-staging.iam.gserviceaccount.com",
    "serviceAccount:gke-nodes@x402-facilitator-prod.iam.gserviceaccount.com",
  ],
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

  it("CI may write and node service accounts may read: authoritative, sorted, de-duplicated bindings", async () => {
    const result = await run();
    const bindings = result.ofType("gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding");
    expect(bindings.map((b) => [b.name, b.inputs["role"], b.inputs["members"]])).toEqual([
      ["facilitator-writers", "roles/artifactregistry.writer", ["serviceAccount:ci-staging@x402-facilitator-staging.iam.gserviceaccount.com"]],
      [
        "facilitator-readers",
        "roles/artifactregistry.reader",
        ["serviceAccount:gke-nodes@x402-facilitator-prod.iam.gserviceaccount.com", "serviceAccount:gke-nodes@x402-facilitator-staging.iam.gserviceaccount.com"],
      ],
    ]);
    for (const b of bindings) expect(b.inputs).toMatchObject({ project: args.project, location: args.location, repository: args.repositoryId });
  });

  it("no binding for an empty member list (nobody is granted anything by default)", async () => {
    const result = await run({ writers: [], readers: [] });
    expect(result.ofType("gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding")).toEqual([]);
  });

  it("members can come from other resources (a CI service account created elsewhere)", async () => {
    const result = await runProgram(() => {
      const ci = new gcp.serviceaccount.Account("ci", { accountId: "ci-staging", project: args.project });
      const registry = new Registry("facilitator", { ...args, writers: [ci.email.apply((e) => `serviceAccount:${e}`)] });
      return { uri: registry.registryUri };
    });
    const writers = result.ofType("gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding").find((b) => b.name === "facilitator-writers");
    expect(writers?.inputs["members"]).toEqual(["serviceAccount:ci-staging@x402-facilitator-staging.iam.gserviceaccount.com"]);
  });
});
