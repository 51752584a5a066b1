import { describe, expect, it } from "vitest";
import { githubSecretsOnEnvironments, productionEnvironmentProtected } from "../../policy/github";
import { runPolicies } from "../../policy/run";
import { resource } from "./fixtures";

const REPO = "x402-facilitator";

const environment = (props: Record<string, unknown> = {}) =>
  resource("github:index/repositoryEnvironment:RepositoryEnvironment", "production", {
    repository: REPO,
    environment: "production",
    reviewers: [{ users: [1234567], teams: [] }],
    preventSelfReview: true,
    deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    ...props,
  }, "prod");

const deploymentPolicy = (props: Record<string, unknown>) =>
  resource("github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy", "production-tags", {
    repository: REPO,
    environment: "production",
    ...props,
  }, "prod");

const tagsOnly = deploymentPolicy({ tagPattern: "v*.*.*" });

async function problems(...resources: ReturnType<typeof resource>[]): Promise<string[]> {
  return (await runPolicies([productionEnvironmentProtected], resources)).map((v) => v.message);
}

describe("production-environment-protected", () => {
  it("passes a production environment with reviewers, no self-review and a tag-only policy", async () => {
    expect(await problems(environment(), tagsOnly)).toEqual([]);
  });

  it("rejects a production environment without reviewers", async () => {
    expect(await problems(environment({ reviewers: [] }), tagsOnly)).toEqual([expect.stringMatching(/has no required reviewers/)]);
    expect(await problems(environment({ reviewers: [{ users: [], teams: [] }] }), tagsOnly)).toHaveLength(1);
  });

  it("rejects self-review and unrestricted refs", async () => {
    expect(await problems(environment({ preventSelfReview: false }), tagsOnly)).toEqual([expect.stringMatching(/preventSelfReview: true/)]);
    expect(await problems(environment({ deploymentBranchPolicy: undefined }), tagsOnly)).toEqual([expect.stringMatching(/does not restrict which refs/)]);
  });

  it("rejects a missing tag policy, a catch-all tag and a branch policy", async () => {
    expect(await problems(environment())).toEqual([expect.stringMatching(/has no tag-only deployment policy/)]);
    expect(await problems(environment(), deploymentPolicy({ tagPattern: "*" }))).toEqual([expect.stringMatching(/has no tag-only deployment policy/)]);
    expect(await problems(environment(), tagsOnly, deploymentPolicy({ branchPattern: "main" }))).toEqual([expect.stringMatching(/admits branch "main"/)]);
  });

  it("matches the deployment policy to its own repository and environment", async () => {
    expect(await problems(environment(), deploymentPolicy({ tagPattern: "v*.*.*", repository: "other" }))).toHaveLength(1);
  });

  it("reports against the environment's URN and leaves staging alone", async () => {
    const violations = await runPolicies([productionEnvironmentProtected], [environment({ reviewers: [] }), tagsOnly]);
    expect(violations[0]?.urn).toContain("RepositoryEnvironment::production");
    const staging = environment({ environment: "staging", reviewers: [], preventSelfReview: false, deploymentBranchPolicy: undefined });
    expect(await problems(staging)).toEqual([]);
  });
});

describe("github-secrets-on-environments", () => {
  const secret = (type: string) => resource(type, "deploy-key", { repository: REPO, secretName: "DEPLOY_KEY", environment: "production", value: "x" });

  it("passes environment secrets", async () => {
    expect(await runPolicies([githubSecretsOnEnvironments], [secret("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")])).toEqual([]);
  });

  it("rejects repository and organization secrets", async () => {
    const violations = await runPolicies(
      [githubSecretsOnEnvironments],
      [secret("github:index/actionsSecret:ActionsSecret"), secret("github:index/actionsOrganizationSecret:ActionsOrganizationSecret")],
    );
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/"DEPLOY_KEY" is a repository secret/),
      expect.stringMatching(/"DEPLOY_KEY" is an organization secret/),
    ]);
  });
});
