// facilitator:hostname (issue 16) through index.ts under mocks, over the committed stack files:
// unset, both stacks stay internal-only exactly as before; set, they serve https://<hostname> through
// GKE's Gateway (or an existing Ingress controller), with the certificate, address, health check,
// NetworkPolicy ranges and optional Cloud Armor the issue asks for.
//
// The GKE / Google Cloud facts relied on, each with its source:
// - gke-l7-global-external-managed is the GatewayClass of the global external Application Load
//   Balancer: https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities
// - A Gateway uses a Certificate Manager map through the annotation networking.gke.io/certmap (not
//   together with tls.certificateRefs); the map holds a map entry for the hostname that names a
//   Google-managed Certificate: https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway
//   and https://cloud.google.com/certificate-manager/docs/how-it-works (certificates, maps, map
//   entries, domain authorizations).
// - Domain authorization is either load-balancer authorization (no DNS record; issued once the
//   hostname resolves to the load balancer and it serves on 443) or DNS authorization (a CNAME;
//   issued in advance): https://cloud.google.com/certificate-manager/docs/domain-authorization
// - A reserved global address is given to the Gateway as `addresses: [{type: NamedAddress, value: <name>}]`:
//   https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways
// - Health-check source ranges 35.191.0.0/16 and 130.211.0.0/22; for the global external
//   Application Load Balancer with zonal NEG backends (GCE_VM_IP_PORT, which GKE's container-native
//   load balancing uses) the GFE proxy ranges are the same:
//   https://cloud.google.com/load-balancing/docs/firewall-rules
// - HealthCheckPolicy / GCPBackendPolicy fields (targetRef, config.httpHealthCheck.requestPath,
//   portSpecification, timeoutSec, securityPolicy), and that they live in the Service's namespace:
//   https://github.com/GoogleCloudPlatform/gke-gateway-api (apis/networking/v1/healthcheck_types.go,
//   gcpbackendpolicy_types.go), https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources
// - HTTP → HTTPS: an HTTPRoute attached to the HTTP listener (sectionName) with a RequestRedirect
//   filter, scheme https, statusCode 301: https://gateway-api.sigs.k8s.io/guides/http-redirect-rewrite
// - Cloud Armor per-client throttle: action throttle, conformAction allow, exceedAction deny(429),
//   enforceOnKey IP, rateLimitThreshold {count, intervalSec}: https://cloud.google.com/armor/docs/configure-rate-limiting
// - cert-manager issues an Ingress's TLS secret from the cert-manager.io/cluster-issuer annotation:
//   https://cert-manager.io/docs/usage/ingress/
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../../components/config/configReader";
import { parseConfig } from "../../../../components/config/config";
import {
  BACKEND_TIMEOUT_SEC,
  GATEWAY_CLASS,
  GOOGLE_LB_SOURCE_RANGES,
  PUBLIC_PATHS,
  gcpNames,
} from "../../../../components/runtime/kubernetes/publicEndpointPlan";
import type { RecordedResource } from "../../../support/mocks";
import { releasedImages, runStack, stackConfig, type StackRun, type StackRunOptions } from "../../../support/stack";

type Obj = Record<string, unknown>;
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v === undefined || v === null ? undefined : (v as Obj)[k as string]), value);

const REGISTRY = releasedImages(["v1.2.2", "v1.2.3"]);
const NAMESPACE = { staging: "facilitator-staging", prod: "facilitator-prod" } as const;
const HOST = { staging: "facilitator-staging.example.com", prod: "facilitator.example.com" } as const;

const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const HEALTH_CHECK = "kubernetes:networking.gke.io/v1:HealthCheckPolicy";
const BACKEND_POLICY = "kubernetes:networking.gke.io/v1:GCPBackendPolicy";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const ADDRESS = "gcp:compute/globalAddress:GlobalAddress";
const CERTIFICATE = "gcp:certificatemanager/certificate:Certificate";
const CERTIFICATE_MAP = "gcp:certificatemanager/certificateMap:CertificateMap";
const MAP_ENTRY = "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry";
const DNS_AUTHORIZATION = "gcp:certificatemanager/dnsAuthorization:DnsAuthorization";
const SECURITY_POLICY = "gcp:compute/securityPolicy:SecurityPolicy";
const ENDPOINT_TYPES = [
  GATEWAY,
  HTTP_ROUTE,
  HEALTH_CHECK,
  BACKEND_POLICY,
  INGRESS,
  ADDRESS,
  CERTIFICATE,
  CERTIFICATE_MAP,
  MAP_ENTRY,
  DNS_AUTHORIZATION,
  SECURITY_POLICY,
];

