// Pulumi state per stack: every grant the program makes on Cloud Storage is on the stack's own state
// bucket (the bucket its workflows log in to), and no stack's bucket holds another stack's state.
// So staging's CI identities cannot reach prod's state, nor the reverse. A bucket-level role covers
// every object in the bucket (https://cloud.google.com/storage/docs/access-control/iam), hence
// "one bucket per stack" rather than prefixes (components/delivery/stateIsolation.ts explains the choice).
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../components/config/configReader";
import { parseConfig } from "../../../components/config/config";
import { bucketOfBackendUrl, reachesEveryBucket } from "../../../components/delivery/stateIsolation";
import { committedStacks, configOf, runCommittedStack } from "../../policy/committedStacks";
import type { RecordedResource } from "../../support/mocks";
import { stackConfig, type StackRunOptions } from "../../support/stack";

const MANAGED = committedStacks().filter((stack) => configOf(stack, "githubManage") === "true");
const PROJECT_GRANT = /^gcp:projects\/iAM(Member|Binding|Policy):/;

/** Where a stack's state lives: the bucket of the backend its workflows log in to. */
function stateBucketOf(stack: string): string {
  const bucket = bucketOfBackendUrl(configOf(stack, "ciBackendUrl"));
  if (bucket === undefined) throw new Error(`Pulumi.${stack}.yaml has no gs:// facilitator:ciBackendUrl`);
  return bucket;
}

/** Every access grant on Cloud Storage: IAM on buckets/managed folders and ACLs (anything but the bucket and its objects). */
function storageGrants(resources: RecordedResource[]): RecordedResource[] {
  return resources.filter(
    (r) =>
      r.type.startsWith("gcp:storage/") && !/^gcp:storage\/(bucket:Bucket|bucketObject:BucketObject)$/.test(r.type),
  );
}

function members(grant: RecordedResource): string[] {
  const { member, members: list } = grant.inputs as { member?: string; members?: string[] };
  return [...(member !== undefined ? [member] : []), ...(list ?? [])];
}

function problems(options: StackRunOptions): string[] {
  const { values, secretKeys } = stackConfig(options);
  try {
    parseConfig(options.stack, values, secretKeys);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe("state per stack in the committed stacks", () => {
  it("at least staging and prod manage CI identities, each with a gs:// backend of its own", () => {
    expect(MANAGED).toEqual(expect.arrayContaining(["prod", "staging"]));
    const buckets = MANAGED.map(stateBucketOf);
    expect(new Set(buckets).size).toBe(buckets.length);
    for (const stack of MANAGED) expect(configOf(stack, "ciStateBucket"), stack).toBe(stateBucketOf(stack));
  });

  it.each(MANAGED)("%s: every storage grant is on its own state bucket, none on another stack's", async (stack) => {
    const run = await runCommittedStack(stack);
    const grants = storageGrants(run.resources);
    expect(grants.length).toBeGreaterThan(0); // the deployer's and the previewer's
    const others = MANAGED.filter((s) => s !== stack).map(stateBucketOf);
    for (const grant of grants) {
      const bucket = String(grant.inputs["bucket"]);
      expect(bucket, `${grant.type} ${grant.name}`).toBe(stateBucketOf(stack));
      expect(others).not.toContain(bucket);
    }
    // And no project-wide role that reaches every bucket of the CI project.
    const wide = run.resources.filter(
      (r) => PROJECT_GRANT.test(r.type) && reachesEveryBucket(String(r.inputs["role"])),
    );
    expect(wide.map((r) => r.inputs["role"])).toEqual([]);
  });

  it("staging's CI identities reach none of prod's state, and prod's none of staging's", async () => {
    const reachable = async (stack: string) =>
      storageGrants((await runCommittedStack(stack)).resources)
        .filter((grant) =>
          members(grant).some((m) => m.includes(`ci-deploy-${stack}@`) || m.includes(`ci-preview-${stack}@`)),
        )
        .map((grant) => String(grant.inputs["bucket"]));
    expect(await reachable("staging")).not.toContain(stateBucketOf("prod"));
    expect(await reachable("prod")).not.toContain(stateBucketOf("staging"));
    expect(await reachable("staging")).toContain(stateBucketOf("staging"));
  });
});

describe("config validation refuses a state grant that would cover another stack's state", () => {
  it("another stack's bucket (and its backend)", () => {
    const prodBucket = stateBucketOf("prod");
    const found = problems({
      stack: "staging",
      config: { ciStateBucket: prodBucket, ciBackendUrl: `gs://${prodBucket}` },
    });
    expect(found).toEqual([
      expect.stringContaining(
        `facilitator:ciStateBucket: expected a bucket that holds only stack staging's state, its name ending in "-staging"; got "${prodBucket}"`,
      ),
    ]);
    expect(found[0]).toMatch(/would let staging's CI read and write that stack's state/);
    expect(found[0]).toContain(
      `Fix: gcloud storage buckets create gs://${prodBucket}-staging --uniform-bucket-level-access;`,
    );
    expect(found[0]).toContain(`pulumi config set --stack staging facilitator:ciStateBucket ${prodBucket}-staging`);
  });

  it("one bucket shared by the stacks (the layout before this change)", () => {
    for (const stack of ["staging", "prod"]) {
      const found = problems({
        stack,
        config: { ciStateBucket: "x402-facilitator-pulumi-state", ciBackendUrl: "gs://x402-facilitator-pulumi-state" },
      });
      expect(found).toEqual([
        expect.stringContaining(
          `got "x402-facilitator-pulumi-state": the CI identities get a role on the whole bucket`,
        ),
      ]);
      expect(found[0]).toContain(`facilitator:ciStateBucket x402-facilitator-pulumi-state-${stack}`);
    }
  });

  it("a backend URL in another bucket than the one granted", () => {
    expect(problems({ stack: "prod", config: { ciBackendUrl: "gs://x402-facilitator-pulumi-state" } })).toEqual([
      expect.stringMatching(
        /^facilitator:ciBackendUrl: expected gs:\/\/x402-facilitator-pulumi-state-prod, the bucket facilitator:ciStateBucket grants; got "gs:\/\/x402-facilitator-pulumi-state"/,
      ),
    ]);
  });

  it.each(["roles/storage.objectViewer", "roles/storage.admin", "roles/editor", "roles/viewer"])(
    "a project-wide %s for a CI identity",
    (role) => {
      expect(
        problems({ stack: "staging", config: { ciPreviewerRoles: JSON.stringify(["roles/container.viewer", role]) } }),
      ).toEqual([
        expect.stringContaining(
          `facilitator:ciPreviewerRoles: expected a list of IAM roles that reach no Cloud Storage bucket; ${role} on the CI project reaches every bucket there`,
        ),
      ]);
    },
  );

  it("the committed stacks pass", () => {
    for (const stack of committedStacks()) expect(problems({ stack }), stack).toEqual([]);
  });
});
