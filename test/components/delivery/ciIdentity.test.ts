// CiIdentity under the shared mocks (runProgram): pool, OIDC provider, CI accounts and their grants.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import * as mod from "../../../components/delivery/ciIdentity";
import type { CiIdentityArgs } from "../../../components/delivery/ciIdentity";
import { FAKE_PROJECT_NUMBER } from "../../support/mocks";
import { runProgram } from "../../support/program";

const POOL = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool";
const PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider";
const ACCOUNT = "gcp:serviceaccount/account:Account";
const SA_IAM = "gcp:serviceaccount/iAMMember:IAMMember";
const PROJECT_IAM = "gcp:projects/iAMMember:IAMMember";
const BUCKET_IAM = "gcp:storage/bucketIAMMember:BucketIAMMember";
const KMS_IAM = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember";
const KEY = "gcp:serviceaccount/key:Key";

/** Runs one CiIdentity and returns its outputs (awaited) with every recorded resource. */
function run(name: string, args: CiIdentityArgs) {
  return runProgram(() => {
    const identity = new mod.CiIdentity(name, args);
    return {
      workloadIdentityProvider: identity.workloadIdentityProvider,
      deployerEmail: identity.deployerEmail,
      deployerMember: identity.deployerMember,
      previewerEmail: identity.previewerEmail,
      previewerMember: identity.previewerMember,
      deployerKeyJson: identity.deployerKeyJson,
    };
  });
}

function prodArgs(overrides: Partial<CiIdentityArgs> = {}): CiIdentityArgs {
  return {
    project: "acme-facilitator-prod",
    poolId: "github-prod",
    providerId: "github",
    repository: "acme/facilitator-deploy",
    repositoryId: 812345678,
    repositoryOwnerId: 4321,
    bindEnvironments: true,
    deployer: {
      accountId: "ci-deploy-prod",
      environment: "production",
      projectRoles: ["roles/container.developer"],
      stateBucketRole: "roles/storage.objectUser",
      secretsKeyRole: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    },
    previewer: {
      accountId: "ci-preview-prod",
      environment: "production-preview",
      projectRoles: ["roles/container.viewer"],
      stateBucketRole: "roles/storage.objectViewer",
      secretsKeyRole: "roles/cloudkms.cryptoKeyDecrypter",
    },
    stateBucket: "acme-pulumi-state",
    secretsKmsKey: "projects/acme-ops/locations/global/keyRings/pulumi/cryptoKeys/prod",
    ...overrides,
  };
}

describe("githubAttributeCondition", () => {
  it("binds the repository and its owner by numeric id", () => {
    expect(mod.githubAttributeCondition(812345678, 4321)).toBe(
      "assertion.repository_id == '812345678' && assertion.repository_owner_id == '4321'",
    );
  });
  it("optionally requires one of the given GitHub environments (sorted, deterministic)", () => {
    expect(mod.githubAttributeCondition(1, 2, ["production-preview", "production"])).toBe(
      "assertion.repository_id == '1' && assertion.repository_owner_id == '2' && " +
        "(assertion.environment == 'production' || assertion.environment == 'production-preview')",
    );
  });
});

