// GithubDelivery under the shared mocks (runProgram): CI identity, GitHub environments and their variables.
import { describe, expect, it } from "vitest";
import { GithubDelivery, sharedVariables, type GithubDeliveryArgs } from "../../../components/delivery/githubDelivery";
import { FAKE_PROJECT_NUMBER } from "../../support/mocks";
import { runProgram, type ProgramRun } from "../../support/program";

const ENV = "github:index/repositoryEnvironment:RepositoryEnvironment";
const POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";
const VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable";
const SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret";
const PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider";

/** Runs one GithubDelivery and returns its outputs (awaited) with every recorded resource. */
function run(name: string, args: GithubDeliveryArgs): Promise<ProgramRun> {
  return runProgram(() => {
    const delivery = new GithubDelivery(name, args);
    return {
      workloadIdentityProvider: delivery.workloadIdentityProvider,
      deployerMember: delivery.deployerMember,
      previewerMember: delivery.previewerMember,
    };
  });
}
const variablesOf = (result: ProgramRun, environment: string): Record<string, unknown> =>
  Object.fromEntries(
    result
      .ofType(VARIABLE)
      .filter((v) => v.inputs.environment === environment)
      .map((v) => [v.inputs.variableName, v.inputs.value]),
  );

const prod: GithubDeliveryArgs = {
  stack: "prod",
  repository: "acme/facilitator-deploy",
  repositoryId: 812345678,
  ownerId: 4321,
  environment: "production",
  reviewerUsers: [1001],
  reviewerTeams: [77],
  reviewPreviews: true,
  deployBranches: [],
  deployTags: ["v*.*.*"],
  ownsReleaseTagRulesets: true,
  ciProject: "acme-facilitator-prod",
  poolId: "github-prod",
  deployerRoles: ["roles/container.developer"],
  previewerRoles: ["roles/container.viewer"],
  secretsKmsKey: "projects/acme-ops/locations/global/keyRings/pulumi/cryptoKeys/prod",
  serviceAccountKey: false,
  gkeCluster: "facilitator",
  gkeLocation: "europe-west1",
  backendUrl: "gs://acme-pulumi-state",
};
const staging: GithubDeliveryArgs = {
  ...prod,
  stack: "staging",
  environment: "staging",
  reviewerUsers: [],
  reviewerTeams: [],
  reviewPreviews: false,
  deployBranches: ["main"],
  ownsReleaseTagRulesets: false,
  ciProject: "acme-facilitator-staging",
  poolId: "github-staging",
  secretsKmsKey: undefined,
  gkeCluster: "",
  backendUrl: undefined,
};

