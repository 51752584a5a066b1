// The Kubernetes deployment component under mocks: every property the issue lists.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { FACILITATOR_PORT, SHUTDOWN_EXIT_MARGIN_MS, SHUTDOWN_GRACE_MS } from "../../../../components/service/contract";
import {
  DNS_EGRESS_PEERS,
  FacilitatorDeployment,
  TERMINATION_GRACE_SECONDS,
  rpcEgressPeers,
  type FacilitatorDeploymentArgs,
} from "../../../../components/runtime/kubernetes/deployment";
import { ANVIL_DEV_KEY_0, ANVIL_DEV_KEY_POOL, FAKE_RPC_URL, fakeDigest } from "../../../support/fakes";
import type { RecordedResource } from "../../../support/mocks";
import { runProgram, type ProgramRun } from "../../../support/program";

const IMAGE_REF = `europe-west1-docker.pkg.dev/p/facilitator/x402-facilitator-amoy@${fakeDigest("v1.2.3")}`;
const args: FacilitatorDeploymentArgs = {
  namespace: "facilitator-test",
  instance: "test",
  imageRef: IMAGE_REF,
  replicas: 2,
  privateKey: pulumi.secret(ANVIL_DEV_KEY_0), // anvil dev key
  rpcUrl: pulumi.secret(FAKE_RPC_URL),
  usdcAddress: "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582",
  realSettle: false,
  cpuRequest: "250m",
  cpuLimit: "1",
  memoryRequest: "256Mi",
  memoryLimit: "512Mi",
  ingressNamespaces: ["ingress-nginx", "gmp-system"],
  rpcEgressCidrs: ["0.0.0.0/0"],
  rpcPort: 443,
};

function deploy(overrides: Partial<FacilitatorDeploymentArgs> = {}): Promise<ProgramRun> {
  return runProgram(() => {
    const provider = new k8s.Provider("cluster", { context: "test-context" });
    const app = new FacilitatorDeployment("facilitator", { ...args, ...overrides }, { providers: [provider] });
    return { namespace: app.namespace, deploymentName: app.deploymentName, serviceName: app.serviceName };
  });
}

type Obj = Record<string, unknown>;
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v === undefined || v === null ? undefined : (v as Obj)[k as string]), value);
const podSpec = (d: RecordedResource): Obj => at(d.inputs, "spec", "template", "spec") as Obj;
const container = (d: RecordedResource): Obj => at(podSpec(d), "containers", 0) as Obj;

