import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

/** One service account that GitHub Actions jobs of one GitHub environment may impersonate. */
export interface CiPrincipalArgs {
  /** Service account id: 6-30 characters, lower-case letters, digits and "-". */
  accountId: string;
  /** The GitHub environment whose jobs may impersonate the account (`environment:` in the workflow). */
  environment: string;
  /** Project-level roles, e.g. `roles/container.developer`. */
  projectRoles: string[];
  /** Role on the Pulumi state bucket (`stateBucket` below). */
  stateBucketRole?: string;
  /** Role on the Pulumi secrets-provider KMS key (`secretsKmsKey` below). */
  secretsKeyRole?: string;
}

export interface CiIdentityArgs {
  /** GCP project that holds the pool and the service accounts. */
  project: pulumi.Input<string>;
  /** Workload Identity Pool id (4-32 characters). Pools are soft-deleted for 30 days: see docs/delivery.md. */
  poolId: string;
  /** Pool provider id (4-32 characters). */
  providerId: string;
  /** `owner/name` of the GitHub repository, for readability; the binding itself is by id. */
  repository: string;
  /** Numeric repository id (`gh api repos/<owner>/<name> --jq .id`): survives renames, defeats look-alikes. */
  repositoryId: number;
  /** Numeric owner id (`gh api repos/<owner>/<name> --jq .owner.id`). */
  repositoryOwnerId: number;
  /** Also require, in the provider's attribute condition, that the job runs in one of the principals' environments. */
  bindEnvironments: boolean;
  /** The identity of the deploy job (`pulumi up`). */
  deployer: CiPrincipalArgs;
  /** A less-privileged identity for pull-request previews (`pulumi preview`). */
  previewer: CiPrincipalArgs;
  /** This stack's own Pulumi state bucket (`gs://<name>`), if any: the grant covers the whole bucket (stateIsolation.ts). */
  stateBucket?: string;
  /** KMS crypto key id of the stack's `gcpkms://` secrets provider, if it uses one. */
  secretsKmsKey?: string;
  /** Opt-in fallback for organisations without Workload Identity Federation: create a deployer key. */
  createDeployerKey?: boolean;
}

/**
 * The attribute condition of the GitHub OIDC provider: only this repository, named by its numeric
 * ids (a deleted-and-recreated or look-alike repository has other ids), and optionally only jobs
 * running in the given GitHub environments (which GitHub admits only after its protection rules).
 */
export function githubAttributeCondition(
  repositoryId: number,
  repositoryOwnerId: number,
  environments: string[] = [],
): string {
  const clauses = [
    `assertion.repository_id == '${repositoryId}'`,
    `assertion.repository_owner_id == '${repositoryOwnerId}'`,
  ];
  if (environments.length > 0) {
    clauses.push(
      `(${[...environments]
        .sort()
        .map((env) => `assertion.environment == '${env}'`)
        .join(" || ")})`,
    );
  }
  return clauses.join(" && ");
}

/** Every problem with the args, each naming the field and the fix; empty when valid. */
export function ciIdentityProblems(args: CiIdentityArgs): string[] {
  const problems: string[] = [];
  const idPattern = /^[a-z0-9-]{4,32}$/;
  for (const [field, value] of [
    ["poolId", args.poolId],
    ["providerId", args.providerId],
  ] as const) {
    if (!idPattern.test(value) || value.startsWith("gcp-")) {
      problems.push(
        `CI identity: ${field} "${value}" must be 4-32 characters of a-z, 0-9 and "-", not starting with "gcp-".`,
      );
    }
  }
  if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(args.repository)) {
    problems.push(`CI identity: repository "${args.repository}" must be "owner/name".`);
  }
  for (const [field, value] of [
    ["repositoryId", args.repositoryId],
    ["repositoryOwnerId", args.repositoryOwnerId],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) {
      problems.push(
        `CI identity: ${field} must be the positive numeric id GitHub reports (\`gh api repos/${args.repository} --jq '.id, .owner.id'\`), got ${String(value)}.`,
      );
    }
  }
  const principals = [args.deployer, args.previewer];
  for (const principal of principals) {
    if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(principal.accountId)) {
      problems.push(
        `CI identity: service account id "${principal.accountId}" must be 6-30 characters of a-z, 0-9 and "-", starting with a letter.`,
      );
    }
    const roles = [...principal.projectRoles, principal.stateBucketRole, principal.secretsKeyRole];
    for (const role of roles.filter((r): r is string => r !== undefined)) {
      if (!/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(role)) {
        problems.push(`CI identity: "${role}" is not an IAM role name (expected roles/<name> or a custom role path).`);
      }
    }
  }
  if (args.previewer.environment === args.deployer.environment) {
    problems.push(
      `CI identity: the previewer and the deployer must use different GitHub environments (both "${args.deployer.environment}"), or previews could act as the deployer.`,
    );
  }
  if (args.previewer.accountId === args.deployer.accountId) {
    problems.push(
      `CI identity: the previewer and the deployer need different service accounts (both "${args.deployer.accountId}").`,
    );
  }
  if (principals.some((p) => p.stateBucketRole) && !args.stateBucket) {
    problems.push("CI identity: a stateBucketRole is set but no stateBucket is given.");
  }
  if (principals.some((p) => p.secretsKeyRole) && !args.secretsKmsKey) {
    problems.push("CI identity: a secretsKeyRole is set but no secretsKmsKey is given.");
  }
  return problems;
}

/** A user-managed service account's email is fixed by its id and project (and known before it exists). */
function emailOf(account: gcp.serviceaccount.Account): pulumi.Output<string> {
  return pulumi.interpolate`${account.accountId}@${account.project}.iam.gserviceaccount.com`;
}

