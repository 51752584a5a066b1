// Release tags are protected by the one stack that owns them (facilitator:githubReleaseTagsOwner,
// prod by default): only maintainers and admins create v*.*.* tags, nobody moves or deletes them.
// Rules and layering: https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset and
// https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/about-rulesets#about-rule-layering
// (bypass is per ruleset, rules of all rulesets on a ref apply together, so "create: maintainers"
// and "move/delete: nobody" need two rulesets). RepositoryRole ids maintain 2 / admin 5:
// integrations/terraform-provider-github website/docs/r/repository_ruleset.html.markdown.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { policies } from "../../../policy/index";
import { DEFAULT_RELEASE_TAGS_OWNER } from "../../../policy/github";
import { runPolicies } from "../../../policy/run";
import { asPolicyInput, committedStacks, configOf, runCommittedStack } from "../../policy/committedStacks";
import { REPO_ROOT } from "../../support/stack";

const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
const MANAGED = committedStacks().filter((stack) => configOf(stack, "githubManage") === "true");
const ownerOf = (stack: string) => configOf(stack, "githubReleaseTagsOwner");

describe("release-tag rulesets in the committed stacks", () => {
  it("exactly one stack per repository owns them, by a project-wide setting the policy pack agrees with", () => {
    const project = parse(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown }>;
    };
    expect(project.config["githubReleaseTagsOwner"]?.default).toBe(DEFAULT_RELEASE_TAGS_OWNER);
    const byRepository = new Map<string, string[]>();
    for (const stack of MANAGED) {
      const owners = byRepository.get(configOf(stack, "githubRepository")) ?? [];
      if (ownerOf(stack) === stack) owners.push(stack);
      byRepository.set(configOf(stack, "githubRepository"), owners);
      // every stack names the same owner, so no two stacks both think they own the rulesets
      expect(ownerOf(stack), stack).toBe(DEFAULT_RELEASE_TAGS_OWNER);
    }
    expect([...byRepository.values()]).toEqual([...byRepository.keys()].map(() => ["prod"]));
  });

  it("prod: creation restricted to maintainers and admins, no moving or deleting for anyone", async () => {
    const run = await runCommittedStack("prod");
    const rulesets = Object.fromEntries(run.ofType(RULESET).map((r) => [r.inputs["name"], r.inputs]));
    expect(Object.keys(rulesets).sort()).toEqual(["release-tags-create", "release-tags-immutable"]);
    const common = {
      repository: configOf("prod", "githubRepository").split("/")[1],
      target: "tag",
      enforcement: "active",
      conditions: { refName: { includes: ["refs/tags/v*.*.*"], excludes: [] } },
    };
    expect(rulesets["release-tags-create"]).toEqual({
      ...common,
      name: "release-tags-create",
      bypassActors: [
        { actorId: 2, actorType: "RepositoryRole", bypassMode: "always" },
        { actorId: 5, actorType: "RepositoryRole", bypassMode: "always" },
      ],
      rules: { creation: true },
    });
    expect(rulesets["release-tags-immutable"]).toEqual({
      ...common,
      name: "release-tags-immutable",
      rules: { update: true, deletion: true, nonFastForward: true },
    });
    expect(rulesets["release-tags-immutable"]?.["bypassActors"]).toBeUndefined();
    // through the same GitHub provider as the environments (owner from facilitator:githubRepository)
    const providers = new Set(
      run.resources.filter((r) => r.type.startsWith("github:index/")).map((r) => r.provider.split("::")[3]),
    );
    expect(providers.size).toBe(1);
  });

  it("staging provisions none, and neither does a stack without GitHub management", async () => {
    expect((await runCommittedStack("staging")).ofType(RULESET)).toEqual([]);
    expect((await runCommittedStack("prod", { githubManage: "false" })).ofType(RULESET)).toEqual([]);
  });

  it("the owner can be moved (in Pulumi.yaml): then staging provisions them and prod does not", async () => {
    expect((await runCommittedStack("staging", { githubReleaseTagsOwner: "staging" })).ofType(RULESET)).toHaveLength(2);
    expect((await runCommittedStack("prod", { githubReleaseTagsOwner: "staging" })).ofType(RULESET)).toEqual([]);
  });
});

describe("the policy pack over the committed stacks' GitHub settings", () => {
  it("prod without its release-tag rulesets is refused", async () => {
    const resources = asPolicyInput(await runCommittedStack("prod")).filter((r) => r.type !== RULESET);
    const violations = (await runPolicies(policies, resources)).filter((v) => v.policy === "release-tags-protected");
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(
        /^Stack prod owns the release tags of facilitator-deploy, but its rulesets let anyone with write access create v\*\.\*\.\* tags/,
      ),
      expect.stringMatching(/let someone move v\*\.\*\.\* tags/),
      expect.stringMatching(/let someone delete v\*\.\*\.\* tags/),
    ]);
  });

  it("staging provisioning them too (two owners) is refused", async () => {
    const resources = asPolicyInput(await runCommittedStack("staging", { githubReleaseTagsOwner: "staging" }));
    const violations = (await runPolicies(policies, resources)).filter((v) => v.policy === "release-tags-protected");
    expect(violations.map((v) => v.message).sort()).toEqual([
      expect.stringMatching(/^Stack staging provisions tag ruleset "release-tags-create" .* which stack prod owns/),
      expect.stringMatching(/^Stack staging provisions tag ruleset "release-tags-immutable"/),
    ]);
  });
});
