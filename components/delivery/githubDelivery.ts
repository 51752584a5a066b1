import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { CiIdentity } from "./ciIdentity";
import { GithubEnvironment } from "./githubEnvironment";
import { RELEASE_TAG_PATTERN, ReleaseTagRulesets } from "./releaseTags";

export interface GithubDeliveryArgs {
  /** Pulumi stack name; names the CI service accounts (`ci-deploy-<stack>`, `ci-preview-<stack>`). */
  stack: string;
  /** `owner/name` of the GitHub repository. */
  repository: string;
  repositoryId: number;
  ownerId: number;
  /** GitHub environment of the deploy job (`staging`, `production`); previews use `<environment>-preview`. */
  environment: string;
  reviewerUsers: number[];
  reviewerTeams: number[];
  /** Previews decrypt the stack's secrets: with this set, a reviewer must approve each preview run too. */
  reviewPreviews: boolean;
  /** Refs that may deploy: branch and tag patterns. Both empty: any ref. */
  deployBranches: string[];
  deployTags: string[];
  /**
   * Whether this stack provisions the repository's release-tag rulesets. The repository is shared
   * by every stack, so exactly one owns them (facilitator:githubReleaseTagsOwner).
   */
  ownsReleaseTagRulesets: boolean;
  /** GCP project of the workload identity pool and the CI service accounts. */
  ciProject: string;
  poolId: string;
  deployerRoles: string[];
  previewerRoles: string[];
  /** This stack's own GCS state bucket, if any (never shared with another stack: stateIsolation.ts). */
  stateBucket?: string;
  /** KMS key of the `gcpkms://` secrets provider, if the stacks use one. */
  secretsKmsKey?: string;
  /** Opt-in fallback: a deployer key as the environment secret GCP_CREDENTIALS_JSON. */
  serviceAccountKey: boolean;
  /** Published to the workflows so they can fetch a kubeconfig and log in to the state backend. */
  gkeCluster?: string;
  gkeLocation?: string;
  backendUrl?: string;
}

/** The Actions variables every job of the stack's environments reads, besides its own service account. */
export function sharedVariables(
  args: GithubDeliveryArgs,
  provider: pulumi.Input<string>,
): Record<string, pulumi.Input<string>> {
  const optional: [string, string | undefined][] = [
    ["GKE_CLUSTER", args.gkeCluster],
    ["GKE_LOCATION", args.gkeLocation],
    ["PULUMI_BACKEND_URL", args.backendUrl],
  ];
  return {
    GCP_PROJECT: args.ciProject,
    GCP_WORKLOAD_IDENTITY_PROVIDER: provider,
    ...Object.fromEntries(
      optional.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""),
    ),
  };
}

/**
 * Delivery of one stack through GitHub Actions: its keyless CI identity (deployer + read-only
 * previewer) and the two GitHub environments whose jobs may use them, with the variables the
 * workflows read. Production-grade protection comes from the args: reviewers, tag-only refs, and
 * on the owning stack the release-tag rulesets.
 */
export class GithubDelivery extends pulumi.ComponentResource {
  public readonly workloadIdentityProvider: pulumi.Output<string>;
  /** `serviceAccount:<email>` of the deploy job: give it registry write where this stack builds. */
  public readonly deployerMember: pulumi.Output<string>;
  /** `serviceAccount:<email>` of the preview job: registry read. */
  public readonly previewerMember: pulumi.Output<string>;

  constructor(name: string, args: GithubDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:GithubDelivery", name, {}, opts);
    const previewEnvironment = `${args.environment}-preview`;
    const [owner, repositoryName] = args.repository.split("/");

    const stateRoles = args.stateBucket
      ? { deployer: "roles/storage.objectUser", previewer: "roles/storage.objectViewer" }
      : undefined;
    const keyRoles = args.secretsKmsKey
      ? { deployer: "roles/cloudkms.cryptoKeyEncrypterDecrypter", previewer: "roles/cloudkms.cryptoKeyDecrypter" }
      : undefined;
    const ci = new CiIdentity(
      `${name}-ci`,
      {
        project: args.ciProject,
        poolId: args.poolId,
        providerId: "github",
        repository: args.repository,
        repositoryId: args.repositoryId,
        repositoryOwnerId: args.ownerId,
        // Every job that authenticates runs in one of the two environments, so bind both.
        bindEnvironments: true,
        deployer: {
          accountId: `ci-deploy-${args.stack}`,
          environment: args.environment,
          projectRoles: args.deployerRoles,
          stateBucketRole: stateRoles?.deployer,
          secretsKeyRole: keyRoles?.deployer,
        },
        previewer: {
          accountId: `ci-preview-${args.stack}`,
          environment: previewEnvironment,
          projectRoles: args.previewerRoles,
          stateBucketRole: stateRoles?.previewer,
          secretsKeyRole: keyRoles?.previewer,
        },
        stateBucket: args.stateBucket,
        secretsKmsKey: args.secretsKmsKey,
        createDeployerKey: args.serviceAccountKey,
      },
      { parent: this },
    );

    // Owner from the repository; the token comes from GITHUB_TOKEN (an admin token for operator runs).
    const provider = new github.Provider(`${name}-github`, { owner }, { parent: this });
    const shared = sharedVariables(args, ci.workloadIdentityProvider);
    const reviewers = { users: args.reviewerUsers, teams: args.reviewerTeams };
    const hasReviewers = args.reviewerUsers.length + args.reviewerTeams.length > 0;
    const refs =
      args.deployBranches.length + args.deployTags.length > 0
        ? { branches: args.deployBranches, tags: args.deployTags }
        : undefined;

    new GithubEnvironment(
      `${name}-deploy`,
      {
        repository: repositoryName,
        environment: args.environment,
        reviewers,
        preventSelfReview: true,
        canAdminsBypass: hasReviewers ? false : undefined,
        deploymentPolicy: refs,
        variables: { ...shared, GCP_SERVICE_ACCOUNT: ci.deployerEmail },
        secrets: ci.deployerKeyJson ? { GCP_CREDENTIALS_JSON: ci.deployerKeyJson } : undefined,
      },
      { parent: this, providers: [provider] },
    );
    new GithubEnvironment(
      `${name}-preview`,
      {
        repository: repositoryName,
        environment: previewEnvironment,
        reviewers: args.reviewPreviews ? reviewers : undefined,
        preventSelfReview: true,
        canAdminsBypass: args.reviewPreviews && hasReviewers ? false : undefined,
        variables: { ...shared, GCP_SERVICE_ACCOUNT: ci.previewerEmail },
      },
      { parent: this, providers: [provider] },
    );

    if (args.ownsReleaseTagRulesets) {
      new ReleaseTagRulesets(
        `${name}-release-tags`,
        { repository: repositoryName, tagPatterns: [RELEASE_TAG_PATTERN, ...args.deployTags] },
        { parent: this, providers: [provider] },
      );
    }

    this.workloadIdentityProvider = ci.workloadIdentityProvider;
    this.deployerMember = ci.deployerMember;
    this.previewerMember = ci.previewerMember;
    this.registerOutputs({
      workloadIdentityProvider: this.workloadIdentityProvider,
      deployerMember: this.deployerMember,
      previewerMember: this.previewerMember,
    });
  }
}
