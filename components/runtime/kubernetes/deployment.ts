// The facilitator on Kubernetes: namespace, secret env, hardened Deployment (image by digest),
// Service, PodDisruptionBudget and NetworkPolicy. The cluster comes from the provider in `opts`.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FACILITATOR_PORT, SERVICE_PATHS } from "../../service";
import { DNS_EGRESS_PEERS, DNS_PORTS, rpcEgressPeers } from "./egress";
import { plainEnv, secretEnv, type FacilitatorEnvArgs } from "../facilitatorEnv";

export { DNS_EGRESS_PEERS, RESERVED_RANGES, rpcEgressPeers } from "./egress";

export interface FacilitatorDeploymentArgs extends FacilitatorEnvArgs {
  namespace: string;
  /** Stack name: the `app.kubernetes.io/instance` label. */
  instance: string;
  /** `repository@sha256:…` */
  imageRef: pulumi.Input<string>;
  replicas: number;
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
  /** Namespaces whose pods may call the facilitator. Empty: no ingress at all. */
  ingressNamespaces: string[];
  /**
   * Source ranges of a Google Cloud load balancer in front of the pods (its health checks and
   * proxies; components/runtime/kubernetes/publicEndpointPlan.ts), admitted on the serving port only. Empty or unset: none.
   */
  loadBalancerSourceRanges?: readonly string[];
  rpcEgressCidrs: string[];
  rpcPort: number;
}

const APP = "x402-facilitator";
const RUN_AS = 65532; // the distroless "nonroot" user the image runs as
// The service drains in-flight settlements for SHUTDOWN_GRACE_MS (25 s) after SIGTERM and exits at
// most 3 s later; preStop waits 5 s first so endpoints are removed before shutdown starts.
// 45 s leaves margin before SIGKILL.
const PRE_STOP_SECONDS = 5;
export const TERMINATION_GRACE_SECONDS = 45;

export class FacilitatorDeployment extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly deploymentName: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  /** The labels that select this deployment's pods (for scrape configs and policies). */
  public readonly podSelector: Record<string, string>;

  constructor(name: string, args: FacilitatorDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:FacilitatorDeployment", name, {}, opts);

    const selector = { "app.kubernetes.io/name": APP, "app.kubernetes.io/instance": args.instance };
    const labels = {
      ...selector,
      "app.kubernetes.io/managed-by": "pulumi",
      "app.kubernetes.io/part-of": "facilitator-deploy",
    };

    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.namespace,
          // The restricted Pod Security Standard: the cluster itself refuses a weaker pod here.
          labels: {
            ...labels,
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        },
      },
      { parent: this },
    );
    const namespace = ns.metadata.name;

    // Only the secrets this stack sets; each one reaches the container through secretKeyRef.
    const secrets = secretEnv(args);
    // Auto-named on purpose: new secret values make a new Secret name, which rolls the pods.
    const secret = new k8s.core.v1.Secret(
      `${name}-env`,
      {
        metadata: { namespace, labels },
        type: "Opaque",
        stringData: Object.fromEntries(Object.entries(secrets).sort(([a], [b]) => a.localeCompare(b))),
      },
      { parent: this },
    );
    const fromSecret = (key: string): k8s.types.input.core.v1.EnvVar => ({
      name: key,
      valueFrom: { secretKeyRef: { name: secret.metadata.name, key } },
    });

    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: "facilitator", namespace, labels },
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: selector },
          // Never below the desired count during a rollout: a new pod must be ready before an old one goes.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          minReadySeconds: 10,
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: RUN_AS,
                runAsGroup: RUN_AS,
                fsGroup: RUN_AS,
                seccompProfile: { type: "RuntimeDefault" },
              },
              topologySpreadConstraints: ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map(
                (topologyKey) => ({
                  topologyKey,
                  maxSkew: 1,
                  // Prefer spreading; never block a rollout on a small cluster.
                  whenUnsatisfiable: "ScheduleAnyway",
                  labelSelector: { matchLabels: selector },
                }),
              ),
              containers: [
                {
                  name: "facilitator",
                  image: args.imageRef,
                  imagePullPolicy: "IfNotPresent",
                  ports: [{ name: "http", containerPort: FACILITATOR_PORT, protocol: "TCP" }],
                  env: [
                    ...Object.keys(secrets).map(fromSecret),
                    ...plainEnv(args).map(([envName, value]) => ({ name: envName, value })),
                  ],
                  startupProbe: {
                    httpGet: { path: SERVICE_PATHS.live, port: "http" },
                    periodSeconds: 2,
                    failureThreshold: 30,
                  },
                  livenessProbe: {
                    httpGet: { path: SERVICE_PATHS.live, port: "http" },
                    periodSeconds: 10,
                    timeoutSeconds: 3,
                    failureThreshold: 3,
                  },
                  readinessProbe: {
                    httpGet: { path: SERVICE_PATHS.ready, port: "http" },
                    periodSeconds: 5,
                    timeoutSeconds: 5,
                    failureThreshold: 3,
                  },
                  resources: {
                    requests: { cpu: args.cpuRequest, memory: args.memoryRequest },
                    limits: { cpu: args.cpuLimit, memory: args.memoryLimit },
                  },
                  securityContext: {
                    runAsNonRoot: true,
                    allowPrivilegeEscalation: false,
                    privileged: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                  },
                  lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              // The only writable path (read-only root filesystem).
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
            },
          },
        },
      },
      { parent: this },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: "facilitator", namespace, labels },
        spec: {
          type: "ClusterIP",
          selector,
          ports: [{ name: "http", port: FACILITATOR_PORT, targetPort: "http", protocol: "TCP" }],
        },
      },
      { parent: this },
    );

    if (args.replicas >= 2) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        {
          metadata: { name: "facilitator", namespace, labels },
          spec: {
            maxUnavailable: 1,
            selector: { matchLabels: selector },
            // A crash-looping pod must not block node drains.
            unhealthyPodEvictionPolicy: "AlwaysAllow",
          },
        },
        { parent: this },
      );
    }

    const loadBalancer = [...(args.loadBalancerSourceRanges ?? [])];
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata: { name: "facilitator", namespace, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress", "Egress"],
          ingress: [
            ...(args.ingressNamespaces.length === 0
              ? []
              : [
                  {
                    from: [...args.ingressNamespaces].sort().map((n) => ({
                      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
                    })),
                    ports: [{ port: FACILITATOR_PORT, protocol: "TCP" }],
                  },
                ]),
            // The load balancer reaches the pods directly (container-native, NEGs): its ranges, this port.
            ...(loadBalancer.length === 0
              ? []
              : [
                  {
                    from: loadBalancer.map((cidr) => ({ ipBlock: { cidr } })),
                    ports: [{ port: FACILITATOR_PORT, protocol: "TCP" }],
                  },
                ]),
          ],
          egress: [
            // DNS to the cluster's resolvers only (kube-dns, NodeLocal DNSCache, Cloud DNS; see
            // components/runtime/kubernetes/egress.ts), never port 53 anywhere: that would be an open channel out.
            { to: [...DNS_EGRESS_PEERS], ports: [...DNS_PORTS] },
            // The RPC, both address families, without cluster-internal or metadata ranges.
            { to: rpcEgressPeers(args.rpcEgressCidrs), ports: [{ port: args.rpcPort, protocol: "TCP" }] },
          ],
        },
      },
      { parent: this },
    );

    this.namespace = namespace;
    this.podSelector = selector;
    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    this.registerOutputs({
      namespace: this.namespace,
      deploymentName: this.deploymentName,
      serviceName: this.serviceName,
    });
  }
}