const run = (
  stack: "staging" | "prod",
  config: Record<string, string | undefined> = {},
  secrets: Record<string, string> = {},
) => runStack({ stack, registry: REGISTRY, config, secrets });

function netpolIngress(r: StackRun): Obj[] {
  const app = r.one("facilitator:index:FacilitatorDeployment").urn;
  const policy = r.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.parent === app)!;
  return at(policy.inputs, "spec", "ingress") as Obj[];
}
const route = (r: StackRun, name: string): RecordedResource =>
  r.ofType(HTTP_ROUTE).find((x) => at(x.inputs, "metadata", "name") === name)!;

describe.each(["staging", "prod"] as const)("Pulumi.%s.yaml without facilitator:hostname (as committed)", (stack) => {
  let r: StackRun;
  beforeAll(async () => {
    r = await run(stack);
  });

  it("stays internal-only: a ClusterIP Service and no route, address, certificate or load balancer policy", () => {
    expect(stackConfig({ stack }).values["facilitator:hostname"]).toBe("");
    for (const type of ENDPOINT_TYPES) expect(r.ofType(type), type).toEqual([]);
    expect(r.ofType("facilitator:index:PublicEndpoint")).toEqual([]);
    expect(at(r.one("kubernetes:core/v1:Service").inputs, "spec", "type")).toBe("ClusterIP");
  });

  it("the NetworkPolicy admits the configured namespaces only, as before (no address range)", () => {
    expect(netpolIngress(r)).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
        ports: [{ port: 5401, protocol: "TCP" }],
      },
    ]);
  });

  it("outputs url and ipAddress empty (the smoke test then port-forwards), and no DNS record", () => {
    expect(r.outputs).toMatchObject({ url: "", ipAddress: "", dnsRecords: [] });
  });
});

