// The production GitHub environment is the gate in front of prod: only a reviewed workflow
// run for a release tag may deploy (docs/architecture.md, "Security model").
import * as github from "@pulumi/github";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { resourcesOfType, stackOfUrn, type ResourceClass } from "./resources";

type Environment = Unwrap<github.RepositoryEnvironmentArgs>;
type DeploymentPolicy = Unwrap<github.RepositoryEnvironmentDeploymentPolicyArgs>;
type Ruleset = Unwrap<github.RepositoryRulesetArgs>;

/** GitHub environment names treated as production. */
export const PRODUCTION_ENVIRONMENTS = ["production", "prod"];

/**
 * Deploys run from main (the stack files there select each image; rollback is a change on main), so
 * production admits that branch; required reviewers stay the gate. Release tags stay admitted for
 * runs started before deploys moved to main.
 */
const PROTECTED_BRANCH = "main";

function isProduction(environment: Environment): boolean {
  return PRODUCTION_ENVIRONMENTS.includes(environment.environment.toLowerCase());
}

/** Everything the production environment is missing, as "what (fix)" lines. */
export function productionEnvironmentProblems(environment: Environment, policies: DeploymentPolicy[]): string[] {
  const problems: string[] = [];
  const hasReviewer = (environment.reviewers ?? []).some((r) => (r.users?.length ?? 0) + (r.teams?.length ?? 0) > 0);
  if (!hasReviewer) problems.push("has no required reviewers (set reviewers: [{ users | teams }])");
  if (environment.preventSelfReview !== true)
    problems.push("lets the person who started a deployment approve it (set preventSelfReview: true)");
  const branchPolicy = environment.deploymentBranchPolicy;
  if (branchPolicy?.protectedBranches !== false || branchPolicy.customBranchPolicies !== true) {
    problems.push(
      "does not restrict which refs may deploy (set deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true })",
    );
  }
  const own = policies.filter(
    (p) => p.repository === environment.repository && p.environment === environment.environment,
  );
  if (!own.some((p) => p.branchPattern === PROTECTED_BRANCH || (p.tagPattern && !["*", "**"].includes(p.tagPattern)))) {
    problems.push(
      `has no deployment policy for the protected branch or release tags (add a RepositoryEnvironmentDeploymentPolicy with branchPattern: "${PROTECTED_BRANCH}")`,
    );
  }
  for (const p of own.filter((p) => p.branchPattern && p.branchPattern !== PROTECTED_BRANCH)) {
    problems.push(
      `admits branch "${p.branchPattern}" (production deploys from the protected branch ${PROTECTED_BRANCH} only: remove that deployment policy)`,
    );
  }
  for (const p of own.filter((p) => p.tagPattern && ["*", "**"].includes(p.tagPattern))) {
    problems.push(`admits every tag ("${p.tagPattern}") (restrict it to release tags, e.g. "v*.*.*")`);
  }
  return problems;
}

export const productionEnvironmentProtected: StackValidationPolicy = {
  name: "production-environment-protected",
  description:
    "The production GitHub environment has required reviewers, prevents self-review, and admits only release tags and the protected branch main.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const policies = resourcesOfType<DeploymentPolicy>(
      args.resources,
      github.RepositoryEnvironmentDeploymentPolicy,
    ).map((p) => p.props);
    for (const { resource, props } of resourcesOfType<Environment>(args.resources, github.RepositoryEnvironment)) {
      if (!isProduction(props)) continue;
      for (const problem of productionEnvironmentProblems(props, policies)) {
        reportViolation(`GitHub environment "${props.environment}" of ${props.repository} ${problem}.`, resource.urn);
      }
    }
  },
};

/**
 * Workflow secrets live on an environment, so only a job that passed that environment's rules can
 * read them; a repository or organization secret is readable by every workflow, including PR ones.
 */
export const githubSecretsOnEnvironments: ResourceValidationPolicy = {
  name: "github-secrets-on-environments",
  description: "GitHub Actions secrets are environment secrets, never repository or organization secrets.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    const secretName = (args.props as { secretName?: string }).secretName;
    const sharedSecrets: [ResourceClass, string][] = [
      [github.ActionsSecret, "a repository"],
      [github.ActionsOrganizationSecret, "an organization"],
    ];
    for (const [kind, scope] of sharedSecrets) {
      if (args.isType(kind)) {
        reportViolation(
          `Actions secret "${secretName}" is ${scope} secret, readable by every workflow: make it an ActionsEnvironmentSecret of the environment that needs it.`,
        );
      }
    }
  },
};

/** The stack that owns the release-tag rulesets unless the pack's config says otherwise (= facilitator:githubReleaseTagsOwner). */
export const DEFAULT_RELEASE_TAGS_OWNER = "prod";
/** The tags scripts/release.sh pushes; always protected, with every tag pattern an environment admits. */
export const RELEASE_TAG_PATTERN = "v*.*.*";
/** RepositoryRole bypass ids of the maintain (2) and admin (5) base roles (terraform-provider-github, repository_ruleset docs). */
const MAINTAINER_ROLE_IDS: readonly number[] = [2, 5];

