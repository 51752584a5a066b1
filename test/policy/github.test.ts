import { describe, expect, it } from "vitest";
import { githubSecretsOnEnvironments, productionEnvironmentProtected, releaseTagsProtected } from "../../policy/github";
import { runPolicies } from "../../policy/run";
import { resource } from "./fixtures";

const REPO = "x402-facilitator";

const environment = (props: Record<string, unknown> = {}) =>
  resource(
    "github:index/repositoryEnvironment:RepositoryEnvironment",
    "production",
    {
      repository: REPO,
      environment: "production",
      reviewers: [{ users: [1234567], teams: [] }],
      preventSelfReview: true,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      ...props,
    },
    "prod",
  );

const deploymentPolicy = (props: Record<string, unknown>) =>
  resource(
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
    "production-tags",
    {
      repository: REPO,
      environment: "production",
      ...props,
    },
    "prod",
  );

const tagsOnly = deploymentPolicy({ tagPattern: "v*.*.*" });

async function problems(...resources: ReturnType<typeof resource>[]): Promise<string[]> {
  return (await runPolicies([productionEnvironmentProtected], resources)).map((v) => v.message);
}

describe("production-environment-protected", () => {
  it("passes a production environment with reviewers, no self-review and a tag-only policy", async () => {
    expect(await problems(environment(), tagsOnly)).toEqual([]);
  });

  it("rejects a production environment without reviewers", async () => {
    expect(await problems(environment({ reviewers: [] }), tagsOnly)).toEqual([
      expect.stringMatching(/has no required reviewers/),
    ]);
    expect(await problems(environment({ reviewers: [{ users: [], teams: [] }] }), tagsOnly)).toHaveLength(1);
  });

  it("rejects self-review and unrestricted refs", async () => {
    expect(await problems(environment({ preventSelfReview: false }), tagsOnly)).toEqual([
      expect.stringMatching(/preventSelfReview: true/),
    ]);
    expect(await problems(environment({ deploymentBranchPolicy: undefined }), tagsOnly)).toEqual([
      expect.stringMatching(/does not restrict which refs/),
    ]);
  });

  // Deploys run from main (release.yml at main; rollback is a change of a stack file on main), so
  // production admits main and release tags; any other branch, or every tag, is refused.
  it("rejects no deployment policy, a catch-all tag and any branch but main", async () => {
    expect(await problems(environment())).toEqual([
      expect.stringMatching(/has no deployment policy for the protected branch or release tags/),
    ]);
    expect(await problems(environment(), deploymentPolicy({ tagPattern: "*" }))).toEqual([
      expect.stringMatching(/has no deployment policy/),
      expect.stringMatching(/admits every tag \("\*"\)/),
    ]);
    expect(await problems(environment(), tagsOnly, deploymentPolicy({ branchPattern: "release/*" }))).toEqual([
      expect.stringMatching(/admits branch "release\/\*"/),
    ]);
    expect(await problems(environment(), tagsOnly, deploymentPolicy({ branchPattern: "main" }))).toEqual([]);
    expect(await problems(environment(), deploymentPolicy({ branchPattern: "main" }))).toEqual([]);
  });

  it("matches the deployment policy to its own repository and environment", async () => {
    expect(await problems(environment(), deploymentPolicy({ tagPattern: "v*.*.*", repository: "other" }))).toHaveLength(
      1,
    );
  });

  it("reports against the environment's URN and leaves staging alone", async () => {
    const violations = await runPolicies([productionEnvironmentProtected], [environment({ reviewers: [] }), tagsOnly]);
    expect(violations[0]?.urn).toContain("RepositoryEnvironment::production");
    const staging = environment({
      environment: "staging",
      reviewers: [],
      preventSelfReview: false,
      deploymentBranchPolicy: undefined,
    });
    expect(await problems(staging)).toEqual([]);
  });
});

describe("github-secrets-on-environments", () => {
  const secret = (type: string) =>
    resource(type, "deploy-key", { repository: REPO, secretName: "DEPLOY_KEY", environment: "production", value: "x" });

  it("passes environment secrets", async () => {
    expect(
      await runPolicies(
        [githubSecretsOnEnvironments],
        [secret("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")],
      ),
    ).toEqual([]);
  });

  it("rejects repository and organization secrets", async () => {
    const violations = await runPolicies(
      [githubSecretsOnEnvironments],
      [
        secret("github:index/actionsSecret:ActionsSecret"),
        secret("github:index/actionsOrganizationSecret:ActionsOrganizationSecret"),
      ],
    );
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/"DEPLOY_KEY" is a repository secret/),
      expect.stringMatching(/"DEPLOY_KEY" is an organization secret/),
    ]);
  });
});