/** Resource-name fragment for a role: `roles/container.developer` -> `container.developer`. */
function roleSlug(role: string): string {
  return role.replace(/^roles\//, "").replace(/[^A-Za-z0-9.]+/g, "-");
}

/**
 * Keyless CI identity for one stack: a Workload Identity Pool with a GitHub OIDC provider bound to
 * this repository, and per-environment service accounts holding only the roles their job needs.
 * Registry access is granted by RegistryAccess (components/registry), member by member, to
 * `deployerMember`/`previewerMember` and the members the stack config names, never here.
 */
export class CiIdentity extends pulumi.ComponentResource {
  /** Full provider resource name, the `workload_identity_provider` input of google-github-actions/auth. */
  public readonly workloadIdentityProvider: pulumi.Output<string>;
  public readonly deployerEmail: pulumi.Output<string>;
  /** `serviceAccount:<email>`, for IAM grants made elsewhere (e.g. on the registry). */
  public readonly deployerMember: pulumi.Output<string>;
  public readonly previewerEmail: pulumi.Output<string>;
  public readonly previewerMember: pulumi.Output<string>;
  /** The deployer's JSON key (secret), only when `createDeployerKey` is set. */
  public readonly deployerKeyJson?: pulumi.Output<string>;

  constructor(name: string, args: CiIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:CiIdentity", name, {}, opts);
    const problems = ciIdentityProblems(args);
    if (problems.length > 0) throw new Error(problems.join("\n"));

    const principals = [args.deployer, args.previewer];
    const pool = new gcp.iam.WorkloadIdentityPool(
      `${name}-pool`,
      {
        project: args.project,
        workloadIdentityPoolId: args.poolId,
        displayName: `GitHub ${args.repository}`.slice(0, 32),
        description: `GitHub Actions of ${args.repository} (repository id ${args.repositoryId})`,
      },
      { parent: this },
    );
    const provider = new gcp.iam.WorkloadIdentityPoolProvider(
      `${name}-github`,
      {
        project: args.project,
        workloadIdentityPoolId: pool.workloadIdentityPoolId,
        workloadIdentityPoolProviderId: args.providerId,
        displayName: "GitHub Actions OIDC",
        attributeMapping: {
          "google.subject": "assertion.sub",
          "attribute.environment": "assertion.environment",
          "attribute.ref": "assertion.ref",
          "attribute.repository": "assertion.repository",
          "attribute.repository_id": "assertion.repository_id",
          "attribute.repository_owner_id": "assertion.repository_owner_id",
        },
        attributeCondition: githubAttributeCondition(
          args.repositoryId,
          args.repositoryOwnerId,
          args.bindEnvironments ? principals.map((p) => p.environment) : [],
        ),
        oidc: { issuerUri: GITHUB_OIDC_ISSUER },
      },
      { parent: this },
    );
    this.workloadIdentityProvider = provider.name;

    const deployer = this.principal(`${name}-deployer`, args, args.deployer, pool);
    this.deployerEmail = emailOf(deployer);
    this.deployerMember = pulumi.interpolate`serviceAccount:${this.deployerEmail}`;
    const previewer = this.principal(`${name}-previewer`, args, args.previewer, pool);
    this.previewerEmail = emailOf(previewer);
    this.previewerMember = pulumi.interpolate`serviceAccount:${this.previewerEmail}`;

    if (args.createDeployerKey) {
      const key = new gcp.serviceaccount.Key(
        `${name}-deployer-key`,
        { serviceAccountId: deployer.name },
        { parent: this },
      );
      // privateKey is the base64 of the JSON key file; the auth action wants the JSON itself.
      this.deployerKeyJson = pulumi.secret(key.privateKey.apply((b64) => Buffer.from(b64, "base64").toString("utf8")));
    }

    this.registerOutputs({
      workloadIdentityProvider: this.workloadIdentityProvider,
      deployerEmail: this.deployerEmail,
      previewerEmail: this.previewerEmail,
    });
  }

  private principal(
    name: string,
    args: CiIdentityArgs,
    principal: CiPrincipalArgs,
    pool: gcp.iam.WorkloadIdentityPool,
  ): gcp.serviceaccount.Account {
    const account = new gcp.serviceaccount.Account(
      name,
      {
        project: args.project,
        accountId: principal.accountId,
        displayName: `CI (${principal.environment}) for ${args.repository}`.slice(0, 100),
        description: `Impersonated by GitHub Actions jobs of ${args.repository} in environment "${principal.environment}"`,
      },
      { parent: this },
    );
    // Only jobs of this repository (the provider's condition) running in this environment.
    new gcp.serviceaccount.IAMMember(
      `${name}-wif`,
      {
        serviceAccountId: account.name,
        role: "roles/iam.workloadIdentityUser",
        member: pulumi.interpolate`principalSet://iam.googleapis.com/${pool.name}/attribute.environment/${principal.environment}`,
      },
      { parent: this },
    );
    for (const role of [...principal.projectRoles].sort()) {
      new gcp.projects.IAMMember(
        `${name}-${roleSlug(role)}`,
        { project: args.project, role, member: account.member },
        { parent: this },
      );
    }
    if (principal.stateBucketRole && args.stateBucket) {
      new gcp.storage.BucketIAMMember(
        `${name}-state`,
        { bucket: args.stateBucket, role: principal.stateBucketRole, member: account.member },
        { parent: this },
      );
    }
    if (principal.secretsKeyRole && args.secretsKmsKey) {
      new gcp.kms.CryptoKeyIAMMember(
        `${name}-secrets`,
        { cryptoKeyId: args.secretsKmsKey, role: principal.secretsKeyRole, member: account.member },
        { parent: this },
      );
    }
    return account;
  }
}