/** Whether a ruleset's ref condition takes in `ref` (exact, `~ALL`, or every tag), and no exclude takes it out. */
function targets(ruleset: Ruleset, ref: string): boolean {
  const everyTag = (pattern: string) =>
    pattern === ref || ["~ALL", "refs/tags/*", "refs/tags/**", "**/*", "**"].includes(pattern);
  const { includes = [], excludes = [] } = ruleset.conditions?.refName ?? {};
  return ruleset.target === "tag" && includes.some(everyTag) && !excludes.some(everyTag);
}

const onlyMaintainersBypass = (ruleset: Ruleset) =>
  (ruleset.bypassActors ?? []).every(
    (a) => a.actorType === "RepositoryRole" && a.actorId !== undefined && MAINTAINER_ROLE_IDS.includes(a.actorId),
  );
const nobodyBypasses = (ruleset: Ruleset) => (ruleset.bypassActors ?? []).length === 0;

/**
 * What the rulesets leave open on these tag patterns, as "what (fix)" lines. Rules of every ruleset
 * on a ref apply together and bypass is per ruleset ("About rule layering", GitHub docs), so one
 * active ruleset with the rule and the right bypass list is enough, and others cannot widen it.
 */
export function releaseTagProtectionProblems(rulesets: Ruleset[], tagPatterns: string[]): string[] {
  const problems: string[] = [];
  for (const pattern of [...new Set(tagPatterns)].sort()) {
    const ref = `refs/tags/${pattern}`;
    const active = rulesets.filter((r) => r.enforcement === "active" && targets(r, ref));
    if (!active.some((r) => r.rules.creation === true && onlyMaintainersBypass(r))) {
      problems.push(
        `let anyone with write access create ${pattern} tags (add an active tag ruleset on ${ref} with rules.creation and only RepositoryRole ${MAINTAINER_ROLE_IDS.join("/")} as bypass actors)`,
      );
    }
    for (const [rule, verb] of [
      ["update", "move"],
      ["deletion", "delete"],
    ] as const) {
      if (!active.some((r) => r.rules[rule] === true && nobodyBypasses(r))) {
        problems.push(
          `let someone ${verb} ${pattern} tags (add an active tag ruleset on ${ref} with rules.${rule} and no bypass actors)`,
        );
      }
    }
  }
  return problems;
}

/**
 * Release tags are what production deploys, so who may create, move or delete them is part of the
 * production gate. The repository is shared by every stack: exactly one stack provisions the rulesets
 * (two would fight over them), and every other stack leaves them alone.
 */
export const releaseTagsProtected: StackValidationPolicy = {
  name: "release-tags-protected",
  description:
    "The stack that owns the release tags protects them with tag rulesets (only maintainers and admins create them, nobody moves or deletes them); no other stack provisions rulesets on them.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: {
    properties: {
      releaseTagsOwner: {
        type: "string",
        default: DEFAULT_RELEASE_TAGS_OWNER,
        description: "The stack that provisions the release-tag rulesets (= facilitator:githubReleaseTagsOwner).",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const environments = resourcesOfType<Environment>(args.resources, github.RepositoryEnvironment);
    const rulesets = resourcesOfType<Ruleset>(args.resources, github.RepositoryRuleset);
    const anchor = environments[0] ?? rulesets[0];
    if (anchor === undefined) return; // the stack manages no GitHub settings
    const stack = stackOfUrn(anchor.resource.urn);
    const owner = args.getConfig<{ releaseTagsOwner?: string }>().releaseTagsOwner ?? DEFAULT_RELEASE_TAGS_OWNER;

    const policies = resourcesOfType<DeploymentPolicy>(
      args.resources,
      github.RepositoryEnvironmentDeploymentPolicy,
    ).map((p) => p.props);
    const repositories = [...new Set([...environments, ...rulesets].map((r) => r.props.repository))].sort();
    for (const repository of repositories) {
      const patterns = [
        RELEASE_TAG_PATTERN,
        ...policies.filter((p) => p.repository === repository && p.tagPattern).map((p) => p.tagPattern!),
      ];
      const own = rulesets.filter((r) => r.props.repository === repository);
      if (stack !== owner) {
        for (const { resource, props } of own.filter((r) => patterns.some((p) => targets(r.props, `refs/tags/${p}`)))) {
          reportViolation(
            `Stack ${stack} provisions tag ruleset "${props.name}" on the release tags of ${repository}, which stack ${owner} owns (facilitator:githubReleaseTagsOwner): two stacks would fight over them. Remove it from ${stack}.`,
            resource.urn,
          );
        }
        continue;
      }
      const urn = (environments.find((e) => e.props.repository === repository) ?? own[0])?.resource.urn;
      for (const problem of releaseTagProtectionProblems(
        own.map((r) => r.props),
        patterns,
      )) {
        reportViolation(`Stack ${stack} owns the release tags of ${repository}, but its rulesets ${problem}.`, urn);
      }
    }
  },
};