describe("release-tags-protected", () => {
  // Rules and bypass semantics: GitHub REST "Create a repository ruleset" (creation/update/deletion:
  // "Only allow users with bypass permission to …") and "About rule layering" (rules of all rulesets
  // on a ref are aggregated, bypass is per ruleset):
  // https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset
  // https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/about-rulesets#about-rule-layering
  // RepositoryRole ids maintain 2 / write 4 / admin 5: integrations/terraform-provider-github,
  // website/docs/r/repository_ruleset.html.markdown ("base repository roles and their associated IDs").
  const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
  const MAINTAIN = { actorId: 2, actorType: "RepositoryRole", bypassMode: "always" };
  const ADMIN = { actorId: 5, actorType: "RepositoryRole", bypassMode: "always" };
  const WRITE = { actorId: 4, actorType: "RepositoryRole", bypassMode: "always" };
  const ruleset = (name: string, props: Record<string, unknown>, stack = "prod") =>
    resource(
      RULESET,
      name,
      {
        name,
        repository: REPO,
        target: "tag",
        enforcement: "active",
        conditions: { refName: { includes: ["refs/tags/v*.*.*"], excludes: [] } },
        ...props,
      },
      stack,
    );
  const create = (props: Record<string, unknown> = {}, stack?: string) =>
    ruleset("release-tags-create", { bypassActors: [MAINTAIN, ADMIN], rules: { creation: true }, ...props }, stack);
  const immutable = (props: Record<string, unknown> = {}, stack?: string) =>
    ruleset(
      "release-tags-immutable",
      { rules: { update: true, deletion: true, nonFastForward: true }, ...props },
      stack,
    );
  const stagingEnvironment = resource(
    "github:index/repositoryEnvironment:RepositoryEnvironment",
    "staging",
    { repository: REPO, environment: "staging" },
    "staging",
  );

  async function releaseProblems(resources: ReturnType<typeof resource>[], config = {}): Promise<string[]> {
    return (await runPolicies([releaseTagsProtected], resources, config)).map((v) => v.message);
  }

  it("passes the owner with a creation ruleset for maintainers/admins and an immutability ruleset nobody bypasses", async () => {
    expect(await releaseProblems([environment(), tagsOnly, create(), immutable()])).toEqual([]);
    // one ruleset carrying both would need bypass for creation and none for update: only two rulesets do both
    expect(
      await releaseProblems([environment(), create({ rules: { creation: true, update: true, deletion: true } })]),
    ).toEqual([
      expect.stringMatching(/let someone move v\*\.\*\.\* tags/),
      expect.stringMatching(/let someone delete v\*\.\*\.\* tags/),
    ]);
  });

  it("refuses the owner stack without rulesets, naming the fix", async () => {
    expect(await releaseProblems([environment(), tagsOnly])).toEqual([
      "Stack prod owns the release tags of x402-facilitator, but its rulesets let anyone with write access create v*.*.* tags (add an active tag ruleset on refs/tags/v*.*.* with rules.creation and only RepositoryRole 2/5 as bypass actors).",
      "Stack prod owns the release tags of x402-facilitator, but its rulesets let someone move v*.*.* tags (add an active tag ruleset on refs/tags/v*.*.* with rules.update and no bypass actors).",
      "Stack prod owns the release tags of x402-facilitator, but its rulesets let someone delete v*.*.* tags (add an active tag ruleset on refs/tags/v*.*.* with rules.deletion and no bypass actors).",
    ]);
  });

  it("refuses bypass for update/deletion, a write-role creator, a disabled ruleset and a missed pattern", async () => {
    expect(await releaseProblems([environment(), create(), immutable({ bypassActors: [ADMIN] })])).toEqual([
      expect.stringMatching(/let someone move/),
      expect.stringMatching(/let someone delete/),
    ]);
    expect(
      await releaseProblems([environment(), create({ bypassActors: [MAINTAIN, ADMIN, WRITE] }), immutable()]),
    ).toEqual([expect.stringMatching(/let anyone with write access create/)]);
    expect(
      await releaseProblems([
        environment(),
        create({ enforcement: "disabled" }),
        immutable({ enforcement: "evaluate" }),
      ]),
    ).toHaveLength(3);
    expect(
      await releaseProblems([
        environment(),
        create({ conditions: { refName: { includes: ["refs/tags/*"], excludes: ["refs/tags/v*.*.*"] } } }),
        immutable(),
      ]),
    ).toEqual([expect.stringMatching(/create v\*\.\*\.\* tags/)]);
    // every tag pattern production admits is protected, not only v*.*.*
    expect(
      await releaseProblems([environment(), deploymentPolicy({ tagPattern: "release-*" }), create(), immutable()]),
    ).toEqual([
      expect.stringMatching(/create release-\* tags/),
      expect.stringMatching(/move release-\* tags/),
      expect.stringMatching(/delete release-\* tags/),
    ]);
    // a ruleset on every tag covers the release tags too
    const everyTag = { conditions: { refName: { includes: ["~ALL"], excludes: [] } } };
    expect(await releaseProblems([environment(), create(everyTag), immutable(everyTag)])).toEqual([]);
  });

  it("leaves a stack that does not own the tags alone, and refuses it provisioning rulesets on them", async () => {
    expect(await releaseProblems([stagingEnvironment])).toEqual([]);
    const violations = await runPolicies(
      [releaseTagsProtected],
      [stagingEnvironment, create({}, "staging"), immutable({}, "staging")],
    );
    expect(violations.map((v) => [v.urn, v.message])).toEqual([
      [
        expect.stringContaining("RepositoryRuleset::release-tags-create"),
        expect.stringMatching(
          /^Stack staging provisions tag ruleset "release-tags-create" on the release tags of x402-facilitator, which stack prod owns .*two stacks would fight/,
        ),
      ],
      [
        expect.stringContaining("RepositoryRuleset::release-tags-immutable"),
        expect.stringMatching(/"release-tags-immutable"/),
      ],
    ]);
  });

  it("takes the owner from the pack's config (releaseTagsOwner), and ignores stacks without GitHub settings", async () => {
    const config = { "release-tags-protected": { releaseTagsOwner: "staging" } };
    expect(await releaseProblems([stagingEnvironment], config)).toHaveLength(3);
    expect(await releaseProblems([environment(), tagsOnly], config)).toEqual([]);
    expect(await releaseProblems([resource("kubernetes:core/v1:Service", "facilitator", {})])).toEqual([]);
  });
});
