// GithubEnvironment under the shared mocks (runProgram): protection rules, ref policy, variables and secrets.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import * as mod from "../../../components/delivery/githubEnvironment";
import { runProgram } from "../../support/program";

const ENV = "github:index/repositoryEnvironment:RepositoryEnvironment";
const POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";
const VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable";
const SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret";

/** Runs one GithubEnvironment and returns its `environment` output (awaited) with every recorded resource. */
function run(name: string, args: mod.GithubEnvironmentArgs) {
  return runProgram(() => ({ environment: new mod.GithubEnvironment(name, args).environment }));
}

describe("GithubEnvironment", () => {
  it("production: required reviewers, no self-review, no admin bypass, tag-only deployment policy", async () => {
    const result = await run("prod-env", {
      repository: "facilitator-deploy",
      environment: "production",
      reviewers: { users: [1001, 1002], teams: [77] },
      canAdminsBypass: false,
      deploymentPolicy: { tags: ["v*.*.*"] },
    });
    expect(result.outputs.environment).toBe("production");

    const [resource] = result.ofType(ENV);
    expect(resource.inputs).toMatchObject({
      repository: "facilitator-deploy",
      environment: "production",
      reviewers: [{ users: [1001, 1002], teams: [77] }],
      preventSelfReview: true,
      canAdminsBypass: false,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    });
    const policies = result.ofType(POLICY);
    expect(policies.map((p) => p.inputs)).toEqual([
      { repository: "facilitator-deploy", environment: "production", tagPattern: "v*.*.*" },
    ]);
  });

  it("staging: admits main and release tags, no reviewers", async () => {
    const result = await run("staging-env", {
      repository: "facilitator-deploy",
      environment: "staging",
      deploymentPolicy: { branches: ["main"], tags: ["v*.*.*"] },
    });

    const [resource] = result.ofType(ENV);
    expect(resource.inputs.reviewers).toBeUndefined();
    expect(resource.inputs.preventSelfReview).toBeUndefined();
    const patterns = result.ofType(POLICY).map((p) => p.inputs.branchPattern ?? p.inputs.tagPattern);
    expect(patterns.sort()).toEqual(["main", "v*.*.*"]);
    for (const policy of result.ofType(POLICY)) {
      // exactly one of branchPattern / tagPattern per policy (the API rejects both)
      expect([policy.inputs.branchPattern, policy.inputs.tagPattern].filter((v) => v !== undefined)).toHaveLength(1);
    }
  });

  it("a preview environment without a policy admits every ref", async () => {
    const result = await run("preview-env", { repository: "r", environment: "staging-preview" });
    const [resource] = result.ofType(ENV);
    expect(resource.inputs.deploymentBranchPolicy).toBeUndefined();
    expect(result.ofType(POLICY)).toHaveLength(0);
  });

  it("variables and secrets are scoped to the environment; secret values stay secret", async () => {
    const result = await runProgram(() => {
      const secretValue = pulumi.output("fake-secret-value-for-test");
      const env = new mod.GithubEnvironment("scoped-env", {
        repository: "facilitator-deploy",
        environment: "production",
        reviewers: { users: [1] },
        variables: {
          GCP_SERVICE_ACCOUNT: "ci@p.iam.gserviceaccount.com",
          GCP_WORKLOAD_IDENTITY_PROVIDER: "projects/1/x",
        },
        secrets: { GCP_CREDENTIALS_JSON: secretValue },
      });
      return { environment: env.environment };
    });

    const variables = result.ofType(VARIABLE);
    expect(variables.map((v) => [v.inputs.environment, v.inputs.variableName, v.inputs.value])).toEqual([
      ["production", "GCP_SERVICE_ACCOUNT", "ci@p.iam.gserviceaccount.com"],
      ["production", "GCP_WORKLOAD_IDENTITY_PROVIDER", "projects/1/x"],
    ]);
    const secrets = result.ofType(SECRET);
    expect(secrets).toHaveLength(1);
    expect(secrets[0].inputs).toMatchObject({ environment: "production", secretName: "GCP_CREDENTIALS_JSON" });
    // the deprecated plaintext field is never used
    expect(secrets[0].inputs.plaintextValue).toBeUndefined();
    // nothing at repository level
    expect(result.ofType("github:index/actionsSecret:ActionsSecret")).toHaveLength(0);
    expect(result.ofType("github:index/actionsVariable:ActionsVariable")).toHaveLength(0);
  });

  it("sends secret values as Pulumi secrets, even when given as plain strings; variables stay plain", async () => {
    const result = await run("secret-env", {
      repository: "r",
      environment: "staging",
      variables: { PLAIN_VALUE: "visible" },
      secrets: { TOKEN_A: "plain-looking-value" },
    });
    const [secret] = result.ofType(SECRET);
    expect(secret.inputs.value).toBe("plain-looking-value");
    expect(secret.secretPaths).toContain("value");
    const [variable] = result.ofType(VARIABLE);
    expect(variable.inputs.value).toBe("visible");
    expect(variable.secretPaths).not.toContain("value");
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
    ])("%#", async (args, message) => {
      await expect(run("bad-env", args)).rejects.toThrow(message);
    });
  });
});
