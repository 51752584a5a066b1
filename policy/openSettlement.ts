// Open mode (no API keys) with real settlement: anyone who reaches the facilitator can have it
// broadcast settlements paid from its signer's gas. Refused on a stack reachable from outside,
// unless the stack says it accepts that (facilitator:allowOpenSettlement, which the program turns
// into a marker on the workload: the pack sees resources, not stack config).
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { SERVICE_ENV } from "../components/service";
import { stackOfUrn } from "./resources";
import {
  containersOf,
  dockerContainerOf,
  podSpecOf,
  type DockerContainer,
  type ObjectMeta,
  type PodSpec,
} from "./workloads";

/** The markers components/runtime/openSettlement.ts sets (Kubernetes annotation, docker labels). */
export const OPEN_SETTLEMENT_ANNOTATION = "x402.facilitator/open-settlement";
export const OPEN_SETTLEMENT_LABEL = "x402.facilitator.open-settlement";
export const SECRET_ENV_LABEL = "x402.facilitator.secret-env";
const ALLOWED = "allowed";
const API_KEYS_ENV = SERVICE_ENV.apiKeys;

/**
 * Resources that route traffic from outside into the stack, or give it a public name. The stack
 * runs only the facilitator, so any of them leads to it; a public hostname counts however it is
 * added (Ingress or Gateway route, managed certificate, DNS record, cloud load balancer).
 */
const ROUTES: { type: RegExp; what: string }[] = [
  { type: /^kubernetes:(networking\.k8s\.io|extensions)\/v1(beta1)?:Ingress$/, what: "an Ingress" },
  {
    type: /^kubernetes:gateway\.networking\.k8s\.io\/[^:]+:(Gateway|HTTPRoute|GRPCRoute|TLSRoute|TCPRoute|UDPRoute)$/,
    what: "a Gateway API resource",
  },
  {
    type: /^kubernetes:networking\.gke\.io\/[^:]+:(ManagedCertificate|FrontendConfig)$/,
    what: "a GKE managed certificate or frontend",
  },
  {
    type: /^gcp:compute\/(globalForwardingRule|forwardingRule|targetHttpsProxy|targetHttpProxy):/,
    what: "a Google Cloud load balancer",
  },
  { type: /^gcp:dns\/recordSet:RecordSet$/, what: "a DNS record" },
  {
    type: /^cloudflare:index\/(record|dnsRecord|tunnel|zeroTrustTunnelCloudflared\w*):/,
    what: "a Cloudflare record or tunnel",
  },
];
const EXTERNAL_SERVICE_TYPES = ["LoadBalancer", "NodePort"];

interface Facilitator {
  resource: PolicyResource;
  label: string;
  realSettle: boolean;
  apiKeys: boolean;
  allowed: boolean;
  /** Ways in that belong to the workload itself (host network, host ports, published ports). */
  exposures: string[];
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "localhost";
}

function kubernetesFacilitator(resource: PolicyResource, pod: PodSpec): Facilitator | undefined {
  const containers = containersOf(pod);
  const env = containers.flatMap(({ container }) => container.env ?? []);
  const realSettle = env.find((e) => e.name === "REAL_SETTLE");
  if (realSettle === undefined) return undefined; // not the facilitator
  const exposures = [
    ...(pod.hostNetwork === true ? ["the pod uses the node's network"] : []),
    ...containers.flatMap(({ label, container }) =>
      (container.ports ?? [])
        .filter((p) => p.hostPort !== undefined)
        .map((p) => `${label} binds host port ${p.hostPort}`),
    ),
  ];
  const annotations = (resource.props as { metadata?: ObjectMeta }).metadata?.annotations ?? {};
  return {
    resource,
    label: resource.name,
    realSettle: realSettle.value?.toLowerCase() === "true",
    apiKeys: env.some(
      (e) => e.name === API_KEYS_ENV && (e.valueFrom?.secretKeyRef !== undefined || (e.value ?? "") !== ""),
    ),
    allowed: annotations[OPEN_SETTLEMENT_ANNOTATION] === ALLOWED,
    exposures,
  };
}

function dockerFacilitator(resource: PolicyResource, container: DockerContainer): Facilitator | undefined {
  const realSettle = (container.envs ?? []).find((e) => e.startsWith("REAL_SETTLE="));
  if (realSettle === undefined) return undefined;
  const label = (key: string) => (container.labels ?? []).find((l) => l.label === key)?.value;
  const exposures =
    container.networkMode === "host"
      ? ["the container uses the host's network"]
      : (container.ports ?? [])
          .filter((p) => !isLoopback(p.ip ?? "0.0.0.0"))
          .map((p) => `port ${p.external ?? p.internal} is published on ${p.ip ?? "0.0.0.0"}`);
  return {
    resource,
    label: `docker container ${container.name ?? resource.name}`,
    realSettle: realSettle.slice("REAL_SETTLE=".length).toLowerCase() === "true",
    // Secrets travel in an uploaded env file; the label names its entries.
    apiKeys: (label(SECRET_ENV_LABEL) ?? "").split(",").includes(API_KEYS_ENV),
    allowed: label(OPEN_SETTLEMENT_LABEL) === ALLOWED,
    exposures,
  };
}

function facilitatorOf(resource: PolicyResource): Facilitator | undefined {
  const pod = podSpecOf(resource);
  if (pod) return kubernetesFacilitator(resource, pod);
  const container = dockerContainerOf(resource);
  return container ? dockerFacilitator(resource, container) : undefined;
}

/** The stack's ways in from outside that do not belong to one workload. */
export function stackRoutes(resources: PolicyResource[]): string[] {
  return resources.flatMap((r) => {
    const route = ROUTES.find(({ type }) => type.test(r.type));
    if (route) return [`${route.what} (${r.name})`];
    const serviceType =
      r.type === "kubernetes:core/v1:Service" ? (r.props as { spec?: { type?: string } }).spec?.type : undefined;
    return serviceType !== undefined && EXTERNAL_SERVICE_TYPES.includes(serviceType)
      ? [`a ${serviceType} Service (${r.name})`]
      : [];
  });
}

export const openSettlementNotExposed: StackValidationPolicy = {
  name: "open-settlement-not-exposed",
  description:
    "A facilitator that settles for real without API keys (open mode) is not reachable from outside, unless facilitator:allowOpenSettlement says so.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const routes = stackRoutes(args.resources);
    for (const facilitator of args.resources.map(facilitatorOf)) {
      if (!facilitator || !facilitator.realSettle || facilitator.apiKeys || facilitator.allowed) continue;
      const exposures = [...facilitator.exposures, ...routes];
      if (exposures.length === 0) continue;
      const stack = stackOfUrn(facilitator.resource.urn);
      reportViolation(
        `${facilitator.label} settles for real (REAL_SETTLE=true) with no API keys, and is reachable from outside: ${exposures.join("; ")}. ` +
          "Anyone who reaches it can have it broadcast settlements paid from its signer's gas. " +
          `Set API keys (pulumi config set --stack ${stack} --secret facilitator:apiKeys), or accept open settlement explicitly ` +
          `(pulumi config set --stack ${stack} facilitator:allowOpenSettlement true).`,
        facilitator.resource.urn,
      );
    }
  },
};
