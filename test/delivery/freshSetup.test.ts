// A fresh setup from an empty cloud project, in the documented order (the clusters first, then
// `pulumi up --stack staging`, then `--stack prod`), under a model of IAM that refuses what Google
// Cloud refuses: a policy member naming a service account that does not exist yet is a 400
// ("Service account ... does not exist"; https://cloud.google.com/iam/docs/troubleshooting-access,
// hashicorp/terraform-provider-google#4276). Also: a role two stacks grant on one resource is never
// bound authoritatively by either (an authoritative binding in one stack would remove the other's
// members on every up, and dangle when the other stack is destroyed).
import { describe, expect, it } from "vitest";
import type { RecordedResource } from "../support/mocks";
import { releasedImages, runStack } from "../support/stack";

/** Created before any stack: each cluster's node service account (setup step 1). */
const PRE_EXISTING = [
  "gke-nodes@x402-facilitator-staging.iam.gserviceaccount.com",
  "gke-nodes@x402-facilitator-prod.iam.gserviceaccount.com",
];
const ORDER = ["staging", "prod"] as const;
const AUTHORITATIVE = /Iam(Binding|Policy)|IAM(Binding|Policy)/;

/** Every `serviceAccount:` member an IAM resource of this run names. */
function namedServiceAccounts(resource: RecordedResource): string[] {
  const members = [resource.inputs["member"], ...((resource.inputs["members"] as unknown[] | undefined) ?? [])];
  return members
    .filter((m): m is string => typeof m === "string" && m.startsWith("serviceAccount:"))
    .map((m) => m.slice("serviceAccount:".length));
}

function createdAccounts(resources: RecordedResource[]): string[] {
  return resources.filter((r) => r.type === "gcp:serviceaccount/account:Account").map((r) => String(r.state["email"]));
}

/** What an IAM grant is on: the resource (repository, bucket, key, project, account) and the role. */
function grantTarget(resource: RecordedResource): string {
  const i = resource.inputs;
  const on = [i["project"], i["location"], i["repository"], i["bucket"], i["cryptoKeyId"], i["serviceAccountId"]]
    .filter((v) => v !== undefined)
    .join("/");
  return `${resource.type.split(":")[1]?.split("/")[0]} ${on} ${String(i["role"])}`;
}

async function runInOrder() {
  const runs = [];
  for (const stack of ORDER) runs.push({ stack, run: await runStack({ stack, registry: releasedImages(["v1.2.3"]) }) });
  return runs;
}

describe("fresh setup in the documented order", () => {
  it("no stack names a service account that does not exist yet (staging before prod exists; prod after)", async () => {
    const exists = new Set(PRE_EXISTING);
    for (const { stack, run } of await runInOrder()) {
      const mine = createdAccounts(run.resources);
      for (const account of mine) exists.add(account);
      const missing = run.resources.flatMap((r) =>
        namedServiceAccounts(r)
          .filter((a) => !exists.has(a))
          .map((a) => `${stack}: ${r.name} names ${a}`),
      );
      expect(missing).toEqual([]);
    }
  });

  it("destroying prod leaves nothing of prod's in staging: staging's next up names no prod identity", async () => {
    const [staging, prod] = await runInOrder();
    const prodAccounts = new Set(createdAccounts(prod!.run.resources));
    expect(staging!.run.resources.flatMap(namedServiceAccounts).filter((a) => prodAccounts.has(a))).toEqual([]);
  });

  it("a role both stacks grant on one resource is granted member by member by each, never bound authoritatively", async () => {
    const runs = await runInOrder();
    const iam = (run: (typeof runs)[number]) =>
      run.run.resources.filter((r) => namedServiceAccounts(r).length > 0 || /IAM|Iam/.test(r.type));
    const targets = runs.map((r) => new Map(iam(r).map((res) => [grantTarget(res), res])));
    const shared = [...targets[0]!.keys()].filter((t) => targets[1]!.has(t));
    expect(shared.length).toBeGreaterThan(0); // staging's repository: both stacks grant roles/artifactregistry.reader
    for (const target of shared) {
      for (const byStack of targets) expect(byStack.get(target)!.type, target).not.toMatch(AUTHORITATIVE);
    }
  });

  it("a stack file naming another stack's CI identity is refused with the fix", async () => {
    const foreign = "serviceAccount:ci-deploy-prod@x402-facilitator-prod.iam.gserviceaccount.com";
    await expect(
      runStack({
        stack: "staging",
        config: {
          registryReaders: JSON.stringify([
            "serviceAccount:gke-nodes@x402-facilitator-staging.iam.gserviceaccount.com",
            foreign,
          ]),
        },
      }),
    ).rejects.toThrow(
      /facilitator:registryReaders: .*ci-deploy-prod@x402-facilitator-prod\.iam\.gserviceaccount\.com is created by stack prod.*remove it from Pulumi\.staging\.yaml's facilitator:registryReaders/s,
    );
  });
});