describe.each(["staging", "prod"] as const)(
  "Pulumi.%s.yaml with facilitator:hostname (GKE Gateway, the default)",
  (stack) => {
    const hostname = HOST[stack];
    const namespace = NAMESPACE[stack];
    const names = gcpNames(stack, hostname);
    let r: StackRun;
    beforeAll(async () => {
      // prod settles for real: API keys keep the stack acceptable to the policy pack once it is public.
      r = await run(stack, { hostname }, stack === "prod" ? { apiKeys: "fake-api-key-0123456789abcdef" } : {});
    });

    it("reserves a global external IPv4 address and hands it to the Gateway by name", () => {
      const address = r.one(ADDRESS);
      expect(address.inputs).toMatchObject({ name: names.address, addressType: "EXTERNAL", ipVersion: "IPV4" });
      const gateway = r.one(GATEWAY);
      expect(at(gateway.inputs, "spec", "addresses")).toEqual([{ type: "NamedAddress", value: names.address }]);
    });

    it("a Google-managed Certificate Manager certificate for the hostname, in a map entry, in the map the Gateway's certmap annotation names", () => {
      const certificate = r.one(CERTIFICATE);
      expect(certificate.inputs).toMatchObject({
        name: names.certificate,
        location: "global",
        scope: "DEFAULT",
        managed: { domains: [hostname] },
      });
      // Load-balancer authorization by default: no DNS authorization, no CNAME to create.
      expect(at(certificate.inputs, "managed", "dnsAuthorizations")).toBeUndefined();
      expect(r.ofType(DNS_AUTHORIZATION)).toEqual([]);
      const map = r.one(CERTIFICATE_MAP);
      expect(map.inputs).toMatchObject({ name: names.certificateMap });
      expect(r.one(MAP_ENTRY).inputs).toMatchObject({
        name: names.certificateMapEntry,
        map: names.certificateMap,
        hostname,
        certificates: [`${certificate.name}-id`],
      });
      expect(at(r.one(GATEWAY).inputs, "metadata", "annotations")).toEqual({
        "networking.gke.io/certmap": names.certificateMap,
      });
    });

    it("the Gateway: gke-l7-global-external-managed, HTTPS on 443 (certificate from the map, no tls block) and HTTP on 80, same-namespace routes only", () => {
      const gateway = r.one(GATEWAY);
      expect(at(gateway.inputs, "metadata", "namespace")).toBe(namespace);
      expect(at(gateway.inputs, "spec", "gatewayClassName")).toBe(GATEWAY_CLASS);
      expect(GATEWAY_CLASS).toBe("gke-l7-global-external-managed");
      expect(at(gateway.inputs, "spec", "listeners")).toEqual([
        { name: "https", protocol: "HTTPS", port: 443, allowedRoutes: { namespaces: { from: "Same" } } },
        { name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "Same" } } },
      ]);
      // The controller looks the address and the certificate up by name: they exist before the Gateway.
      const deps = gateway.options.dependsOn;
      expect(deps).toEqual(expect.arrayContaining([r.one(ADDRESS).urn, r.one(MAP_ENTRY).urn]));
    });

    it("HTTPS routes exactly /verify, /settle, /supported and /healthz to the Service; metrics and status stay inside", () => {
      const https = route(r, "facilitator");
      expect(at(https.inputs, "metadata", "namespace")).toBe(namespace);
      expect(https.inputs["spec"]).toEqual({
        parentRefs: [
          { group: "gateway.networking.k8s.io", kind: "Gateway", name: "facilitator", sectionName: "https" },
        ],
        hostnames: [hostname],
        rules: [
          {
            matches: ["/verify", "/settle", "/supported", "/healthz"].map((value) => ({
              path: { type: "Exact", value },
            })),
            backendRefs: [{ group: "", kind: "Service", name: "facilitator", port: 5401, weight: 1 }],
          },
        ],
      });
      const routed = JSON.stringify(r.ofType(HTTP_ROUTE).map((x) => x.inputs));
      for (const inside of ["/metrics", "/status", "/readyz"]) expect(routed).not.toContain(inside);
      expect([...PUBLIC_PATHS]).toEqual(["/verify", "/settle", "/supported", "/healthz"]);
    });

    it("plain HTTP answers 301 to the same URL over HTTPS, for every path, and forwards nothing", () => {
      const redirect = route(r, "facilitator-http-redirect");
      expect(redirect.inputs["spec"]).toEqual({
        parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "facilitator", sectionName: "http" }],
        hostnames: [hostname],
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
          },
        ],
      });
    });

    it("the load balancer's health check asks the Service's liveness endpoint on the serving port (HealthCheckPolicy next to the Service)", () => {
      const check = r.one(HEALTH_CHECK);
      expect(at(check.inputs, "metadata", "namespace")).toBe(namespace);
      expect(at(check.inputs, "spec", "targetRef")).toEqual({ group: "", kind: "Service", name: "facilitator" });
      expect(at(check.inputs, "spec", "default", "config")).toEqual({
        type: "HTTP",
        httpHealthCheck: { portSpecification: "USE_FIXED_PORT", port: 5401, requestPath: "/healthz" },
      });
      // The same endpoint the kubelet's liveness probe asks, on the port the Service targets.
      const container = at(
        r.one("kubernetes:apps/v1:Deployment").inputs,
        "spec",
        "template",
        "spec",
        "containers",
        0,
      ) as Obj;
      expect(at(container, "livenessProbe", "httpGet", "path")).toBe("/healthz");
      expect(at(r.one("kubernetes:core/v1:Service").inputs, "spec", "ports", 0, "port")).toBe(5401);
      // Each interval written out: the timeout never exceeds the interval (GKE refuses that).
      const d = at(check.inputs, "spec", "default") as { checkIntervalSec: number; timeoutSec: number };
      expect(d.timeoutSec).toBeLessThanOrEqual(d.checkIntervalSec);
    });

    it("the backend waits longer than a settlement may (GCPBackendPolicy timeoutSec), without Cloud Armor unless asked", () => {
      const backend = r.one(BACKEND_POLICY);
      expect(backend.inputs["spec"]).toEqual({
        default: { timeoutSec: BACKEND_TIMEOUT_SEC },
        targetRef: { group: "", kind: "Service", name: "facilitator" },
      });
      expect(r.ofType(SECURITY_POLICY)).toEqual([]);
    });

    it("the NetworkPolicy admits Google's load balancer and health-check ranges on 5401 and nothing broader", () => {
      const rules = netpolIngress(r);
      expect(rules).toEqual([
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
          ports: [{ port: 5401, protocol: "TCP" }],
        },
        {
          from: [{ ipBlock: { cidr: "35.191.0.0/16" } }, { ipBlock: { cidr: "130.211.0.0/22" } }],
          ports: [{ port: 5401, protocol: "TCP" }],
        },
      ]);
      expect([...GOOGLE_LB_SOURCE_RANGES]).toEqual(["35.191.0.0/16", "130.211.0.0/22"]);
    });

    it("outputs the HTTPS URL, the reserved address and the A record to create", () => {
      const ip = String(r.one(ADDRESS).state["address"]);
      expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(r.outputs).toMatchObject({
        url: `https://${hostname}`,
        ipAddress: ip,
        dnsRecords: [{ name: `${hostname}.`, type: "A", data: ip }],
      });
    });

    it("Kubernetes objects go through the stack's cluster provider into its namespace; the Google Cloud ones use the stack's gcp provider", () => {
      const endpoint = r.one("facilitator:index:PublicEndpoint");
      for (const type of [GATEWAY, HTTP_ROUTE, HEALTH_CHECK, BACKEND_POLICY]) {
        for (const x of r.ofType(type)) {
          expect(x.parent, type).toBe(endpoint.urn);
          expect(x.provider, type).toMatch(/::pulumi:providers:kubernetes::cluster::/);
          expect(at(x.inputs, "metadata", "namespace"), type).toBe(namespace);
        }
      }
      for (const type of [ADDRESS, CERTIFICATE, CERTIFICATE_MAP, MAP_ENTRY]) {
        expect(r.one(type).parent, type).toBe(endpoint.urn);
        expect(r.one(type).provider, type).not.toMatch(/kubernetes/);
      }
    });
  },
);

