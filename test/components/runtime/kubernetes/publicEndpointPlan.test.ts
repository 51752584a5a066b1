// The pure parts of the public endpoint (components/runtime/kubernetes/publicEndpointPlan.ts): names, ranges, paths,
// timeouts and specs, checked against their sources and against the service they front.
// Sources:
// - Compute Engine / Certificate Manager names: 1-63 characters, [a-z]([-a-z0-9]*[a-z0-9])?
//   (https://cloud.google.com/compute/docs/naming-resources).
// - Load balancer and health-check source ranges of the global external Application Load Balancer,
//   35.191.0.0/16 and 130.211.0.0/22, the GFE proxies' the same for zonal NEG backends:
//   https://cloud.google.com/load-balancing/docs/firewall-rules
// - The backend service timeout defaults to 30 s (GCPBackendPolicy timeoutSec, "If the field is
//   omitted, a default value (30s) will be used"): https://github.com/GoogleCloudPlatform/gke-gateway-api
//   apis/networking/v1/gcpbackendpolicy_types.go
// - Cloud Armor rate-limit intervals (rateLimitThreshold.intervalSec) and the default rule at
//   priority 2147483647: https://cloud.google.com/armor/docs/configure-rate-limiting,
//   https://cloud.google.com/armor/docs/security-policy-overview
import { describe, expect, it } from "vitest";
import {
  BACKEND_TIMEOUT_SEC,
  GOOGLE_LB_SOURCE_RANGES,
  HEALTH_CHECK_PATH,
  PUBLIC_PATHS,
  RATE_LIMIT_INTERVAL_SEC,
  backendPolicySpec,
  endpointUrl,
  gatewaySpec,
  gcpName,
  gcpNames,
  httpRedirectRouteSpec,
  httpsRouteSpec,
  ingressManifest,
  securityPolicyRules,
} from "../../../../components/runtime/kubernetes/publicEndpointPlan";
import { parseCidr } from "../../../../components/runtime/kubernetes/egress";
import { envSchema } from "../../../../demo/a2a/facilitator-amoy/src/config/config.js";

const GCP_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

describe("names", () => {
  it("are valid Google Cloud names for any stack name, and the same on every call", () => {
    for (const stack of ["staging", "prod", "Prod_EU", "1st", "a".repeat(80), "x--y-"]) {
      const names = gcpNames(stack, "facilitator.example.com");
      for (const [what, name] of Object.entries(names))
        expect({ stack, what, ok: GCP_NAME.test(name) }).toEqual({ stack, what, ok: true });
      expect(gcpNames(stack, "facilitator.example.com")).toEqual(names);
    }
    expect(gcpName("Prod_EU")).toBe("prod-eu");
    expect(gcpNames("staging", "facilitator-staging.example.com").address).toBe("facilitator-staging");
  });

  it("the hostname's resources carry its hash: different hostnames, different names", () => {
    const a = gcpNames("prod", "a.example.com");
    const b = gcpNames("prod", "b.example.com");
    expect(a.certificate).not.toBe(b.certificate);
    expect(a.dnsAuthorization).not.toBe(b.dnsAuthorization);
    expect(a.certificateMapEntry).not.toBe(b.certificateMapEntry);
    expect(a.address).toBe(b.address);
  });
});

describe("what reaches the pods", () => {
  it("the load balancer's ranges are exactly Google's two IPv4 ranges, neither wider than documented", () => {
    expect([...GOOGLE_LB_SOURCE_RANGES]).toEqual(["35.191.0.0/16", "130.211.0.0/22"]);
    expect(GOOGLE_LB_SOURCE_RANGES.map((c) => parseCidr(c).prefix)).toEqual([16, 22]);
  });

  it("only the API and the liveness check are public; /metrics, /status and /readyz are not", () => {
    expect([...PUBLIC_PATHS]).toEqual(["/verify", "/settle", "/supported", "/healthz"]);
    expect(PUBLIC_PATHS).toContain(HEALTH_CHECK_PATH);
    for (const internal of ["/metrics", "/status", "/readyz", "/"]) expect(PUBLIC_PATHS).not.toContain(internal);
    const route = httpsRouteSpec("h.example.com", "gw", "svc", 5401);
    expect(route.rules.flatMap((r) => r.matches.map((m) => m.path.type))).toEqual(["Exact", "Exact", "Exact", "Exact"]);
  });

  it("the backend timeout outlasts the service's settle wait (SETTLE_TIMEOUT_MS default) and the load balancer's 30 s default", () => {
    const settleTimeoutMs = envSchema.shape.SETTLE_TIMEOUT_MS.parse(undefined) as number;
    expect(settleTimeoutMs).toBe(60_000);
    expect(BACKEND_TIMEOUT_SEC * 1000).toBeGreaterThan(settleTimeoutMs);
    expect(BACKEND_TIMEOUT_SEC).toBeGreaterThan(30);
    expect(backendPolicySpec("svc")).toEqual({
      default: { timeoutSec: BACKEND_TIMEOUT_SEC },
      targetRef: { group: "", kind: "Service", name: "svc" },
    });
  });
});

describe("specs", () => {
  it("the Gateway has one HTTPS and one HTTP listener and no tls block (the certificate comes from the certmap annotation)", () => {
    const spec = gatewaySpec("addr");
    expect(spec.listeners.map((l) => [l.name, l.protocol, l.port])).toEqual([
      ["https", "HTTPS", 443],
      ["http", "HTTP", 80],
    ]);
    expect(JSON.stringify(spec)).not.toContain("tls");
  });

  it("the redirect route only redirects: no backendRefs", () => {
    const spec = httpRedirectRouteSpec("h.example.com", "gw");
    expect(
      spec.rules.every((r) => !("backendRefs" in r) && r.filters.some((f) => f.requestRedirect.scheme === "https")),
    ).toBe(true);
  });

  it("Cloud Armor: the throttle counts per client IP over a minute; the default rule admits the rest", () => {
    expect(RATE_LIMIT_INTERVAL_SEC).toBe(60);
    const [throttle, fallback] = securityPolicyRules(600);
    expect(throttle).toMatchObject({
      action: "throttle",
      rateLimitOptions: {
        enforceOnKey: "IP",
        exceedAction: "deny(429)",
        rateLimitThreshold: { count: 600, intervalSec: 60 },
      },
    });
    expect(fallback).toMatchObject({
      action: "allow",
      priority: 2147483647,
      match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
    });
    // Rule descriptions are at most 64 characters.
    for (const rule of securityPolicyRules(100_000)) expect(rule.description.length).toBeLessThanOrEqual(64);
  });

  it("the Ingress: the redirect annotation only for ingress-nginx, the issuer only when set", () => {
    const base = { kind: "ingress", hostname: "h.example.com", tlsSecret: "t" } as const;
    expect(ingressManifest({ ...base, className: "nginx" }, "svc", 5401).annotations).toEqual({
      "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    });
    expect(ingressManifest({ ...base, className: "traefik", clusterIssuer: "le" }, "svc", 5401).annotations).toEqual({
      "cert-manager.io/cluster-issuer": "le",
    });
  });

  it("the URL is https", () => {
    expect(endpointUrl("facilitator.example.com")).toBe("https://facilitator.example.com");
  });
});
