// Delivery through GitHub Actions: a stack's GitHub environments, its keyless CI identity, the
// release-tag rulesets, and the rule that keeps each stack's state in a bucket of its own.
export { GithubDelivery } from "./githubDelivery";
export type { GithubDeliveryArgs } from "./githubDelivery";
export { GithubEnvironment } from "./githubEnvironment";
export type { DeploymentRefPolicy, GithubEnvironmentArgs } from "./githubEnvironment";
export { CiIdentity } from "./ciIdentity";
export type { CiIdentityArgs, CiPrincipalArgs } from "./ciIdentity";
export { RELEASE_TAG_PATTERN, ReleaseTagRulesets } from "./releaseTags";
export type { ReleaseTagRulesetsArgs } from "./releaseTags";
export { bucketNamesStack, bucketOfBackendUrl, reachesEveryBucket, stackStateBucketName } from "./stateIsolation";
