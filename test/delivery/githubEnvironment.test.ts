import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import * as mod from "../../components/githubEnvironment";
import { installMocks, ofType, promiseOf, settle, unwrapInput, type Registered } from "./mocks";

const registered = installMocks();

const ENV = "github:index/repositoryEnvironment:RepositoryEnvironment";
const POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";
const VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable";
const SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret";

function children(prefix: string, type: string): Registered[] {
  return ofType(registered, type).filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`));
}

describe("GithubEnvironment", () => {
  it("production: required reviewers, no self-review, no admin bypass, tag-only deployment policy", async () => {
    const env = new mod.GithubEnvironment("prod-env", {
      repository: "facilitator-deploy",
      environment: "production",
      reviewers: { users: [1001, 1002], teams: [77] },
      canAdminsBypass: false,
      deploymentPolicy: { tags: ["v*.*.*"] },
    });
    expect(await promiseOf(env.environment)).toBe("production");
    await settle();

    const [resource] = children("prod-env", ENV);
    expect(resource.inputs).toMatchObject({
      repository: "facilitator-deploy",
      environment: "production",
      reviewers: [{ users: [1001, 1002], teams: [77] }],
      preventSelfReview: true,
      canAdminsBypass: false,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    });
    const policies = children("prod-env", POLICY);
    expect(policies.map((p) => p.inputs)).toEqual([
      { repository: "facilitator-deploy", environment: "production", tagPattern: "v*.*.*" },
    ]);
  });

  it("staging: admits main and release tags, no reviewers", async () => {
    const env = new mod.GithubEnvironment("staging-env", {
      repository: "facilitator-deploy",
      environment: "staging",
      deploymentPolicy: { branches: ["main"], tags: ["v*.*.*"] },
    });
    await promiseOf(env.environment);
    await settle();

    const [resource] = children("staging-env", ENV);
    expect(resource.inputs.reviewers).toBeUndefined();
    expect(resource.inputs.preventSelfReview).toBeUndefined();
    const patterns = children("staging-env", POLICY).map((p) => p.inputs.branchPattern ?? p.inputs.tagPattern);
    expect(patterns.sort()).toEqual(["main", "v*.*.*"]);
    for (const policy of children("staging-env", POLICY)) {
      // exactly one of branchPattern / tagPattern per policy (the API rejects both)
      expect([policy.inputs.branchPattern, policy.inputs.tagPattern].filter((v) => v !== undefined)).toHaveLength(1);
    }
  });

  it("a preview environment without a policy admits every ref", async () => {
    const env = new mod.GithubEnvironment("preview-env", { repository: "r", environment: "staging-preview" });
    await promiseOf(env.environment);
    await settle();
    const [resource] = children("preview-env", ENV);
    expect(resource.inputs.deploymentBranchPolicy).toBeUndefined();
    expect(children("preview-env", POLICY)).toHaveLength(0);
  });

  it("variables and secrets are scoped to the environment; secret values stay secret", async () => {
    const secretValue = pulumi.output("fake-secret-value-for-test");
    const env = new mod.GithubEnvironment("scoped-env", {
      repository: "facilitator-deploy",
      environment: "production",
      reviewers: { users: [1] },
      variables: { GCP_SERVICE_ACCOUNT: "ci@p.iam.gserviceaccount.com", GCP_WORKLOAD_IDENTITY_PROVIDER: "projects/1/x" },
      secrets: { GCP_CREDENTIALS_JSON: secretValue },
    });
    await promiseOf(env.environment);
    await settle();

    const variables = children("scoped-env", VARIABLE);
    expect(variables.map((v) => [v.inputs.environment, v.inputs.variableName, v.inputs.value])).toEqual([
      ["production", "GCP_SERVICE_ACCOUNT", "ci@p.iam.gserviceaccount.com"],
      ["production", "GCP_WORKLOAD_IDENTITY_PROVIDER", "projects/1/x"],
    ]);
    const secrets = children("scoped-env", SECRET);
    expect(secrets).toHaveLength(1);
    expect(secrets[0].inputs).toMatchObject({ environment: "production", secretName: "GCP_CREDENTIALS_JSON" });
    // the deprecated plaintext field is never used
    expect(secrets[0].inputs.plaintextValue).toBeUndefined();
    // nothing at repository level
    expect(ofType(registered, "github:index/actionsSecret:ActionsSecret")).toHaveLength(0);
    expect(ofType(registered, "github:index/actionsVariable:ActionsVariable")).toHaveLength(0);
  });

  it("sends secret values as Pulumi secrets, even when given as plain strings; variables stay plain", async () => {
    const env = new mod.GithubEnvironment("secret-env", {
      repository: "r",
      environment: "staging",
      variables: { PLAIN_VALUE: "visible" },
      secrets: { TOKEN_A: "plain-looking-value" },
    });
    await promiseOf(env.environment);
    await settle();
    const [secret] = children("secret-env", SECRET);
    expect(unwrapInput(secret.inputs.value)).toEqual({ secret: true, value: "plain-looking-value" });
    const [variable] = children("secret-env", VARIABLE);
    expect(unwrapInput(variable.inputs.value)).toEqual({ secret: false, value: "visible" });
  });

  describe("rejects bad input with the field and the fix", () => {
    const base = { repository: "r", environment: "production" };
    it.each([
      [{ ...base, reviewers: { users: [1, 2, 3, 4, 5], teams: [6, 7] } }, /7 reviewers given, GitHub allows at most 6/],
      [{ ...base, reviewers: { users: [-3] } }, /reviewer id -3 is not a positive integer; use the numeric id/],
      [{ ...base, deploymentPolicy: {} }, /needs at least one branch or tag pattern/],
      [{ ...base, variables: { "bad-name": "x" } }, /"bad-name" is not a valid Actions variable\/secret name/],
      [{ ...base, secrets: { GITHUB_TOKEN: "x" } }, /"GITHUB_TOKEN" is not a valid/],
      [{ ...base, variables: { SAME: "x" }, secrets: { SAME: "y" } }, /"SAME" is both a variable and a secret/],
      [{ ...base, environment: "prod env" }, /the name may use only letters/],
    ])("%#", (args, message) => {
      expect(() => new mod.GithubEnvironment(`bad-${Math.random()}`, args)).toThrow(message);
    });
  });
});
