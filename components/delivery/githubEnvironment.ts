import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

/** Which refs may deploy to the environment. Omitted: any ref (GitHub's default). */
export interface DeploymentRefPolicy {
  /** Branch name patterns, e.g. `main`. */
  branches?: string[];
  /** Tag name patterns, e.g. `v*.*.*`. */
  tags?: string[];
}

export interface GithubEnvironmentArgs {
  /** Repository name without the owner (the GitHub provider's `owner` applies). */
  repository: pulumi.Input<string>;
  /** Environment name as workflows reference it (`environment: <name>`). */
  environment: string;
  /** Required reviewers by numeric GitHub id (`gh api users/<login> --jq .id`). Up to 6 in total. */
  reviewers?: { users?: number[]; teams?: number[] };
  /** Whether the person who triggered a deployment may not approve it. */
  preventSelfReview?: boolean;
  /** Whether repository admins may skip the protection rules. GitHub's default is true. */
  canAdminsBypass?: boolean;
  deploymentPolicy?: DeploymentRefPolicy;
  /** Non-secret values the workflows read as `vars.<NAME>`. */
  variables?: Record<string, pulumi.Input<string>>;
  /** Values the workflows read as `secrets.<NAME>`; always stored as Pulumi secrets. */
  secrets?: Record<string, pulumi.Input<string>>;
}

const MAX_REVIEWERS = 6; // GitHub API limit per environment
const NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;

/** Every problem with the args, each naming the field and the fix; empty when valid. */
export function githubEnvironmentProblems(args: GithubEnvironmentArgs): string[] {
  const problems: string[] = [];
  const where = `GitHub environment "${args.environment}"`;
  if (!/^[A-Za-z0-9._-]+$/.test(args.environment)) {
    problems.push(`${where}: the name may use only letters, digits, ".", "_" and "-".`);
  }
  const users = args.reviewers?.users ?? [];
  const teams = args.reviewers?.teams ?? [];
  if (users.length + teams.length > MAX_REVIEWERS) {
    problems.push(`${where}: ${users.length + teams.length} reviewers given, GitHub allows at most ${MAX_REVIEWERS}.`);
  }
  for (const id of [...users, ...teams]) {
    if (!Number.isInteger(id) || id <= 0) {
      problems.push(
        `${where}: reviewer id ${String(id)} is not a positive integer; use the numeric id from \`gh api users/<login> --jq .id\` or \`gh api orgs/<org>/teams/<slug> --jq .id\`.`,
      );
    }
  }
  const policy = args.deploymentPolicy;
  if (policy && (policy.branches ?? []).length + (policy.tags ?? []).length === 0) {
    problems.push(
      `${where}: a deployment policy needs at least one branch or tag pattern; omit it to admit every ref.`,
    );
  }
  const variableNames = Object.keys(args.variables ?? {});
  const secretNames = Object.keys(args.secrets ?? {});
  for (const name of [...variableNames, ...secretNames]) {
    if (!NAME_PATTERN.test(name) || name.startsWith("GITHUB_")) {
      problems.push(
        `${where}: "${name}" is not a valid Actions variable/secret name (upper-case letters, digits and "_", not starting with GITHUB_).`,
      );
    }
  }
  for (const name of variableNames.filter((n) => secretNames.includes(n))) {
    problems.push(`${where}: "${name}" is both a variable and a secret; keep one.`);
  }
  return problems;
}

function sortedEntries<T>(record: Record<string, T> | undefined): [string, T][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/**
 * A GitHub Actions environment with its protection rules, deployment ref policy, and the
 * variables and secrets its workflows need: they live on the environment, never on the repository.
 */
export class GithubEnvironment extends pulumi.ComponentResource {
  /** The environment name, known once the environment exists (children depend on it). */
  public readonly environment: pulumi.Output<string>;

  constructor(name: string, args: GithubEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:GithubEnvironment", name, {}, opts);
    const problems = githubEnvironmentProblems(args);
    if (problems.length > 0) throw new Error(problems.join("\n"));

    const users = args.reviewers?.users ?? [];
    const teams = args.reviewers?.teams ?? [];
    const hasReviewers = users.length + teams.length > 0;
    const policy = args.deploymentPolicy;

    const env = new github.RepositoryEnvironment(
      name,
      {
        repository: args.repository,
        environment: args.environment,
        reviewers: hasReviewers ? [{ users, teams }] : undefined,
        preventSelfReview: hasReviewers ? (args.preventSelfReview ?? true) : undefined,
        canAdminsBypass: args.canAdminsBypass,
        // GitHub rejects protectedBranches == customBranchPolicies, so custom patterns mean (false, true).
        deploymentBranchPolicy: policy ? { protectedBranches: false, customBranchPolicies: true } : undefined,
      },
      { parent: this },
    );
    this.environment = env.environment;

    const patterns = [
      ...(policy?.branches ?? []).map((pattern) => ({ kind: "branch" as const, pattern })),
      ...(policy?.tags ?? []).map((pattern) => ({ kind: "tag" as const, pattern })),
    ];
    for (const { kind, pattern } of patterns) {
      new github.RepositoryEnvironmentDeploymentPolicy(
        `${name}-${kind}-${pattern}`,
        {
          repository: args.repository,
          environment: env.environment,
          ...(kind === "branch" ? { branchPattern: pattern } : { tagPattern: pattern }),
        },
        { parent: this },
      );
    }

    for (const [variableName, value] of sortedEntries(args.variables)) {
      new github.ActionsEnvironmentVariable(
        `${name}-var-${variableName}`,
        { repository: args.repository, environment: env.environment, variableName, value },
        { parent: this },
      );
    }
    for (const [secretName, value] of sortedEntries(args.secrets)) {
      new github.ActionsEnvironmentSecret(
        `${name}-secret-${secretName}`,
        { repository: args.repository, environment: env.environment, secretName, value: pulumi.secret(value) },
        { parent: this, additionalSecretOutputs: ["value"] },
      );
    }

    this.registerOutputs({ environment: this.environment });
  }
}
