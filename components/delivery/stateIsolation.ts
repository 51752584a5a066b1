// Each stack keeps its Pulumi state in a GCS bucket of its own, and its CI identities get a role on
// that bucket only. Staging's CI then cannot read or write prod's state (nor the reverse).
//
// Why a bucket per stack, not one shared bucket with IAM Conditions on object prefixes:
// - Conditions need uniform bucket-level access (without it, object ACLs grant access beside IAM)
//   and cannot be put on the legacy roles (https://cloud.google.com/storage/docs/access-control/iam#conditions,
//   https://cloud.google.com/iam/docs/conditions-overview).
// - Pulumi's DIY backend keeps each stack under several prefixes: .pulumi/stacks/<project>/<stack>.json,
//   locks/, history/ and backups/ (each under <project>/<stack>), plus the shared .pulumi/meta.yaml.
//   Taking a lock lists .pulumi/locks/… (pulumi/pulumi pkg/backend/diy/lock.go, checkForLock).
//   storage.objects.list is granted on the bucket, so it needs a separate
//   `api.getAttribute("storage.googleapis.com/objectListPrefix", "")` clause for every prefix.
// - startsWith(".pulumi/stacks/facilitator/prod") also matches a later stack `prod-eu`.
// A bucket-level grant on a bucket that holds only this stack's state has none of these gaps.
//
// The program sees only its own stack's config. So it requires the bucket's name to end in the
// stack's name: a shared bucket, or another stack's bucket, cannot pass that check for both stacks.

/** Project-wide roles that reach objects in every bucket of the CI project. */
const BUCKET_WIDE_PROJECT_ROLE = /^roles\/(owner|editor|viewer|storage\.[A-Za-z.]+)$/;

/**
 * Whether a project-level role also reaches objects in the project's buckets. This covers the
 * storage roles, and the basic roles through the legacy bucket roles of the projectOwner/Editor/Viewer
 * convenience values (https://cloud.google.com/storage/docs/access-control/iam#convenience-values).
 */
export function reachesEveryBucket(role: string): boolean {
  return BUCKET_WIDE_PROJECT_ROLE.test(role);
}

/** The bucket of a `gs://<bucket>[/<path>]` backend URL; undefined for any other backend. */
export function bucketOfBackendUrl(url: string): string | undefined {
  return /^gs:\/\/([^/]+)/.exec(url)?.[1];
}

/** Whether a bucket name says it belongs to `stack`: the stack name, or ending in `-<stack>` (or `_`/`.`). */
export function bucketNamesStack(bucket: string, stack: string): boolean {
  const name = stack.toLowerCase();
  return bucket === name || [`-${name}`, `_${name}`, `.${name}`].some((suffix) => bucket.endsWith(suffix));
}

/** A bucket name for this stack's state, derived from the one configured (for fix commands). */
export function stackStateBucketName(bucket: string, stack: string): string {
  return bucketNamesStack(bucket, stack) ? bucket : `${bucket}-${stack.toLowerCase()}`;
}
