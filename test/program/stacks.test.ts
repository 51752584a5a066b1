// Each committed stack file, as written, through index.ts under mocks: every property of issue 4.
import { beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policy/index";
import { runPolicies } from "../../policy/run";
import { asPolicyInput } from "../policy/committedStacks";
import { ANVIL_DEV_KEY_0, ANVIL_DEV_KEY_POOL, fakeDigest } from "../support/fakes";
import type { RecordedResource } from "../support/mocks";
import { FACILITATOR_REPOSITORY, releasedImages, runStack, type StackRun } from "../support/stack";

type Obj = Record<string, unknown>;
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v === undefined || v === null ? undefined : (v as Obj)[k as string]), value);
const container = (d: RecordedResource): Obj => at(d.inputs, "spec", "template", "spec", "containers", 0) as Obj;

const DIGEST = fakeDigest(`${FACILITATOR_REPOSITORY}:v1.2.3`);
const expectations = {
  staging: { namespace: "facilitator-staging", replicas: 1, realSettle: "false", pdb: 0, registry: 1 },
  prod: { namespace: "facilitator-prod", replicas: 2, realSettle: "true", pdb: 1, registry: 0 },
} as const;

describe.each(["staging", "prod"] as const)("Pulumi.%s.yaml", (stack) => {
  const want = expectations[stack];
  let run: StackRun;
  beforeAll(async () => {
    // v1.2.3 (the committed imageTag) is already released: both stacks resolve it, nothing is built.
    run = await runStack({ stack, registry: releasedImages(["v1.2.2", "v1.2.3"]) });
  });

  it("outputs: repository, tag, digest, ref = repository@digest, namespace; nothing secret", () => {
    expect(run.outputs).toMatchObject({
      imageRepository: FACILITATOR_REPOSITORY,
      imageTag: "v1.2.3",
      imageDigest: DIGEST,
      imageRef: `${FACILITATOR_REPOSITORY}@${DIGEST}`,
      namespace: want.namespace,
    });
    const text = JSON.stringify(run.outputs);
    expect(text).not.toContain(ANVIL_DEV_KEY_0.slice(2));
    expect(text).not.toContain("fake-rpc-token");
  });

  it("resolves the released tag in staging's registry and builds nothing", () => {
    expect(run.ofType("docker-build:index:Image")).toEqual([]);
    const lookups = run.invokes.filter((i) => i.token === "gcp:artifactregistry/getDockerImages:getDockerImages");
    expect(lookups.map((i) => i.inputs)).toEqual([
      { project: "x402-facilitator-staging", location: "europe-west1", repositoryId: "facilitator" },
    ]);
  });

  it("the Deployment runs the image by digest, never by tag", () => {
    const d = run.one("kubernetes:apps/v1:Deployment");
    expect(container(d)["image"]).toBe(`${FACILITATOR_REPOSITORY}@${DIGEST}`);
    for (const r of run.resources) expect(JSON.stringify(r.inputs), r.name).not.toMatch(/:latest\b|amoy:v\d/);
  });

  it("secrets reach the pod only through secretKeyRef to the (secret) Kubernetes Secret", () => {
    const secret = run.one("kubernetes:core/v1:Secret");
    expect(secret.secretPaths).toEqual(["stringData"]);
    expect(at(secret.inputs, "metadata", "namespace")).toBe(want.namespace);
    const env = container(run.one("kubernetes:apps/v1:Deployment"))["env"] as Obj[];
    const fromSecret = env
      .filter((e) => e["valueFrom"] !== undefined)
      .map((e) => [e["name"], at(e, "valueFrom", "secretKeyRef", "name")]);
    expect(fromSecret).toEqual([
      ["FACILITATOR_PRIVATE_KEY", at(secret.state, "metadata", "name")],
      ["AMOY_RPC_URL", at(secret.state, "metadata", "name")],
    ]);
    expect(env.find((e) => e["name"] === "REAL_SETTLE")?.["value"]).toBe(want.realSettle);
    // The service's optional settings are unset in the committed stacks: absent, so its defaults apply.
    const names = env.map((e) => e["name"]);
    for (const name of ["FACILITATOR_PRIVATE_KEYS", "FACILITATOR_API_KEYS", "MIN_SIGNER_BALANCE_WEI"])
      expect(names).not.toContain(name);
    expect(Object.keys(secret.inputs["stringData"] as Obj).sort()).toEqual(["AMOY_RPC_URL", "FACILITATOR_PRIVATE_KEY"]);
    expect(env.find((e) => e["name"] === "SHUTDOWN_GRACE_MS")?.["value"]).toBe("25000");
    for (const r of run.resources) {
      if (r.type === "kubernetes:core/v1:Secret") continue;
      // No plain input anywhere holds a secret value (components included).
      expect(JSON.stringify(r.inputs), `${r.type} ${r.name}`).not.toContain(ANVIL_DEV_KEY_0.slice(2));
      expect(JSON.stringify(r.inputs), `${r.type} ${r.name}`).not.toContain("fake-rpc-token");
    }
  });

  it("probes, resources and pod security as the security model requires (docs/architecture.md)", () => {
    const d = run.one("kubernetes:apps/v1:Deployment");
    const c = container(d);
    expect(at(c, "readinessProbe", "httpGet", "path")).toBe("/readyz");
    expect(at(c, "livenessProbe", "httpGet", "path")).toBe("/healthz");
    expect(at(c, "resources", "requests")).toBeDefined();
    expect(at(c, "resources", "limits")).toBeDefined();
    expect(c["securityContext"]).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(at(d.inputs, "spec", "template", "spec")).toMatchObject({
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
    });
  });

  it(`${want.replicas} replica(s), ${want.pdb ? "with" : "without"} a PodDisruptionBudget`, () => {
    expect(at(run.one("kubernetes:apps/v1:Deployment").inputs, "spec", "replicas")).toBe(want.replicas);
    expect(run.ofType("kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(want.pdb);
  });

  it("a Service and a NetworkPolicy in the stack's namespace, through the stack's cluster", () => {
    const app = run.one("facilitator:index:FacilitatorDeployment").urn;
    for (const type of [
      "kubernetes:core/v1:Service",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "kubernetes:apps/v1:Deployment",
    ]) {
      const r = run.ofType(type).find((x) => x.parent === app)!;
      expect(at(r.inputs, "metadata", "namespace"), type).toBe(want.namespace);
      expect(r.provider, type).toMatch(/::pulumi:providers:kubernetes::cluster::/);
    }
    const provider = run.ofType("pulumi:providers:kubernetes").find((p) => p.name === "cluster");
    expect(provider?.inputs["context"]).toBe(`gke_x402-facilitator-${stack}_europe-west1_facilitator`);
    expect(provider?.inputs["kubeconfig"]).toBeUndefined(); // the ambient kubeconfig
  });

  it(
    stack === "staging" ? "owns the registry: immutable tags, cleanup, scanning, IAM" : "does not own the registry",
    () => {
      const repos = run.ofType("gcp:artifactregistry/repository:Repository");
      expect(repos).toHaveLength(want.registry);
      if (want.registry === 0) return;
      expect(repos[0]!.inputs).toMatchObject({
        project: "x402-facilitator-staging",
        repositoryId: "facilitator",
        format: "DOCKER",
        dockerConfig: { immutableTags: true },
        vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
      });
      const roles = run
        .ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
        .map((b) => b.inputs["role"]);
      expect(roles).toEqual(expect.arrayContaining(["roles/artifactregistry.writer", "roles/artifactregistry.reader"]));
    },
  );
});

describe.each(["staging", "prod"] as const)(
  "Pulumi.%s.yaml with a signer pool, API keys and a balance floor",
  (stack) => {
    const pool = ANVIL_DEV_KEY_POOL;
    const apiKeys = "fake-api-key-0123456789abcdef";
    let run: StackRun;
    beforeAll(async () => {
      run = await runStack({
        stack,
        config: { privateKey: undefined, minSignerBalanceWei: "50000000000000000" },
        secrets: { signerKeys: pool, apiKeys },
        registry: releasedImages(["v1.2.3"]),
      });
    });

    it("the pool and the API keys reach the pod through secretKeyRef only; the floor is plain env", () => {
      const secret = run.one("kubernetes:core/v1:Secret");
      const secretName = at(secret.state, "metadata", "name");
      expect(secret.inputs["stringData"]).toMatchObject({
        FACILITATOR_PRIVATE_KEYS: pool,
        FACILITATOR_API_KEYS: apiKeys,
      });
      expect(secret.secretPaths).toEqual(["stringData"]);
      const env = container(run.one("kubernetes:apps/v1:Deployment"))["env"] as Obj[];
      const fromSecret = env
        .filter((e) => e["valueFrom"] !== undefined)
        .map((e) => [e["name"], at(e, "valueFrom", "secretKeyRef")]);
      expect(fromSecret).toEqual([
        ["FACILITATOR_PRIVATE_KEYS", { name: secretName, key: "FACILITATOR_PRIVATE_KEYS" }],
        ["AMOY_RPC_URL", { name: secretName, key: "AMOY_RPC_URL" }],
        ["FACILITATOR_API_KEYS", { name: secretName, key: "FACILITATOR_API_KEYS" }],
      ]);
      expect(env.map((e) => e["name"])).not.toContain("FACILITATOR_PRIVATE_KEY"); // the service refuses both
      expect(env).toContainEqual({ name: "MIN_SIGNER_BALANCE_WEI", value: "50000000000000000" });
      for (const r of run.resources) {
        if (r.type === "kubernetes:core/v1:Secret") continue;
        expect(JSON.stringify(r.inputs), `${r.type} ${r.name}`).not.toMatch(
          /59c6995e998f97a5|5de4111afa1a4b94|fake-api-key/,
        );
      }
      expect(JSON.stringify(run.outputs)).not.toMatch(/59c6995e998f97a5|fake-api-key/);
    });

    it("the policy pack gives zero violations", async () => {
      const violations = await runPolicies(policies, asPolicyInput(run));
      expect(violations.map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
    });
  },
);

describe("a kubeconfig from secret config", () => {
  it("configures the cluster provider with it, as a secret", async () => {
    const kubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n";
    const run = await runStack({ stack: "prod", secrets: { kubeconfig }, registry: releasedImages(["v1.2.3"]) });
    const provider = run.ofType("pulumi:providers:kubernetes").find((p) => p.name === "cluster")!;
    expect(provider.inputs["kubeconfig"]).toBe(kubeconfig);
    expect(provider.secretPaths).toContain("kubeconfig");
  });
});