describe("determinism and a changed hostname", () => {
  it("two runs send the same inputs (names and specs hold no timestamp or random part)", async () => {
    const [a, b] = [
      await run("staging", { hostname: HOST.staging, cloudArmor: "true" }),
      await run("staging", { hostname: HOST.staging, cloudArmor: "true" }),
    ];
    const endpoint = (x: StackRun) =>
      x.resources.filter((res) => ENDPOINT_TYPES.includes(res.type)).map((res) => [res.type, res.name, res.inputs]);
    expect(endpoint(a)).toEqual(endpoint(b));
    expect(endpoint(a).length).toBeGreaterThan(8);
  });

  it("a new hostname gets a new certificate and map entry (created next to the old ones); address and map stay", () => {
    const before = gcpNames("prod", "facilitator.example.com");
    const after = gcpNames("prod", "pay.example.org");
    expect(after.address).toBe(before.address);
    expect(after.certificateMap).toBe(before.certificateMap);
    expect(after.certificate).not.toBe(before.certificate);
    expect(after.certificateMapEntry).not.toBe(before.certificateMapEntry);
    for (const name of Object.values(after)) expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it("so the address (the DNS record's target), the map and the Cloud Armor policy keep every input across a hostname change", async () => {
    const secrets = { apiKeys: "fake-api-key-0123456789abcdef" };
    const a = await run("prod", { hostname: "facilitator.example.com", cloudArmor: "true" }, secrets);
    const b = await run("prod", { hostname: "pay.example.org", cloudArmor: "true" }, secrets);
    for (const type of [ADDRESS, CERTIFICATE_MAP, SECURITY_POLICY])
      expect(b.one(type).inputs, type).toEqual(a.one(type).inputs);
    expect(b.one(CERTIFICATE).inputs["name"]).not.toBe(a.one(CERTIFICATE).inputs["name"]);
  });
});

describe("options of the Gateway path", () => {
  it("cloudArmor: a throttle per client IP at cloudArmorRequestsPerMinute, 429 beyond it, attached through the GCPBackendPolicy", async () => {
    const r = await run("staging", { hostname: HOST.staging, cloudArmor: "true", cloudArmorRequestsPerMinute: "120" });
    const policy = r.one(SECURITY_POLICY);
    const names = gcpNames("staging", HOST.staging);
    expect(policy.inputs).toMatchObject({ name: names.securityPolicy, type: "CLOUD_ARMOR" });
    const everySource = { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } };
    expect(policy.inputs["rules"]).toEqual([
      {
        action: "throttle",
        priority: 1000,
        description: "at most 120 requests per minute per client IP",
        match: everySource,
        preview: false,
        rateLimitOptions: {
          conformAction: "allow",
          exceedAction: "deny(429)",
          enforceOnKey: "IP",
          rateLimitThreshold: { count: 120, intervalSec: 60 },
        },
      },
      { action: "allow", priority: 2147483647, description: "default rule", match: everySource, preview: false },
    ]);
    const backend = r.one(BACKEND_POLICY);
    expect(at(backend.inputs, "spec", "default")).toEqual({
      timeoutSec: BACKEND_TIMEOUT_SEC,
      securityPolicy: names.securityPolicy,
    });
    expect(backend.options.dependsOn).toContain(policy.urn);
  });

  it("certificateDnsAuthorization: a DNS authorization on the certificate, its CNAME listed next to the A record", async () => {
    const r = await run(
      "prod",
      { hostname: HOST.prod, certificateDnsAuthorization: "true" },
      { apiKeys: "fake-api-key-0123456789abcdef" },
    );
    const authorization = r.one(DNS_AUTHORIZATION);
    expect(authorization.inputs).toMatchObject({ domain: HOST.prod, location: "global", type: "FIXED_RECORD" });
    expect(at(r.one(CERTIFICATE).inputs, "managed")).toEqual({
      domains: [HOST.prod],
      dnsAuthorizations: [`${authorization.name}-id`],
    });
    const records = r.outputs["dnsRecords"] as { name: string; type: string; data: string }[];
    expect(records.map((x) => [x.name, x.type])).toEqual([
      [`${HOST.prod}.`, "A"],
      [`_acme-challenge.${HOST.prod}.`, "CNAME"],
    ]);
  });
});

describe("facilitator:ingressClassName: an Ingress for a controller the cluster runs", () => {
  let r: StackRun;
  beforeAll(async () => {
    r = await run("staging", {
      hostname: HOST.staging,
      ingressClassName: "nginx",
      ingressClusterIssuer: "letsencrypt",
    });
  });

  it("TLS for the hostname from the issuer, the four paths matched exactly, the HTTP redirect explicit", () => {
    const ingress = r.one(INGRESS);
    expect(at(ingress.inputs, "metadata", "annotations")).toEqual({
      "cert-manager.io/cluster-issuer": "letsencrypt",
      "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    });
    expect(ingress.inputs["spec"]).toEqual({
      ingressClassName: "nginx",
      tls: [{ hosts: [HOST.staging], secretName: "facilitator-tls" }],
      rules: [
        {
          host: HOST.staging,
          http: {
            paths: PUBLIC_PATHS.map((path) => ({
              path,
              pathType: "Exact",
              backend: { service: { name: "facilitator", port: { number: 5401 } } },
            })),
          },
        },
      ],
    });
  });

  it("no Google Cloud resource, no Gateway, and the NetworkPolicy admits the controller's namespace only", () => {
    for (const type of [
      GATEWAY,
      HTTP_ROUTE,
      HEALTH_CHECK,
      BACKEND_POLICY,
      ADDRESS,
      CERTIFICATE,
      CERTIFICATE_MAP,
      MAP_ENTRY,
      SECURITY_POLICY,
    ])
      expect(r.ofType(type), type).toEqual([]);
    expect(netpolIngress(r)).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
        ports: [{ port: 5401, protocol: "TCP" }],
      },
    ]);
    // The controller reports its address on the Ingress's status; none under mocks.
    expect(r.outputs).toMatchObject({ url: `https://${HOST.staging}`, ipAddress: "", dnsRecords: [] });
  });

  it("an existing TLS secret instead of an issuer", async () => {
    const withSecret = await run("staging", {
      hostname: HOST.staging,
      ingressClassName: "traefik",
      ingressTlsSecret: "facilitator-cert",
    });
    const ingress = withSecret.one(INGRESS);
    expect(at(ingress.inputs, "spec", "tls")).toEqual([{ hosts: [HOST.staging], secretName: "facilitator-cert" }]);
    expect(at(ingress.inputs, "metadata", "annotations")).toEqual({});
  });
});