describe("GithubDelivery", () => {
  it("prod: production (reviewers, tags only) and production-preview, each naming its own CI account", async () => {
    const result = await run("prod-delivery", prod);
    expect(result.outputs.deployerMember).toBe(
      "serviceAccount:ci-deploy-prod@acme-facilitator-prod.iam.gserviceaccount.com",
    );
    expect(result.outputs.previewerMember).toBe(
      "serviceAccount:ci-preview-prod@acme-facilitator-prod.iam.gserviceaccount.com",
    );

    const envs = Object.fromEntries(result.ofType(ENV).map((e) => [e.inputs.environment, e.inputs]));
    expect(Object.keys(envs).sort()).toEqual(["production", "production-preview"]);
    expect(envs.production).toMatchObject({
      repository: "facilitator-deploy",
      reviewers: [{ users: [1001], teams: [77] }],
      preventSelfReview: true,
      canAdminsBypass: false,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    });
    // previews decrypt prod's secrets, so they need a reviewer too (reviewPreviews)
    expect(envs["production-preview"]).toMatchObject({ reviewers: [{ users: [1001], teams: [77] }] });
    expect(envs["production-preview"].deploymentBranchPolicy).toBeUndefined();
    expect(
      result.ofType(POLICY).map((p) => [p.inputs.environment, p.inputs.tagPattern ?? p.inputs.branchPattern]),
    ).toEqual([["production", "v*.*.*"]]);

    const provider = `projects/${FAKE_PROJECT_NUMBER}/locations/global/workloadIdentityPools/github-prod/providers/github`;
    expect(variablesOf(result, "production")).toEqual({
      GCP_PROJECT: "acme-facilitator-prod",
      GCP_SERVICE_ACCOUNT: "ci-deploy-prod@acme-facilitator-prod.iam.gserviceaccount.com",
      GCP_WORKLOAD_IDENTITY_PROVIDER: provider,
      GKE_CLUSTER: "facilitator",
      GKE_LOCATION: "europe-west1",
      PULUMI_BACKEND_URL: "gs://acme-pulumi-state",
    });
    expect(variablesOf(result, "production-preview").GCP_SERVICE_ACCOUNT).toBe(
      "ci-preview-prod@acme-facilitator-prod.iam.gserviceaccount.com",
    );
    expect(result.ofType(SECRET)).toHaveLength(0);

    const [wif] = result.ofType(PROVIDER);
    expect(wif.inputs.attributeCondition).toBe(
      "assertion.repository_id == '812345678' && assertion.repository_owner_id == '4321' && " +
        "(assertion.environment == 'production' || assertion.environment == 'production-preview')",
    );
  });

  it("every GitHub resource goes through a provider for the repository's owner", async () => {
    const result = await run("prod-delivery", prod);
    const [githubProvider] = result.ofType("pulumi:providers:github").filter((p) => p.name === "prod-delivery-github");
    expect(githubProvider.inputs.owner).toBe("acme");
    for (const resource of [...result.ofType(ENV), ...result.ofType(POLICY), ...result.ofType(VARIABLE)]) {
      expect(resource.provider).toMatch(/pulumi:providers:github::prod-delivery-github::/);
    }
  });

  it("staging: admits main and tags, no reviewers, unset workflow variables are left out", async () => {
    const result = await run("stg-delivery", staging);
    const envs = Object.fromEntries(result.ofType(ENV).map((e) => [e.inputs.environment, e.inputs]));
    expect(Object.keys(envs).sort()).toEqual(["staging", "staging-preview"]);
    expect(envs.staging.reviewers).toBeUndefined();
    expect(envs.staging.canAdminsBypass).toBeUndefined();
    expect(
      result
        .ofType(POLICY)
        .map((p) => p.inputs.tagPattern ?? p.inputs.branchPattern)
        .sort(),
    ).toEqual(["main", "v*.*.*"]);
    expect(Object.keys(variablesOf(result, "staging")).sort()).toEqual([
      "GCP_PROJECT",
      "GCP_SERVICE_ACCOUNT",
      "GCP_WORKLOAD_IDENTITY_PROVIDER",
      "GKE_LOCATION",
    ]);
  });

  it("opt-in key: stored only as a secret of the deploy environment", async () => {
    const result = await run("key-delivery", { ...staging, poolId: "github-key", serviceAccountKey: true });
    const secrets = result.ofType(SECRET);
    expect(secrets.map((s) => [s.inputs.environment, s.inputs.secretName])).toEqual([
      ["staging", "GCP_CREDENTIALS_JSON"],
    ]);
    expect(secrets[0].secretPaths).toContain("value");
    expect(JSON.parse(String(secrets[0].inputs.value))).toMatchObject({ type: "service_account" });
    expect(result.ofType("gcp:serviceaccount/key:Key")).toHaveLength(1);
  });

  it("sharedVariables leaves out empty optional values", () => {
    expect(sharedVariables({ ...staging, gkeCluster: "", gkeLocation: undefined, backendUrl: "" }, "p")).toEqual({
      GCP_PROJECT: "acme-facilitator-staging",
      GCP_WORKLOAD_IDENTITY_PROVIDER: "p",
    });
  });
});
