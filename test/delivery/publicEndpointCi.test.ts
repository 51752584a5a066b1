// facilitator:hostname and the CI deployer (components/delivery/ciIdentity.ts, scripts/ciPlan.mjs): the
// deployer may change the workload only, so turning a public endpoint on is an operator's `pulumi up`
// (the reserved address, the Certificate Manager certificate and map, the Cloud Armor policy are
// Google Cloud resources outside roles/container.developer), while the Kubernetes half (Gateway,
// routes, GKE policies, NetworkPolicy) is inside it. Once applied, releases and rollbacks of a
// public stack stay inside what CI may do.
// Source for roles/container.developer's reach: "access to Kubernetes API objects inside clusters"
// (https://cloud.google.com/iam/docs/roles-permissions/container), as scripts/ciPlan.mjs encodes it.
import { beforeAll, describe, expect, it } from "vitest";
import {
  classify,
  deployerGrants,
  outsideMessage,
  plannedChanges,
  type DeployerGrants,
} from "../../scripts/ciPlan.mjs";
import { planOf } from "../rehearsal/runner";
import { releasedImages, runStack, type StackRun } from "../support/stack";

const REGISTRY = releasedImages(["v1.2.2", "v1.2.3"]);
const API_KEYS = { apiKeys: "fake-api-key-0123456789abcdef" };
const PUBLIC = { hostname: "facilitator.example.com", cloudArmor: "true" };

function grantsOf(run: StackRun): DeployerGrants {
  const deployer = run
    .ofType("gcp:serviceaccount/account:Account")
    .find((a) => String(a.inputs["accountId"]).startsWith("ci-deploy-"))!;
  const member = String(deployer.state["member"]);
  const projectRoles = run
    .ofType("gcp:projects/iAMMember:IAMMember")
    .filter((m) => m.inputs["member"] === member)
    .map((m) => String(m.inputs["role"]));
  return deployerGrants({ projectRoles, registryWriter: false });
}
const changesOf = (state: StackRun, next: StackRun) => plannedChanges(planOf(state.resources, next.resources));
const described = (changes: { ops: string[]; type: string }[]) =>
  [...new Set(changes.map((c) => `${c.ops.join("+")} ${c.type}`))].sort();

describe("prod: turning the public endpoint on", () => {
  let internal: StackRun;
  let publicRun: StackRun;
  beforeAll(async () => {
    internal = await runStack({ stack: "prod", registry: REGISTRY, secrets: API_KEYS });
    publicRun = await runStack({ stack: "prod", registry: REGISTRY, secrets: API_KEYS, config: PUBLIC });
  });

  it("the Google Cloud half is outside the CI deployer's rights: an operator applies it", () => {
    const { outside } = classify(changesOf(internal, publicRun), grantsOf(internal));
    expect(described(outside)).toEqual([
      "create gcp:certificatemanager/certificate:Certificate",
      "create gcp:certificatemanager/certificateMap:CertificateMap",
      "create gcp:certificatemanager/certificateMapEntry:CertificateMapEntry",
      "create gcp:compute/globalAddress:GlobalAddress",
      "create gcp:compute/securityPolicy:SecurityPolicy",
    ]);
    const message = outsideMessage("prod", outside, grantsOf(internal));
    expect(message).toMatch(/^Stack prod: 5 planned changes are outside what the CI deployer may change/);
    expect(message).toContain("git switch main && git pull && pulumi up --stack prod");
  });

  it("the Kubernetes half is inside them (roles/container.developer)", () => {
    const { inside } = classify(changesOf(internal, publicRun), grantsOf(internal));
    expect(described(inside)).toEqual([
      "create facilitator:index:PublicEndpoint",
      "create kubernetes:gateway.networking.k8s.io/v1:Gateway",
      "create kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
      "create kubernetes:networking.gke.io/v1:GCPBackendPolicy",
      "create kubernetes:networking.gke.io/v1:HealthCheckPolicy",
      "update kubernetes:networking.k8s.io/v1:NetworkPolicy",
    ]);
  });

  it("once applied, a rollback of the public stack changes the workload only and stays inside", async () => {
    const rolledBack = await runStack({
      stack: "prod",
      registry: REGISTRY,
      secrets: API_KEYS,
      config: { ...PUBLIC, imageTag: "v1.2.2" },
    });
    const changes = changesOf(publicRun, rolledBack);
    expect(described(changes)).toEqual(["update kubernetes:apps/v1:Deployment"]);
    expect(classify(changes, grantsOf(publicRun)).outside).toEqual([]);
  });
});