describe("CiIdentity", () => {
  it("prod: pool + GitHub OIDC provider whose condition names the repository ids and the production environments", async () => {
    const result = await run("prod-ci", prodArgs());
    expect(result.outputs.workloadIdentityProvider).toBe(
      `projects/${FAKE_PROJECT_NUMBER}/locations/global/workloadIdentityPools/github-prod/providers/github`,
    );

    const [pool] = result.ofType(POOL);
    expect(pool.inputs).toMatchObject({ project: "acme-facilitator-prod", workloadIdentityPoolId: "github-prod" });
    const [provider] = result.ofType(PROVIDER);
    expect(provider.inputs.oidc).toEqual({ issuerUri: "https://token.actions.githubusercontent.com" });
    const condition = String(provider.inputs.attributeCondition);
    expect(condition).toContain("assertion.repository_id == '812345678'");
    expect(condition).toContain("assertion.repository_owner_id == '4321'");
    expect(condition).toContain("assertion.environment == 'production'");
    expect(provider.inputs.attributeMapping).toMatchObject({
      "google.subject": "assertion.sub",
      "attribute.environment": "assertion.environment",
      "attribute.repository_id": "assertion.repository_id",
    });
  });

  it("prod: each service account is impersonable only from its own GitHub environment, with only its roles", async () => {
    const result = await run("prod-ci2", prodArgs({ poolId: "github-prod-2" }));
    expect(result.outputs.deployerEmail).toBe("ci-deploy-prod@acme-facilitator-prod.iam.gserviceaccount.com");
    expect(result.outputs.previewerEmail).toBe("ci-preview-prod@acme-facilitator-prod.iam.gserviceaccount.com");

    expect(
      result
        .ofType(ACCOUNT)
        .map((a) => a.inputs.accountId)
        .sort(),
    ).toEqual(["ci-deploy-prod", "ci-preview-prod"]);
    const wif = result.ofType(SA_IAM).map((b) => [b.inputs.serviceAccountId, b.inputs.role, b.inputs.member]);
    const poolName = `projects/${FAKE_PROJECT_NUMBER}/locations/global/workloadIdentityPools/github-prod-2`;
    expect(wif.sort()).toEqual([
      [
        "projects/acme-facilitator-prod/serviceAccounts/ci-deploy-prod@acme-facilitator-prod.iam.gserviceaccount.com",
        "roles/iam.workloadIdentityUser",
        `principalSet://iam.googleapis.com/${poolName}/attribute.environment/production`,
      ],
      [
        "projects/acme-facilitator-prod/serviceAccounts/ci-preview-prod@acme-facilitator-prod.iam.gserviceaccount.com",
        "roles/iam.workloadIdentityUser",
        `principalSet://iam.googleapis.com/${poolName}/attribute.environment/production-preview`,
      ],
    ]);
    // no wildcard principals anywhere
    expect(wif.every(([, , member]) => !String(member).includes("*"))).toBe(true);

    const grants = [...result.ofType(PROJECT_IAM), ...result.ofType(BUCKET_IAM), ...result.ofType(KMS_IAM)]
      .map((g) => `${String(g.inputs.member).split(":")[1].split("@")[0]} ${String(g.inputs.role)}`)
      .sort();
    expect(grants).toEqual([
      "ci-deploy-prod roles/cloudkms.cryptoKeyEncrypterDecrypter",
      "ci-deploy-prod roles/container.developer",
      "ci-deploy-prod roles/storage.objectUser",
      "ci-preview-prod roles/cloudkms.cryptoKeyDecrypter",
      "ci-preview-prod roles/container.viewer",
      "ci-preview-prod roles/storage.objectViewer",
    ]);
    // registry access is RegistryAccess's (components/registry): none here
    expect(result.ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")).toHaveLength(0);
    expect(result.outputs.deployerMember).toBe(
      "serviceAccount:ci-deploy-prod@acme-facilitator-prod.iam.gserviceaccount.com",
    );
    expect(result.outputs.previewerMember).toBe(
      "serviceAccount:ci-preview-prod@acme-facilitator-prod.iam.gserviceaccount.com",
    );
  });

  it("staging: the condition can bind the repository alone", async () => {
    const result = await run("stg-ci", {
      ...prodArgs(),
      project: "acme-facilitator-staging",
      poolId: "github-staging",
      bindEnvironments: false,
      deployer: { accountId: "ci-deploy-staging", environment: "staging", projectRoles: ["roles/container.developer"] },
      previewer: {
        accountId: "ci-preview-staging",
        environment: "staging-preview",
        projectRoles: ["roles/container.viewer"],
      },
      stateBucket: undefined,
      secretsKmsKey: undefined,
    });
    const [provider] = result.ofType(PROVIDER);
    expect(provider.inputs.attributeCondition).toBe(
      "assertion.repository_id == '812345678' && assertion.repository_owner_id == '4321'",
    );
  });

  it("creates no service-account key unless opted in", async () => {
    const result = await run("nokey-ci", prodArgs({ poolId: "github-nokey" }));
    expect(result.ofType(KEY)).toHaveLength(0);
    expect(result.outputs.deployerKeyJson).toBeUndefined();
  });

  it("opt-in key: one key for the deployer only, exposed as secret JSON", async () => {
    const result = await runProgram(async () => {
      const identity = new mod.CiIdentity("key-ci", prodArgs({ poolId: "github-key", createDeployerKey: true }));
      return {
        deployerKeyJson: identity.deployerKeyJson!,
        deployerKeyJsonIsSecret: await pulumi.isSecret(identity.deployerKeyJson!),
      };
    });
    expect(JSON.parse(String(result.outputs.deployerKeyJson))).toMatchObject({ type: "service_account" });
    expect(result.outputs.deployerKeyJsonIsSecret).toBe(true);
    const keys = result.ofType(KEY);
    expect(keys).toHaveLength(1);
    expect(keys[0].inputs.serviceAccountId).toContain("ci-deploy-prod@");
    expect(keys[0].secretPaths).not.toContain("serviceAccountId");
  });

  describe("rejects bad input with the field and the fix", () => {
    it.each([
      [{ poolId: "gh" }, /poolId "gh" must be 4-32 characters/],
      [{ poolId: "gcp-github" }, /not starting with "gcp-"/],
      [{ repository: "just-a-name" }, /repository "just-a-name" must be "owner\/name"/],
      [
        { repositoryId: 0 },
        /repositoryId must be the positive numeric id GitHub reports \(`gh api repos\/acme\/facilitator-deploy/,
      ],
      [
        { deployer: { accountId: "CI", environment: "production", projectRoles: [] } },
        /service account id "CI" must be 6-30 characters/,
      ],
      [
        { deployer: { accountId: "ci-deploy-prod", environment: "production", projectRoles: ["owner"] } },
        /"owner" is not an IAM role name/,
      ],
      [
        { previewer: { accountId: "ci-preview-prod", environment: "production", projectRoles: [] } },
        /must use different GitHub environments/,
      ],
      [{ secretsKmsKey: undefined }, /a secretsKeyRole is set but no secretsKmsKey is given/],
    ] as [Partial<CiIdentityArgs>, RegExp][])("%#", async (overrides, message) => {
      await expect(runProgram(() => (new mod.CiIdentity("bad-ci", prodArgs(overrides)), {}))).rejects.toThrow(message);
    });
  });
});
