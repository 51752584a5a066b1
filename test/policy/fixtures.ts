// Resources as the policy engine sees them, built by hand: each starts compliant and a test
// breaks exactly one thing. Type tokens are the real SDKs' (`__pulumiType`), so a token that
// drifted from the SDK would make the "failing" tests pass silently and the suite fail.
import type { ResourceUnderTest } from "../../policy/run";
import { urnOf } from "../../policy/run";
import type { Container, PodSpec } from "../../policy/workloads";

export const DIGEST = "sha256:5f1c0ad0c3bd4a8f4b8e4e0e7c1c2f6f1e2d3c4b5a69788796a5b4c3d2e1f0a9";
export const IMAGE_BY_DIGEST = `europe-west1-docker.pkg.dev/facilitator-staging/facilitator/facilitator@${DIGEST}`;

export function resource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  stack = "staging",
): ResourceUnderTest {
  return { type, name, props, urn: urnOf(stack, type, name) };
}

export function hardenedContainer(): Container {
  return {
    name: "facilitator",
    image: IMAGE_BY_DIGEST,
    ports: [{ name: "http", containerPort: 5401 }],
    env: [
      { name: "PORT", value: "5401" },
      { name: "AMOY_USDC_ADDRESS", value: "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582" },
      { name: "REAL_SETTLE", value: "false" },
      {
        name: "FACILITATOR_PRIVATE_KEY",
        valueFrom: { secretKeyRef: { name: "facilitator-env-1a2b3c", key: "FACILITATOR_PRIVATE_KEY" } },
      },
      { name: "AMOY_RPC_URL", valueFrom: { secretKeyRef: { name: "facilitator-env-1a2b3c", key: "AMOY_RPC_URL" } } },
    ],
    securityContext: {
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
  };
}

export function hardenedPodSpec(): PodSpec {
  return {
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [hardenedContainer()],
    volumes: [{ name: "tmp", emptyDir: {} }],
  };
}

const labels = { "app.kubernetes.io/name": "facilitator" };

/** A compliant Deployment; `edit` breaks what a test is about. */
export function deployment(
  edit: (pod: PodSpec) => void = () => {},
  options: { replicas?: number; stack?: string; namespace?: string } = {},
): ResourceUnderTest {
  const pod = hardenedPodSpec();
  edit(pod);
  return resource(
    "kubernetes:apps/v1:Deployment",
    "facilitator",
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { namespace: options.namespace ?? "facilitator" },
      spec: {
        replicas: options.replicas ?? 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: pod },
      },
    },
    options.stack,
  );
}

export function pdb(
  spec: Record<string, unknown> = { minAvailable: 1 },
  options: { stack?: string; namespace?: string } = {},
): ResourceUnderTest {
  return resource(
    "kubernetes:policy/v1:PodDisruptionBudget",
    "facilitator",
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { namespace: options.namespace ?? "facilitator" },
      spec: { selector: { matchLabels: labels }, ...spec },
    },
    options.stack,
  );
}

/** The main container of a pod spec built by `hardenedPodSpec` (always present). */
export function main(pod: PodSpec): Container {
  const container = pod.containers[0];
  if (!container) throw new Error("fixture pod has no container");
  return container;
}

/** A hardened `@pulumi/docker` Container (a local docker target). */
export function dockerContainer(edit: (props: Record<string, unknown>) => void = () => {}): ResourceUnderTest {
  const props: Record<string, unknown> = {
    image: IMAGE_BY_DIGEST,
    user: "65532:65532",
    readOnly: true,
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    envs: ["PORT=5401", "REAL_SETTLE=false", "AMOY_USDC_ADDRESS=0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582"],
    tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
  };
  edit(props);
  return resource("docker:index/container:Container", "facilitator", props);
}