describe("config errors name the key and the fix", () => {
  const problems = (options: Omit<StackRunOptions, "stack"> & { stack?: string }): string[] => {
    const stack = options.stack ?? "staging";
    const { values, secretKeys } = stackConfig({ ...options, stack });
    try {
      parseConfig(stack, values, secretKeys);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    }
  };

  it.each([
    "https://facilitator.example.com",
    "10.0.0.7",
    "*.example.com",
    "Facilitator.Example.com",
    "localhost",
    "facilitator.example.com.",
  ])("refuses hostname %s", (hostname) => {
    expect(problems({ config: { hostname } })).toEqual([
      expect.stringMatching(
        /^facilitator:hostname: expected a public DNS name you control, .*Fix: pulumi config set --stack staging facilitator:hostname facilitator-staging\.example\.com$/,
      ),
    ]);
  });

  it("accepts the committed stacks and a valid hostname", () => {
    expect(problems({})).toEqual([]);
    expect(problems({ stack: "prod" })).toEqual([]);
    expect(problems({ config: { hostname: HOST.staging, cloudArmor: "true" } })).toEqual([]);
  });

  it("refuses endpoint keys without a hostname (they would do nothing)", () => {
    expect(problems({ config: { ingressClassName: "nginx", cloudArmor: "true" } })).toEqual([
      "facilitator:ingressClassName: expected unset while facilitator:hostname is unset; it only shapes the public endpoint, and without facilitator:hostname the stack has none. " +
        "Fix: pulumi config set --stack staging facilitator:hostname facilitator-staging.example.com  (or pulumi config rm --stack staging facilitator:ingressClassName)",
      "facilitator:cloudArmor: expected unset while facilitator:hostname is unset; it only shapes the public endpoint, and without facilitator:hostname the stack has none. " +
        "Fix: pulumi config set --stack staging facilitator:hostname facilitator-staging.example.com  (or pulumi config rm --stack staging facilitator:cloudArmor)",
    ]);
  });

  it("refuses Gateway-only options with an Ingress class, GKE's own Ingress class, and an Ingress without a certificate", () => {
    expect(
      problems({
        config: {
          hostname: HOST.staging,
          ingressClassName: "nginx",
          cloudArmor: "true",
          certificateDnsAuthorization: "true",
        },
      }),
    ).toEqual([
      expect.stringMatching(
        /^facilitator:cloudArmor: expected false while facilitator:ingressClassName is set; Cloud Armor attaches to GKE's Gateway .*Fix: pulumi config rm --stack staging facilitator:cloudArmor$/,
      ),
      expect.stringMatching(
        /^facilitator:certificateDnsAuthorization: expected false while facilitator:ingressClassName is set; .*Fix: pulumi config rm --stack staging facilitator:certificateDnsAuthorization$/,
      ),
      expect.stringMatching(
        /^facilitator:ingressTlsSecret: expected the TLS Secret the Ingress serves, .*it is not set, so the Ingress would have no certificate for https:\/\/facilitator-staging\.example\.com\. Fix: pulumi config set --stack staging facilitator:ingressTlsSecret facilitator-tls$/,
      ),
    ]);
    expect(problems({ config: { hostname: HOST.staging, ingressClassName: "gce", ingressTlsSecret: "t" } })).toEqual([
      expect.stringMatching(
        /^facilitator:ingressClassName: .*got "gce": on GKE the stack uses the Gateway API for that .*Fix: pulumi config rm --stack staging facilitator:ingressClassName$/,
      ),
    ]);
  });

  it("refuses an Ingress the NetworkPolicy would block, TLS keys without a class, and a hostname on the docker target", () => {
    expect(
      problems({
        config: { hostname: HOST.staging, ingressClassName: "nginx", ingressTlsSecret: "t", ingressNamespaces: "[]" },
      }),
    ).toEqual([
      expect.stringMatching(
        /^facilitator:ingressNamespaces: expected the namespace of the ingress controller, .*Fix: pulumi config set --stack staging --path 'facilitator:ingressNamespaces\[0\]' ingress-nginx$/,
      ),
    ]);
    expect(problems({ config: { hostname: HOST.staging, ingressTlsSecret: "t" } })).toEqual([
      expect.stringMatching(
        /^facilitator:ingressTlsSecret: expected unset unless facilitator:ingressClassName is set; .*Certificate Manager\. Fix: pulumi config rm --stack staging facilitator:ingressTlsSecret$/,
      ),
    ]);
    const docker = problems({ config: { hostname: HOST.staging, target: "docker", monitoringEnabled: "false" } });
    expect(docker).toContainEqual(
      expect.stringMatching(
        /^facilitator:hostname: expected empty when facilitator:target is "docker"; .*Caddy.*Fix: pulumi config rm --stack staging facilitator:hostname$/,
      ),
    );
  });

  it("bounds the rate limit", () => {
    expect(
      problems({ config: { hostname: HOST.staging, cloudArmor: "true", cloudArmorRequestsPerMinute: "0" } }),
    ).toEqual([
      expect.stringMatching(
        /^facilitator:cloudArmorRequestsPerMinute: expected an integer from 1 to 100000; got "0"\. Fix: pulumi config set --stack staging facilitator:cloudArmorRequestsPerMinute 600$/,
      ),
    ]);
  });
});
