// The public endpoint's stack config (facilitator:hostname and the keys that shape it), read
// through the same ConfigReader as every other section: each problem names the key and the
// command that fixes it. Unset hostname: no endpoint, today's internal-only deployment.
import type { ConfigReader } from "./configReader";
import type { PublicEndpointConfig } from "../runtime";

/** A public DNS name: lowercase labels, at least two, no wildcard, not an IP address. */
const HOSTNAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const K8S_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
/** GKE's own Ingress controller: its HTTPS needs a FrontendConfig and ManagedCertificate this program does not make. */
const GKE_INGRESS_CLASSES = ["gce", "gce-internal"];

interface Context {
  stack: string;
  target: "kubernetes" | "docker";
  /** facilitator:ingressNamespaces: an Ingress controller's pods must be admitted by the NetworkPolicy. */
  ingressNamespaces: readonly string[];
}

/** Reads the endpoint keys; undefined when facilitator:hostname is unset (the keys that need it must be unset too). */
export function readPublicEndpoint(r: ConfigReader, ctx: Context): PublicEndpointConfig | undefined {
  const hostname = r.optionalString("hostname", {
    expected: "a public DNS name you control, lowercase, like facilitator.example.com (not an IP address, no wildcard)",
    example: `facilitator-${ctx.stack}.example.com`,
    pattern: HOSTNAME,
  });
  const className = r.optionalString("ingressClassName", {
    expected:
      "the IngressClass of a controller running in the cluster (kubectl get ingressclass), or empty for GKE's Gateway",
    example: "nginx",
    pattern: K8S_NAME,
  });
  const tlsSecret = r.optionalString("ingressTlsSecret", {
    expected:
      "the name of a kubernetes.io/tls Secret in the stack's namespace (cert-manager creates it when ingressClusterIssuer is set)",
    example: "facilitator-tls",
    pattern: K8S_NAME,
  });
  const clusterIssuer = r.optionalString("ingressClusterIssuer", {
    expected: "the name of a cert-manager ClusterIssuer (kubectl get clusterissuer)",
    example: "letsencrypt",
    pattern: K8S_NAME,
  });
  const dnsAuthorization = r.boolean("certificateDnsAuthorization", { example: "true" });
  const cloudArmor = r.boolean("cloudArmor", { example: "true" });
  const requestsPerMinute = r.integer("cloudArmorRequestsPerMinute", { example: "600", min: 1, max: 100_000 });

  if (hostname === undefined) {
    // Keys that only shape an endpoint: set without a hostname they would do nothing, silently.
    const orphans: [string, boolean][] = [
      ["ingressClassName", className !== undefined],
      ["ingressTlsSecret", tlsSecret !== undefined],
      ["ingressClusterIssuer", clusterIssuer !== undefined],
      ["certificateDnsAuthorization", dnsAuthorization],
      ["cloudArmor", cloudArmor],
    ];
    for (const [key] of orphans.filter(([, set]) => set)) {
      r.problem(
        key,
        { expected: "unset while facilitator:hostname is unset", example: "" },
        "it only shapes the public endpoint, and without facilitator:hostname the stack has none",
        `pulumi config set --stack ${ctx.stack} facilitator:hostname facilitator-${ctx.stack}.example.com  (or ${r.removeCommand(key)})`,
      );
    }
    return undefined;
  }

  if (ctx.target === "docker") {
    r.problem(
      "hostname",
      { expected: 'empty when facilitator:target is "docker"', example: '""' },
      "the docker target is served by the host's own reverse proxy (Caddy, docs/single-host.md), not by this program",
      r.removeCommand("hostname"),
    );
    return undefined;
  }

  if (className === undefined) {
    for (const [key, set] of [
      ["ingressTlsSecret", tlsSecret !== undefined],
      ["ingressClusterIssuer", clusterIssuer !== undefined],
    ] as const) {
      if (!set) continue;
      r.problem(
        key,
        { expected: "unset unless facilitator:ingressClassName is set", example: "" },
        "without an ingress class the endpoint is GKE's Gateway, whose certificate comes from Certificate Manager",
        r.removeCommand(key),
      );
    }
    return {
      kind: "gateway",
      hostname,
      dnsAuthorization,
      ...(cloudArmor ? { cloudArmor: { requestsPerMinute } } : {}),
    };
  }

  if (GKE_INGRESS_CLASSES.includes(className)) {
    r.problem(
      "ingressClassName",
      {
        expected: "the class of a controller you run (nginx, traefik, …); for GKE's own load balancer leave it empty",
        example: "",
      },
      `got "${className}": on GKE the stack uses the Gateway API for that (a managed certificate, the redirect and Cloud Armor included)`,
      r.removeCommand("ingressClassName"),
    );
  }
  for (const [key, set, why] of [
    [
      "cloudArmor",
      cloudArmor,
      "Cloud Armor attaches to GKE's Gateway backend (GCPBackendPolicy), not to another controller",
    ],
    [
      "certificateDnsAuthorization",
      dnsAuthorization,
      "it authorizes a Certificate Manager certificate, which only the Gateway uses",
    ],
  ] as const) {
    if (!set) continue;
    r.problem(
      key,
      { expected: "false while facilitator:ingressClassName is set", example: "false" },
      why,
      r.removeCommand(key),
    );
  }
  if (tlsSecret === undefined && clusterIssuer === undefined) {
    r.problem(
      "ingressTlsSecret",
      {
        expected:
          "the TLS Secret the Ingress serves, or a cert-manager issuer (facilitator:ingressClusterIssuer) that fills it",
        example: "facilitator-tls",
      },
      "it is not set, so the Ingress would have no certificate for https://" + hostname,
    );
  }
  if (ctx.ingressNamespaces.length === 0) {
    r.problem(
      "ingressNamespaces",
      { expected: "the namespace of the ingress controller, so the NetworkPolicy admits it", example: "ingress-nginx" },
      `it is empty, so the ${className} controller could not reach the pods`,
      `pulumi config set --stack ${ctx.stack} --path 'facilitator:ingressNamespaces[0]' ingress-nginx`,
    );
  }
  return {
    kind: "ingress",
    hostname,
    className,
    tlsSecret: tlsSecret ?? "facilitator-tls",
    ...(clusterIssuer !== undefined ? { clusterIssuer } : {}),
  };
}
