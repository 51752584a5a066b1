// Pure parts of the public HTTPS endpoint (facilitator:hostname): names, the load balancer's
// source ranges, the routed paths and the Kubernetes and Cloud Armor specs. No resources here:
// publicEndpoint.ts beside it creates them; the tests of both are
// test/components/runtime/kubernetes/publicEndpoint*.test.ts.
//
// The facts these rely on, with their sources (the tests name them too):
// - GatewayClass gke-l7-global-external-managed = the global external Application Load Balancer
//   (https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities).
// - A Gateway takes a Certificate Manager map through the annotation networking.gke.io/certmap,
//   never together with tls.certificateRefs
//   (https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway), and a reserved global
//   address as `addresses: [{type: NamedAddress, value: <name>}]`
//   (https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways).
// - Backends of the global external Application Load Balancer are reached from the health-check
//   ranges 35.191.0.0/16 and 130.211.0.0/22, and for zonal NEG backends (GKE's container-native
//   load balancing) the Google Front End proxies use the same ranges
//   (https://cloud.google.com/load-balancing/docs/firewall-rules).
// - HealthCheckPolicy and GCPBackendPolicy (networking.gke.io/v1) target a Service in their own
//   namespace; field names from https://github.com/GoogleCloudPlatform/gke-gateway-api
//   (apis/networking/v1/healthcheck_types.go, gcpbackendpolicy_types.go).
// - HTTP to HTTPS: an HTTPRoute on the HTTP listener with a RequestRedirect filter
//   (https://gateway-api.sigs.k8s.io/guides/http-redirect-rewrite).
// - Cloud Armor throttle: conformAction allow, exceedAction deny(429), enforceOnKey IP
//   (https://cloud.google.com/armor/docs/configure-rate-limiting).
import { createHash } from "node:crypto";
import { SERVICE_PATHS } from "../../service";

export const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";
export const GKE_POLICY_API_VERSION = "networking.gke.io/v1";
/** The global external Application Load Balancer (Envoy-based, "managed"). */
export const GATEWAY_CLASS = "gke-l7-global-external-managed";
export const CERTMAP_ANNOTATION = "networking.gke.io/certmap";
/** cert-manager's ingress-shim annotation: it issues the Ingress's TLS secret from this ClusterIssuer. */
export const CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer";
/** ingress-nginx: answer plain HTTP with a redirect to HTTPS (its default once TLS is set; explicit here). */
export const NGINX_SSL_REDIRECT_ANNOTATION = "nginx.ingress.kubernetes.io/ssl-redirect";

/**
 * Where the load balancer's health checks and proxies reach the pods from (IPv4: the Gateway has
 * an IPv4 address and the pods IPv4 endpoints). Nothing broader: no other source on the internet
 * reaches the pods, the load balancer in front of them does.
 */
export const GOOGLE_LB_SOURCE_RANGES: readonly string[] = ["35.191.0.0/16", "130.211.0.0/22"];

/**
 * The only paths the public endpoint routes, each matched exactly: the x402 facilitator API and
 * the liveness check (the service's contract.json names them). /metrics, /status and /readyz stay
 * inside the cluster.
 */
export const PUBLIC_PATHS: readonly string[] = [
  SERVICE_PATHS.verify,
  SERVICE_PATHS.settle,
  SERVICE_PATHS.supported,
  SERVICE_PATHS.live,
];
/** What the load balancer's health check asks (the service's liveness endpoint). */
export const HEALTH_CHECK_PATH: string = SERVICE_PATHS.live;

/**
 * Backend timeout of the load balancer. POST /settle waits up to SETTLE_TIMEOUT_MS (the service's
 * default 60 s) for the receipt; the load balancer's default of 30 s would cut it off with a 502
 * while the transaction is in flight.
 */
export const BACKEND_TIMEOUT_SEC = 90;

/** Cloud Armor counts requests per client IP over this window (a valid rateLimitThreshold interval). */
export const RATE_LIMIT_INTERVAL_SEC = 60;
export const RATE_LIMIT_PRIORITY = 1000;
/** Cloud Armor's default rule: the lowest priority, matching every source. */
export const DEFAULT_RULE_PRIORITY = 2147483647;

/** The GKE Gateway path: Google's load balancer, certificate and address (the default). */
export interface GatewayEndpoint {
  kind: "gateway";
  hostname: string;
  /** Certificate Manager DNS authorization (a CNAME) instead of load-balancer authorization. */
  dnsAuthorization: boolean;
  /** A Cloud Armor policy with a per-client-IP rate limit on the backend; unset: none. */
  cloudArmor?: { requestsPerMinute: number };
}

/** An Ingress for a controller that already runs in the cluster (facilitator:ingressClassName). */
export interface IngressEndpoint {
  kind: "ingress";
  hostname: string;
  className: string;
  /** The kubernetes.io/tls Secret the controller serves (cert-manager fills it when clusterIssuer is set). */
  tlsSecret: string;
  clusterIssuer?: string;
}

export type PublicEndpointConfig = GatewayEndpoint | IngressEndpoint;

/** The DNS records the operator creates for the endpoint. */
export interface DnsRecord {
  name: string;
  type: string;
  data: string;
}

