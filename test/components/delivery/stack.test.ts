// Delivery in the committed stacks: Pulumi.staging.yaml / Pulumi.prod.yaml run through index.ts
// under mocks (test/support/stack.ts), asserting the GitHub environments, the keyless CI identity
// and how its accounts reach the registry; and the switch that leaves all of it out.
import { describe, expect, it } from "vitest";
import { releasedImages, runStack, stackFileConfig } from "../../support/stack";

const RELEASED = releasedImages(["v1.2.2", "v1.2.3"]);
const ENV = "github:index/repositoryEnvironment:RepositoryEnvironment";
const POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";
const VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable";
const SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret";
const WIF_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider";
const ACCOUNT = "gcp:serviceaccount/account:Account";
const KEY = "gcp:serviceaccount/key:Key";
const REGISTRY_MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";

function committed(stack: string, key: string): string {
  const value = stackFileConfig(stack)[`facilitator:${key}`];
  if (value === undefined) throw new Error(`Pulumi.${stack}.yaml has no facilitator:${key}`);
  return value;
}

describe("delivery in Pulumi.prod.yaml", () => {
  it("production: required reviewers from the stack file, no self-review, no admin bypass, main and release tags only", async () => {
    const run = await runStack({ stack: "prod", registry: RELEASED });
    const envs = Object.fromEntries(run.ofType(ENV).map((e) => [e.inputs.environment, e.inputs]));
    expect(Object.keys(envs).sort()).toEqual(["production", "production-preview"]);
    const reviewers = (JSON.parse(committed("prod", "githubReviewerUsers")) as (number | string)[]).map(Number);
    expect(reviewers.length).toBeGreaterThan(0);
    expect(envs.production).toMatchObject({
      repository: committed("prod", "githubRepository").split("/")[1],
      reviewers: [{ users: reviewers, teams: [] }],
      preventSelfReview: true,
      canAdminsBypass: false,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    });
    const policies = run.ofType(POLICY).filter((p) => p.inputs.environment === "production");
    expect(
      policies
        .map((p) => p.inputs)
        .sort((a, b) => String(a.branchPattern ?? a.tagPattern).localeCompare(String(b.branchPattern ?? b.tagPattern))),
    ).toEqual([
      { repository: "facilitator-deploy", environment: "production", branchPattern: "main" },
      { repository: "facilitator-deploy", environment: "production", tagPattern: "v*.*.*" },
    ]);
    // previews of prod decrypt prod's secrets: they wait for a reviewer too
    expect(envs["production-preview"].reviewers).toEqual([{ users: reviewers, teams: [] }]);

    const [provider] = run.ofType(WIF_PROVIDER);
    expect(provider.inputs.attributeCondition).toBe(
      `assertion.repository_id == '${committed("prod", "githubRepositoryId")}' && ` +
        `assertion.repository_owner_id == '${committed("prod", "githubOwnerId")}' && ` +
        "(assertion.environment == 'production' || assertion.environment == 'production-preview')",
    );
    expect(
      run
        .ofType(ACCOUNT)
        .map((a) => [a.inputs.accountId, a.inputs.project])
        .sort(),
    ).toEqual([
      ["ci-deploy-prod", "x402-facilitator-prod"],
      ["ci-preview-prod", "x402-facilitator-prod"],
    ]);
    // keyless: no key and no secret anywhere
    expect(run.ofType(KEY)).toHaveLength(0);
    expect(run.ofType(SECRET)).toHaveLength(0);
    // the workflows' variables, per environment
    const names = (env: string) =>
      run
        .ofType(VARIABLE)
        .filter((v) => v.inputs.environment === env)
        .map((v) => v.inputs.variableName)
        .sort();
    const expected = [
      "GCP_PROJECT",
      "GCP_SERVICE_ACCOUNT",
      "GCP_WORKLOAD_IDENTITY_PROVIDER",
      "GKE_CLUSTER",
      "GKE_LOCATION",
      "PULUMI_BACKEND_URL",
    ];
    expect(names("production")).toEqual(expected);
    expect(names("production-preview")).toEqual(expected);
  });

  it("prod grants its own CI identities and nodes read access on staging's repository, member by member", async () => {
    const run = await runStack({ stack: "prod", registry: RELEASED });
    const reads = run.ofType(REGISTRY_MEMBER).filter((m) => m.inputs.role === "roles/artifactregistry.reader");
    expect(reads.map((m) => m.inputs.member).sort()).toEqual([
      "serviceAccount:ci-deploy-prod@x402-facilitator-prod.iam.gserviceaccount.com",
      "serviceAccount:ci-preview-prod@x402-facilitator-prod.iam.gserviceaccount.com",
      "serviceAccount:gke-nodes@x402-facilitator-prod.iam.gserviceaccount.com",
    ]);
    for (const m of reads)
      expect(m.inputs).toMatchObject({ project: "x402-facilitator-staging", repository: "facilitator" });
    expect(run.ofType(REGISTRY_MEMBER).filter((m) => m.inputs.role !== "roles/artifactregistry.reader")).toEqual([]);
  });
});

