// The production GitHub environment is the gate in front of prod: only a reviewed workflow
// run for a release tag may deploy (DESIGN.md, "Security model").
import * as github from "@pulumi/github";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { resourcesOfType, type ResourceClass } from "./resources";

type Environment = Unwrap<github.RepositoryEnvironmentArgs>;
type DeploymentPolicy = Unwrap<github.RepositoryEnvironmentDeploymentPolicyArgs>;

/** GitHub environment names treated as production. */
export const PRODUCTION_ENVIRONMENTS = ["production", "prod"];

function isProduction(environment: Environment): boolean {
  return PRODUCTION_ENVIRONMENTS.includes(environment.environment.toLowerCase());
}

/** Everything the production environment is missing, as "what (fix)" lines. */
export function productionEnvironmentProblems(environment: Environment, policies: DeploymentPolicy[]): string[] {
  const problems: string[] = [];
  const hasReviewer = (environment.reviewers ?? []).some((r) => (r.users?.length ?? 0) + (r.teams?.length ?? 0) > 0);
  if (!hasReviewer) problems.push("has no required reviewers (set reviewers: [{ users | teams }])");
  if (environment.preventSelfReview !== true) problems.push("lets the person who started a deployment approve it (set preventSelfReview: true)");
  const branchPolicy = environment.deploymentBranchPolicy;
  if (branchPolicy?.protectedBranches !== false || branchPolicy.customBranchPolicies !== true) {
    problems.push("does not restrict which refs may deploy (set deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true })");
  }
  const own = policies.filter((p) => p.repository === environment.repository && p.environment === environment.environment);
  if (!own.some((p) => p.tagPattern && !["*", "**"].includes(p.tagPattern))) {
    problems.push('has no tag-only deployment policy (add a RepositoryEnvironmentDeploymentPolicy with tagPattern: "v*.*.*")');
  }
  for (const p of own.filter((p) => p.branchPattern)) {
    problems.push(`admits branch "${p.branchPattern}" (production deploys tags only: remove that deployment policy)`);
  }
  return problems;
}

export const productionEnvironmentProtected: StackValidationPolicy = {
  name: "production-environment-protected",
  description: "The production GitHub environment has required reviewers, prevents self-review, and admits only release tags.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const policies = resourcesOfType<DeploymentPolicy>(args.resources, github.RepositoryEnvironmentDeploymentPolicy).map((p) => p.props);
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
        reportViolation(`Actions secret "${secretName}" is ${scope} secret, readable by every workflow: make it an ActionsEnvironmentSecret of the environment that needs it.`);
      }
    }
  },
};