/** A valid Compute Engine / Certificate Manager resource name: [a-z]([-a-z0-9]*[a-z0-9])?, at most 63. */
export function gcpName(text: string, maxLength = 63): string {
  let name = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-");
  if (!/^[a-z]/.test(name)) name = `f-${name}`;
  return name.slice(0, maxLength).replace(/-+$/, "");
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

export interface GcpNames {
  address: string;
  certificateMap: string;
  certificate: string;
  dnsAuthorization: string;
  certificateMapEntry: string;
  securityPolicy: string;
}

/**
 * The Google Cloud names of a stack's endpoint, deterministic (the same on every run). What depends
 * on the hostname carries a hash of it, so a new hostname creates new ones next to the old before
 * those go (Pulumi replaces create-first; a fixed name would collide).
 */
export function gcpNames(stack: string, hostname: string): GcpNames {
  const base = gcpName(`facilitator-${stack}`, 40);
  const perHost = `${base}-${shortHash(hostname)}`;
  return {
    address: base,
    certificateMap: base,
    certificate: perHost,
    dnsAuthorization: perHost,
    certificateMapEntry: perHost,
    securityPolicy: base,
  };
}

/** Kubernetes object names, in the stack's namespace. */
export const K8S_NAMES = {
  gateway: "facilitator",
  route: "facilitator",
  redirect: "facilitator-http-redirect",
  healthCheck: "facilitator",
  backendPolicy: "facilitator",
  ingress: "facilitator",
} as const;

const serviceTarget = (serviceName: string) => ({ group: "", kind: "Service", name: serviceName });

/**
 * The Gateway: HTTPS on 443 with the certificate map, HTTP on 80 only for the redirect, on the
 * reserved address. Routes attach from the same namespace only.
 */
export function gatewaySpec(addressName: string) {
  const sameNamespace = { namespaces: { from: "Same" } };
  return {
    gatewayClassName: GATEWAY_CLASS,
    addresses: [{ type: "NamedAddress", value: addressName }],
    listeners: [
      { name: "https", protocol: "HTTPS", port: 443, allowedRoutes: sameNamespace },
      { name: "http", protocol: "HTTP", port: 80, allowedRoutes: sameNamespace },
    ],
  };
}

/**
 * HTTPS → the Service, only the public paths, each matched exactly. Group, kind and weight are
 * written out as the API server's defaults, so what the program sends is what the cluster returns.
 */
export function httpsRouteSpec(hostname: string, gatewayName: string, serviceName: string, servicePort: number) {
  return {
    parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayName, sectionName: "https" }],
    hostnames: [hostname],
    rules: [
      {
        matches: PUBLIC_PATHS.map((value) => ({ path: { type: "Exact", value } })),
        backendRefs: [{ group: "", kind: "Service", name: serviceName, port: servicePort, weight: 1 }],
      },
    ],
  };
}

/** HTTP → 301 to the same URL over HTTPS, for every path; nothing is served over plain HTTP. */
export function httpRedirectRouteSpec(hostname: string, gatewayName: string) {
  return {
    parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayName, sectionName: "http" }],
    hostnames: [hostname],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix", value: "/" } }],
        filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
      },
    ],
  };
}

/** The load balancer's health check: HTTP GET /healthz on the serving port, GKE's defaults written out. */
export function healthCheckPolicySpec(serviceName: string, servicePort: number) {
  return {
    default: {
      checkIntervalSec: 5,
      timeoutSec: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      logConfig: { enabled: false },
      config: {
        type: "HTTP",
        httpHealthCheck: { portSpecification: "USE_FIXED_PORT", port: servicePort, requestPath: HEALTH_CHECK_PATH },
      },
    },
    targetRef: serviceTarget(serviceName),
  };
}

/** The backend service's settings: the settle-sized timeout and, optionally, the Cloud Armor policy. */
export function backendPolicySpec(serviceName: string, securityPolicy?: string) {
  return {
    default: { timeoutSec: BACKEND_TIMEOUT_SEC, ...(securityPolicy !== undefined ? { securityPolicy } : {}) },
    targetRef: serviceTarget(serviceName),
  };
}

/**
 * Cloud Armor rules: every client IP may send `requestsPerMinute` requests a minute, more get 429
 * at Google's edge; the default rule admits the rest. Fields as the API returns them.
 */
export function securityPolicyRules(requestsPerMinute: number) {
  const everySource = { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } };
  return [
    {
      action: "throttle",
      priority: RATE_LIMIT_PRIORITY,
      description: `at most ${requestsPerMinute} requests per minute per client IP`,
      match: everySource,
      preview: false,
      rateLimitOptions: {
        conformAction: "allow",
        exceedAction: "deny(429)",
        enforceOnKey: "IP",
        rateLimitThreshold: { count: requestsPerMinute, intervalSec: RATE_LIMIT_INTERVAL_SEC },
      },
    },
    {
      action: "allow",
      priority: DEFAULT_RULE_PRIORITY,
      description: "default rule",
      match: everySource,
      preview: false,
    },
  ];
}

/** The Ingress variant: TLS for the hostname, only the public paths (Exact), the redirect made explicit for ingress-nginx. */
export function ingressManifest(endpoint: IngressEndpoint, serviceName: string, servicePort: number) {
  const annotations: Record<string, string> = {
    ...(endpoint.clusterIssuer !== undefined ? { [CLUSTER_ISSUER_ANNOTATION]: endpoint.clusterIssuer } : {}),
    ...(endpoint.className === "nginx" ? { [NGINX_SSL_REDIRECT_ANNOTATION]: "true" } : {}),
  };
  return {
    annotations,
    spec: {
      ingressClassName: endpoint.className,
      tls: [{ hosts: [endpoint.hostname], secretName: endpoint.tlsSecret }],
      rules: [
        {
          host: endpoint.hostname,
          http: {
            paths: PUBLIC_PATHS.map((path) => ({
              path,
              pathType: "Exact",
              backend: { service: { name: serviceName, port: { number: servicePort } } },
            })),
          },
        },
      ],
    },
  };
}

/** `https://<hostname>`: the stack output `url`. */
export function endpointUrl(hostname: string): string {
  return `https://${hostname}`;
}