describe("delivery in Pulumi.staging.yaml", () => {
  it("staging admits main and release tags without reviewers; its deployer writes and its previewer reads the registry", async () => {
    const run = await runStack({ stack: "staging", registry: RELEASED });
    const envs = Object.fromEntries(run.ofType(ENV).map((e) => [e.inputs.environment, e.inputs]));
    expect(Object.keys(envs).sort()).toEqual(["staging", "staging-preview"]);
    expect(envs.staging.reviewers).toBeUndefined();
    expect(
      run
        .ofType(POLICY)
        .map((p) => p.inputs.branchPattern ?? p.inputs.tagPattern)
        .sort(),
    ).toEqual(["main", "v*.*.*"]);

    const members = (role: string) =>
      run
        .ofType(REGISTRY_MEMBER)
        .filter((m) => m.inputs.role === role)
        .map((m) => m.inputs.member);
    expect(members("roles/artifactregistry.writer")).toEqual([
      "serviceAccount:ci-deploy-staging@x402-facilitator-staging.iam.gserviceaccount.com",
    ]);
    expect(members("roles/artifactregistry.reader")).toContain(
      "serviceAccount:ci-preview-staging@x402-facilitator-staging.iam.gserviceaccount.com",
    );
    expect(members("roles/artifactregistry.reader")).not.toContain(
      "serviceAccount:ci-deploy-staging@x402-facilitator-staging.iam.gserviceaccount.com",
    );
    // the grants are made after the accounts exist
    const accountUrn = (id: string) =>
      run
        .ofType(ACCOUNT)
        .find((a) => a.inputs.accountId === id)!
        .urn.split("::")
        .pop()!;
    const grantOf = (id: string) =>
      run.ofType(REGISTRY_MEMBER).find((m) => String(m.inputs.member).includes(`:${id}@`))!;
    for (const id of ["ci-deploy-staging", "ci-preview-staging"]) {
      expect(grantOf(id).options.dependsOn.some((urn) => urn.endsWith(`::${accountUrn(id)}`))).toBe(true);
    }

    const [provider] = run.ofType(WIF_PROVIDER);
    expect(provider.inputs.attributeCondition).toContain(
      `assertion.repository_id == '${committed("staging", "githubRepositoryId")}'`,
    );
    expect(provider.inputs.attributeCondition).toContain("assertion.environment == 'staging'");
  });
});

