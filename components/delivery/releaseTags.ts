import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

/** The tags scripts/release.sh pushes, and the ones the deploy environments admit. */
export const RELEASE_TAG_PATTERN = "v*.*.*";

/**
 * Ruleset bypass ids of GitHub's base repository roles (actor type RepositoryRole): maintain 2,
 * write 4, admin 5 (integrations/terraform-provider-github, docs/r/repository_ruleset: "base
 * repository roles and their associated IDs").
 */
export const REPOSITORY_ROLE_ID = { maintain: 2, admin: 5 } as const;

export interface ReleaseTagRulesetsArgs {
  /** Repository name without the owner (the GitHub provider's `owner` applies). */
  repository: pulumi.Input<string>;
  /** Tag name patterns to protect, e.g. `v*.*.*`. */
  tagPatterns: string[];
}

/**
 * Two tag rulesets on the release tags. Bypass is granted per ruleset and rules of every ruleset
 * that targets a ref apply together ("About rule layering", docs.github.com/en/repositories/
 * configuring-branches-and-merges-in-your-repository/managing-rulesets/about-rulesets), so:
 * - `release-tags-create`: the `creation` rule, bypassed by maintainers and admins only, so only
 *   they can push a new release tag;
 * - `release-tags-immutable`: `update`, `deletion` and `non_fast_forward` with no bypass actor at
 *   all, so nobody moves or deletes a release tag. For a tag, `update` already covers a forced move;
 *   `non_fast_forward` says the same for anyone reading the ruleset.
 * Admins can still edit the rulesets themselves: that change shows in the program's preview.
 */
export class ReleaseTagRulesets extends pulumi.ComponentResource {
  constructor(name: string, args: ReleaseTagRulesetsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:ReleaseTagRulesets", name, {}, opts);
    if (args.tagPatterns.length === 0) throw new Error("Release tag rulesets need at least one tag pattern.");
    const conditions = {
      refName: { includes: [...new Set(args.tagPatterns)].sort().map((p) => `refs/tags/${p}`), excludes: [] },
    };
    const roles = [REPOSITORY_ROLE_ID.maintain, REPOSITORY_ROLE_ID.admin];

    new github.RepositoryRuleset(
      `${name}-create`,
      {
        name: "release-tags-create",
        repository: args.repository,
        target: "tag",
        enforcement: "active",
        conditions,
        bypassActors: roles.map((actorId) => ({ actorId, actorType: "RepositoryRole", bypassMode: "always" })),
        rules: { creation: true },
      },
      { parent: this },
    );
    new github.RepositoryRuleset(
      `${name}-immutable`,
      {
        name: "release-tags-immutable",
        repository: args.repository,
        target: "tag",
        enforcement: "active",
        conditions,
        rules: { update: true, deletion: true, nonFastForward: true },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