describe("FacilitatorDeployment", () => {
  it("every child is parented to the component and deployed through the given cluster provider", async () => {
    const run = await deploy();
    const component = run.one("facilitator:index:FacilitatorDeployment");
    const children = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(children.map((r) => r.type).sort()).toEqual([
      "kubernetes:apps/v1:Deployment",
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:Secret",
      "kubernetes:core/v1:Service",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "kubernetes:policy/v1:PodDisruptionBudget",
    ]);
    for (const child of children) {
      expect(child.parent, child.type).toBe(component.urn);
      expect(child.provider, child.type).toMatch(/::pulumi:providers:kubernetes::cluster::/);
    }
    expect(run.outputs).toEqual({
      namespace: "facilitator-test",
      deploymentName: "facilitator",
      serviceName: "facilitator",
    });
  });

  it("a namespace per stack that enforces the restricted Pod Security Standard", async () => {
    const ns = (await deploy()).one("kubernetes:core/v1:Namespace");
    expect(at(ns.inputs, "metadata", "name")).toBe("facilitator-test");
    expect(at(ns.inputs, "metadata", "labels")).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
  });

  it("the secrets live in an auto-named Secret, marked secret, with exactly the two keys", async () => {
    const run = await deploy();
    const secret = run.one("kubernetes:core/v1:Secret");
    expect(at(secret.inputs, "metadata", "name")).toBeUndefined(); // auto-named: new values → new name → rollout
    expect(at(secret.inputs, "metadata", "namespace")).toBe("facilitator-test");
    expect(secret.inputs["stringData"]).toEqual({
      AMOY_RPC_URL: FAKE_RPC_URL,
      FACILITATOR_PRIVATE_KEY: ANVIL_DEV_KEY_0,
    });
    expect(secret.secretPaths).toEqual(["stringData"]); // encrypted in state, masked in previews
  });

  it("the container gets the secrets only through secretKeyRef, and the rest as plain env", async () => {
    const run = await deploy();
    const secretName = at(run.one("kubernetes:core/v1:Secret").state, "metadata", "name");
    const d = run.one("kubernetes:apps/v1:Deployment");
    expect(container(d)["env"]).toEqual([
      {
        name: "FACILITATOR_PRIVATE_KEY",
        valueFrom: { secretKeyRef: { name: secretName, key: "FACILITATOR_PRIVATE_KEY" } },
      },
      { name: "AMOY_RPC_URL", valueFrom: { secretKeyRef: { name: secretName, key: "AMOY_RPC_URL" } } },
      { name: "AMOY_USDC_ADDRESS", value: "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582" },
      { name: "REAL_SETTLE", value: "false" },
      { name: "PORT", value: "5401" },
      { name: "SHUTDOWN_GRACE_MS", value: "25000" },
    ]);
    for (const r of run.resources.filter((x) => x.type !== "kubernetes:core/v1:Secret")) {
      expect(JSON.stringify(r.inputs), r.type).not.toContain(ANVIL_DEV_KEY_0.slice(2));
      expect(JSON.stringify(r.inputs), r.type).not.toContain("fake-rpc-token");
    }
  });

  it("a signer pool, API keys and a balance floor: the secrets through secretKeyRef only, the floor as plain env", async () => {
    const pool = ANVIL_DEV_KEY_POOL;
    const apiKeys = "fake-api-key-0123456789abcdef";
    const { privateKey: _single, ...poolArgs } = args;
    const run = await runProgram(() => {
      const provider = new k8s.Provider("cluster", { context: "test-context" });
      const options = {
        signerKeys: pulumi.secret(pool),
        apiKeys: pulumi.secret(apiKeys),
        minSignerBalanceWei: "50000000000000000",
      };
      const app = new FacilitatorDeployment("facilitator", { ...poolArgs, ...options }, { providers: [provider] });
      return { namespace: app.namespace };
    });
    const secret = run.one("kubernetes:core/v1:Secret");
    expect(secret.inputs["stringData"]).toEqual({
      AMOY_RPC_URL: FAKE_RPC_URL,
      FACILITATOR_API_KEYS: apiKeys,
      FACILITATOR_PRIVATE_KEYS: pool,
    });
    expect(secret.secretPaths).toEqual(["stringData"]);
    const secretName = at(secret.state, "metadata", "name");
    expect(container(run.one("kubernetes:apps/v1:Deployment"))["env"]).toEqual([
      {
        name: "FACILITATOR_PRIVATE_KEYS",
        valueFrom: { secretKeyRef: { name: secretName, key: "FACILITATOR_PRIVATE_KEYS" } },
      },
      { name: "AMOY_RPC_URL", valueFrom: { secretKeyRef: { name: secretName, key: "AMOY_RPC_URL" } } },
      { name: "FACILITATOR_API_KEYS", valueFrom: { secretKeyRef: { name: secretName, key: "FACILITATOR_API_KEYS" } } },
      { name: "AMOY_USDC_ADDRESS", value: "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582" },
      { name: "REAL_SETTLE", value: "false" },
      { name: "PORT", value: "5401" },
      { name: "SHUTDOWN_GRACE_MS", value: "25000" },
      { name: "MIN_SIGNER_BALANCE_WEI", value: "50000000000000000" },
    ]);
    for (const r of run.resources.filter((x) => x.type !== "kubernetes:core/v1:Secret")) {
      expect(JSON.stringify(r.inputs), r.type).not.toMatch(/59c6995e998f97a5|5de4111afa1a4b94|fake-api-key/);
    }
  });

  it("a changed secret value gives the Secret a new name, which rolls the pods", async () => {
    const before = await deploy();
    const after = await deploy({ rpcUrl: pulumi.secret("https://rpc-amoy.example.invalid/v2/rotated-token") });
    const ref = (run: ProgramRun) =>
      at(container(run.one("kubernetes:apps/v1:Deployment")), "env", 1, "valueFrom", "secretKeyRef", "name");
    expect(ref(after)).not.toBe(ref(before));
  });

  it("the image by digest, replicas, and a rollout that never goes below the desired count", async () => {
    const d = (await deploy()).one("kubernetes:apps/v1:Deployment");
    expect(container(d)["image"]).toBe(IMAGE_REF);
    expect(at(d.inputs, "spec", "replicas")).toBe(2);
    expect(at(d.inputs, "spec", "strategy")).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(at(d.inputs, "spec", "selector", "matchLabels")).toEqual({
      "app.kubernetes.io/name": "x402-facilitator",
      "app.kubernetes.io/instance": "test",
    });
    expect(at(d.inputs, "spec", "template", "metadata", "labels")).toMatchObject(
      at(d.inputs, "spec", "selector", "matchLabels") as Obj,
    );
  });

  it("readiness on /readyz, liveness on /healthz, on the facilitator's port", async () => {
    const c = container((await deploy()).one("kubernetes:apps/v1:Deployment"));
    expect(c["ports"]).toEqual([{ name: "http", containerPort: FACILITATOR_PORT, protocol: "TCP" }]);
    expect(at(c, "readinessProbe", "httpGet")).toEqual({ path: "/readyz", port: "http" });
    expect(at(c, "livenessProbe", "httpGet")).toEqual({ path: "/healthz", port: "http" });
    expect(at(c, "startupProbe", "httpGet")).toEqual({ path: "/healthz", port: "http" });
  });

  it("CPU/memory requests and limits", async () => {
    const c = container((await deploy()).one("kubernetes:apps/v1:Deployment"));
    expect(c["resources"]).toEqual({
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "1", memory: "512Mi" },
    });
  });

  it("pod security: non-root 65532, read-only root, no escalation, drop ALL, RuntimeDefault seccomp, no token, /tmp emptyDir", async () => {
    const d = (await deploy()).one("kubernetes:apps/v1:Deployment");
    const pod = podSpec(d);
    expect(pod["automountServiceAccountToken"]).toBe(false);
    expect(pod["securityContext"]).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container(d)["securityContext"]).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container(d)["volumeMounts"]).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(pod["volumes"]).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
  });

  it("termination grace covers the preStop pause plus the service's 25 s shutdown grace", async () => {
    const d = (await deploy()).one("kubernetes:apps/v1:Deployment");
    const preStop = at(container(d), "lifecycle", "preStop", "sleep", "seconds") as number;
    expect(podSpec(d)["terminationGracePeriodSeconds"]).toBe(TERMINATION_GRACE_SECONDS);
    expect(TERMINATION_GRACE_SECONDS).toBeGreaterThan(preStop + 25);
    // The grace the pod is given (SHUTDOWN_GRACE_MS) plus the service's forced-exit margin fit before SIGKILL.
    const env = container(d)["env"] as Obj[];
    const graceMs = Number(env.find((e) => e["name"] === "SHUTDOWN_GRACE_MS")?.["value"]);
    expect(graceMs).toBe(SHUTDOWN_GRACE_MS);
    expect(TERMINATION_GRACE_SECONDS * 1000).toBeGreaterThan(preStop * 1000 + graceMs + SHUTDOWN_EXIT_MARGIN_MS);
  });

  it("spreads pods across zones and nodes", async () => {
    const spread = podSpec((await deploy()).one("kubernetes:apps/v1:Deployment"))["topologySpreadConstraints"] as Obj[];
    expect(spread.map((s) => s["topologyKey"])).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    for (const s of spread)
      expect(s).toMatchObject({ maxSkew: 1, labelSelector: { matchLabels: { "app.kubernetes.io/instance": "test" } } });
  });

  it("a ClusterIP Service on the facilitator's port", async () => {
    const svc = (await deploy()).one("kubernetes:core/v1:Service");
    expect(svc.inputs["spec"]).toEqual({
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "x402-facilitator", "app.kubernetes.io/instance": "test" },
      ports: [{ name: "http", port: 5401, targetPort: "http", protocol: "TCP" }],
    });
  });

  it("a PodDisruptionBudget only with two or more replicas", async () => {
    const pdb = (await deploy({ replicas: 3 })).one("kubernetes:policy/v1:PodDisruptionBudget");
    expect(pdb.inputs["spec"]).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" });
    expect((await deploy({ replicas: 1 })).ofType("kubernetes:policy/v1:PodDisruptionBudget")).toEqual([]);
  });

  it("NetworkPolicy: ingress on 5401 from the allowed namespaces; egress to DNS and the RPC only", async () => {
    const np = (await deploy()).one("kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(np.inputs["spec"]).toEqual({
      podSelector: {
        matchLabels: { "app.kubernetes.io/name": "x402-facilitator", "app.kubernetes.io/instance": "test" },
      },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gmp-system" } } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
          ],
          ports: [{ port: 5401, protocol: "TCP" }],
        },
      ],
      egress: [
        // the cluster's resolvers only (egress.test.ts)
        {
          to: DNS_EGRESS_PEERS,
          ports: [
            { port: 53, protocol: "UDP" },
            { port: 53, protocol: "TCP" },
          ],
        },
        { to: rpcEgressPeers(["0.0.0.0/0"]), ports: [{ port: 443, protocol: "TCP" }] },
      ],
    });
  });

  it("no allowed namespaces means no ingress at all", async () => {
    const np = (await deploy({ ingressNamespaces: [] })).one("kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(at(np.inputs, "spec", "ingress")).toEqual([]);
  });

  it("RPC egress to 'anywhere' never includes cluster-internal or metadata-server addresses, in either family", () => {
    expect(rpcEgressPeers(["0.0.0.0/0"])).toEqual([
      {
        ipBlock: {
          cidr: "0.0.0.0/0",
          except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
        },
      },
      { ipBlock: { cidr: "::/0", except: ["fc00::/7", "fe80::/10"] } },
    ]);
    expect(rpcEgressPeers(["203.0.113.0/24", "198.51.100.7/32"])).toEqual([
      { ipBlock: { cidr: "198.51.100.7/32" } },
      { ipBlock: { cidr: "203.0.113.0/24" } },
    ]);
  });
});