describe("the environment of each deploy job admits main, where release.yml runs", () => {
  // release.yml deploys from main only (a tag's own copy of the workflow would deploy that tag's
  // tree), so each deploy environment's ref policy must admit the branch main. GitHub evaluates
  // the policy against the run's ref before the job starts:
  // https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment#deployment-branches-and-tags
  const admits = async (stack: string, environment: string) => {
    const run = await runStack({ stack, registry: RELEASED });
    const env = run.ofType(ENV).find((e) => e.inputs.environment === environment)!;
    const policies = run.ofType(POLICY).filter((p) => p.inputs.environment === environment);
    const custom =
      (env.inputs.deploymentBranchPolicy as { customBranchPolicies?: boolean } | undefined)?.customBranchPolicies ===
      true;
    return !custom || policies.some((p) => p.inputs.branchPattern === "main");
  };

  it("staging", async () => {
    expect(await admits("staging", "staging")).toBe(true);
  });

  // Tripwire for a follow-up in files this change may not edit: Pulumi.prod.yaml needs
  // `facilitator:githubDeployBranches: [main]` (required reviewers stay the gate), and the policy
  // production-environment-protected (policy/github.ts) must accept the branch main, which it
  // refuses today. Until then GitHub refuses the production job of a run at main. When both land,
  // this starts passing: turn it into a plain `it`.
  it("production", async () => {
    expect(await admits("prod", "production")).toBe(true);
  });
});

describe("facilitator:ciServiceAccountKey true (the opt-in fallback where keyless CI is not possible)", () => {
  it.each(["staging", "prod"])(
    "%s: one deployer key, published only as the secret GCP_CREDENTIALS_JSON of the deploy environment",
    async (stack) => {
      const run = await runStack({ stack, registry: RELEASED, config: { ciServiceAccountKey: "true" } });
      const deployer = run.ofType(ACCOUNT).find((a) => String(a.inputs.accountId).startsWith("ci-deploy-"))!;
      const keys = run.ofType(KEY);
      expect(keys.map((k) => k.inputs.serviceAccountId)).toEqual([deployer.state.name]); // the deployer's, never the previewer's
      expect(keys[0]!.secretPaths).toEqual([]);

      const environment = committed(stack, "githubEnvironment");
      const secrets = run.ofType(SECRET).filter((s) => s.inputs.secretName === "GCP_CREDENTIALS_JSON");
      expect(secrets.map((s) => s.inputs.environment)).toEqual([environment]); // not the preview environment
      const keyFile = JSON.parse(String(secrets[0]!.inputs.value)) as Record<string, unknown>;
      expect(keyFile).toMatchObject({ type: "service_account", client_email: deployer.state.email });
      expect(secrets[0]!.secretPaths).toContain("value"); // encrypted in state, masked in previews
      // The key material is in no plain input and no stack output.
      const material = Buffer.from(String(keys[0]!.state.privateKey), "base64").toString("utf8");
      for (const r of run.resources.filter((x) => x.type !== SECRET))
        expect(JSON.stringify(r.inputs), r.type).not.toContain(String(keyFile["private_key_id"]));
      expect(JSON.stringify(run.outputs)).not.toContain(String(keyFile["private_key_id"]));
      expect(material).toBe(secrets[0]!.inputs.value);
    },
  );
});

describe("facilitator:githubManage false", () => {
  it.each(["staging", "prod"])("%s runs without any GitHub or workload identity resource", async (stack) => {
    const run = await runStack({ stack, registry: RELEASED, config: { githubManage: "false" } });
    const delivery = run.resources.filter((r) =>
      /^(github:|pulumi:providers:github|gcp:iam\/|gcp:serviceaccount\/|facilitator:index:(GithubDelivery|GithubEnvironment|CiIdentity))/.test(
        r.type,
      ),
    );
    expect(delivery).toEqual([]);
    expect(run.ofType("kubernetes:apps/v1:Deployment")).toHaveLength(1);
    expect(run.outputs.imageRef).toMatch(/@sha256:[0-9a-f]{64}$/);
  });
});

describe("bad delivery config", () => {
  it("fails with every problem, naming the key and the fix", async () => {
    await expect(
      runStack({
        stack: "prod",
        registry: RELEASED,
        config: { githubRepositoryId: "0", githubReviewerUsers: '["alice"]', ciPoolId: "gcp-pool" },
      }),
    ).rejects.toThrow(
      /facilitator:githubRepositoryId: expected an integer from 1 to .*pulumi config set --stack prod facilitator:githubRepositoryId 812345678[\s\S]*facilitator:githubReviewerUsers: expected a list of numeric GitHub user ids[\s\S]*facilitator:ciPoolId: expected a workload identity pool id/,
    );
  });
});
