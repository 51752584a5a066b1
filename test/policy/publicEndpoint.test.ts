// public-endpoint-https-only: a stack reachable from outside serves HTTPS only. Over hand-built
// Gateway API and Ingress resources (each breaks one thing), then over the committed stacks with
// facilitator:hostname set, where the pack as a whole must pass (and open-settlement-not-exposed
// still sees the public route).
// Sources: a route without sectionName/port attaches to every listener of its parent
// (https://gateway-api.sigs.k8s.io/reference/spec/#parentreference); HTTP→HTTPS is a
// RequestRedirect on the HTTP listener (https://gateway-api.sigs.k8s.io/guides/http-redirect-rewrite);
// GKE's Gateway takes its certificate from the networking.gke.io/certmap annotation
// (https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway); ingress-nginx redirects
// once TLS is set unless nginx.ingress.kubernetes.io/ssl-redirect is "false"
// (https://kubernetes.github.io/ingress-nginx/user-guide/tls/); GKE's Ingress class gce serves port
// 80 unless kubernetes.io/ingress.allow-http is "false"
// (https://cloud.google.com/kubernetes-engine/docs/concepts/ingress-xlb).
import { describe, expect, it } from "vitest";
import {
  gatewaySpec,
  httpRedirectRouteSpec,
  httpsRouteSpec,
} from "../../components/runtime/kubernetes/publicEndpointPlan";
import { policies } from "../../policy/index";
import { publicEndpointHttpsOnly } from "../../policy/publicEndpoint";
import { runPolicies, type ResourceUnderTest } from "../../policy/run";
import { releasedImages, runStack } from "../support/stack";
import { asPolicyInput } from "./committedStacks";
import { resource } from "./fixtures";

const HOST = "facilitator.example.com";
const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: "facilitator-staging",
  ...extra,
});

function gateway(
  edit: (spec: ReturnType<typeof gatewaySpec>, metadata: Record<string, unknown>) => void = () => {},
): ResourceUnderTest {
  const spec = gatewaySpec("facilitator-staging");
  const metadata = meta("facilitator", { annotations: { "networking.gke.io/certmap": "facilitator-staging" } });
  edit(spec, metadata);
  return resource(GATEWAY, "facilitator-gateway", {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata,
    spec,
  });
}
const httpsRoute = (spec: unknown = httpsRouteSpec(HOST, "facilitator", "facilitator", 5401)) =>
  resource(HTTP_ROUTE, "facilitator-route", { metadata: meta("facilitator"), spec });
const redirect = (spec: unknown = httpRedirectRouteSpec(HOST, "facilitator")) =>
  resource(HTTP_ROUTE, "facilitator-http-redirect", { metadata: meta("facilitator-http-redirect"), spec });

function ingress(
  edit: (props: { metadata: Record<string, unknown>; spec: Record<string, unknown> }) => void = () => {},
): ResourceUnderTest {
  const props = {
    metadata: meta("facilitator", { annotations: {} as Record<string, string> }),
    spec: {
      ingressClassName: "nginx",
      tls: [{ hosts: [HOST], secretName: "facilitator-tls" }],
      rules: [
        {
          host: HOST,
          http: {
            paths: [
              {
                path: "/verify",
                pathType: "Exact",
                backend: { service: { name: "facilitator", port: { number: 5401 } } },
              },
            ],
          },
        },
      ],
    } as Record<string, unknown>,
  };
  edit(props);
  return resource(INGRESS, "facilitator-ingress", props);
}

const found = async (...resources: ResourceUnderTest[]) =>
  (await runPolicies([publicEndpointHttpsOnly], resources)).map((v) => v.message);

describe("public-endpoint-https-only over Gateway API resources", () => {
  it("passes what the program builds: HTTPS with the certificate map, HTTP only redirecting", async () => {
    expect(await found(gateway(), httpsRoute(), redirect())).toEqual([]);
  });

  it("refuses a route that forwards plain HTTP, by sectionName or by attaching to every listener", async () => {
    const onHttp = httpsRouteSpec(HOST, "facilitator", "facilitator", 5401);
    onHttp.parentRefs[0]!.sectionName = "http";
    expect(await found(gateway(), httpsRoute(onHttp), redirect())).toEqual([
      "HTTPRoute facilitator-route serves plain HTTP: it attaches to listener http (HTTP, port 80) of Gateway facilitator-gateway and forwards requests instead of redirecting them " +
        "(attach it to the HTTPS listener with sectionName, and answer HTTP with a RequestRedirect to scheme https) (stack staging).",
    ]);
    const everyListener = {
      ...httpsRouteSpec(HOST, "facilitator", "facilitator", 5401),
      parentRefs: [{ name: "facilitator" }],
    };
    expect(await found(gateway(), httpsRoute(everyListener))).toEqual([
      expect.stringContaining("attaches to listener http (HTTP, port 80)"),
    ]);
    const byPort = {
      ...httpsRouteSpec(HOST, "facilitator", "facilitator", 5401),
      parentRefs: [{ name: "facilitator", port: 80 }],
    };
    expect(await found(gateway(), httpsRoute(byPort))).toHaveLength(1);
  });

  it("refuses a 'redirect' that is not to https, or that also forwards", async () => {
    const toHttp = httpRedirectRouteSpec(HOST, "facilitator");
    toHttp.rules[0]!.filters[0]!.requestRedirect.scheme = "http";
    expect(await found(gateway(), redirect(toHttp))).toEqual([
      expect.stringContaining("HTTPRoute facilitator-http-redirect serves plain HTTP"),
    ]);
    const alsoForwards = {
      ...httpRedirectRouteSpec(HOST, "facilitator"),
      rules: [
        { ...httpRedirectRouteSpec(HOST, "facilitator").rules[0]!, backendRefs: [{ name: "facilitator", port: 5401 }] },
      ],
    };
    expect(await found(gateway(), redirect(alsoForwards))).toHaveLength(1);
  });

  it("refuses an HTTPS listener without a certificate, and plain TCP", async () => {
    expect(
      await found(
        gateway((_spec, metadata) => {
          metadata["annotations"] = {};
        }),
        httpsRoute(),
      ),
    ).toEqual([
      expect.stringMatching(/^Gateway facilitator-gateway: listener https serves HTTPS without a certificate/),
    ]);
    const withRefs = gateway((spec, metadata) => {
      metadata["annotations"] = {};
      (spec.listeners[0] as Record<string, unknown>)["tls"] = {
        mode: "Terminate",
        certificateRefs: [{ name: "facilitator-tls" }],
      };
    });
    expect(await found(withRefs, httpsRoute())).toEqual([]);
    const tcp = gateway((spec) => {
      spec.listeners.push({
        name: "raw",
        protocol: "TCP",
        port: 5401,
        allowedRoutes: { namespaces: { from: "Same" } },
      });
    });
    expect(await found(tcp)).toEqual([expect.stringMatching(/listener raw serves plain TCP on port 5401/)]);
  });

  it("ignores routes of other Gateways and other namespaces", async () => {
    const elsewhere = {
      ...httpsRouteSpec(HOST, "facilitator", "facilitator", 5401),
      parentRefs: [{ name: "facilitator", namespace: "other", sectionName: "http" }],
    };
    expect(await found(gateway(), httpsRoute(elsewhere))).toEqual([]);
  });
});

describe("public-endpoint-https-only over Ingresses", () => {
  it("passes a host covered by TLS (also by a one-label wildcard)", async () => {
    expect(await found(ingress())).toEqual([]);
    expect(
      await found(
        ingress((p) => {
          p.spec["tls"] = [{ hosts: ["*.example.com"], secretName: "wild" }];
        }),
      ),
    ).toEqual([]);
  });

  it("refuses a host without TLS, a TLS entry without secret, a rule without host and a default backend", async () => {
    expect(
      await found(
        ingress((p) => {
          delete p.spec["tls"];
        }),
      ),
    ).toEqual([
      `Ingress facilitator-ingress serves ${HOST} without TLS: add a tls entry with a secretName for it (or a cert-manager issuer annotation that fills it) (stack staging).`,
    ]);
    expect(
      await found(
        ingress((p) => {
          p.spec["tls"] = [{ hosts: [HOST] }];
        }),
      ),
    ).toHaveLength(1);
    expect(
      await found(
        ingress((p) => {
          p.spec["tls"] = [{ hosts: ["*.example.com"], secretName: "wild" }];
          p.spec["rules"] = [{ host: "a.b.example.com" }];
        }),
      ),
    ).toHaveLength(1);
    expect(
      await found(
        ingress((p) => {
          p.spec["rules"] = [{ http: { paths: [] } }];
        }),
      ),
    ).toEqual([expect.stringMatching(/has a rule without a host/)]);
    expect(
      await found(
        ingress((p) => {
          p.spec["defaultBackend"] = { service: { name: "facilitator", port: { number: 5401 } } };
        }),
      ),
    ).toEqual([expect.stringMatching(/has a default backend/)]);
  });

  it("refuses ingress-nginx with its redirect off, and GKE's Ingress class serving port 80", async () => {
    expect(
      await found(
        ingress((p) => {
          p.metadata["annotations"] = { "nginx.ingress.kubernetes.io/ssl-redirect": "false" };
        }),
      ),
    ).toEqual([expect.stringMatching(/turns ingress-nginx's HTTP to HTTPS redirect off/)]);
    const gce = (annotations: Record<string, string>) =>
      ingress((p) => {
        p.spec["ingressClassName"] = "gce";
        p.metadata["annotations"] = annotations;
      });
    expect(await found(gce({}))).toEqual([
      expect.stringMatching(
        /\(class gce\) also serves plain HTTP on port 80 unless kubernetes\.io\/ingress\.allow-http is "false"/,
      ),
    ]);
    expect(await found(gce({ "kubernetes.io/ingress.allow-http": "false" }))).toEqual([]);
  });
});

describe("the committed stacks with facilitator:hostname", () => {
  const REGISTRY = releasedImages(["v1.2.3"]);
  const API_KEYS = { apiKeys: "fake-api-key-0123456789abcdef" };
  const violations = async (resources: ResourceUnderTest[]) =>
    (await runPolicies(policies, resources)).map((v) => `${v.policy}: ${v.message}`);

  it.each([
    ["staging", { hostname: "facilitator-staging.example.com" }],
    [
      "staging",
      { hostname: "facilitator-staging.example.com", cloudArmor: "true", certificateDnsAuthorization: "true" },
    ],
    [
      "staging",
      { hostname: "facilitator-staging.example.com", ingressClassName: "nginx", ingressClusterIssuer: "letsencrypt" },
    ],
    ["prod", { hostname: "facilitator.example.com" }],
  ] as [string, Record<string, string>][])(
    "%s %j passes the whole pack (prod with API keys)",
    async (stack, config) => {
      const run = await runStack({ stack, registry: REGISTRY, config, secrets: stack === "prod" ? API_KEYS : {} });
      expect(await violations(asPolicyInput(run))).toEqual([]);
    },
  );

  it("prod public, settling for real without API keys: open-settlement-not-exposed names the Gateway and its routes", async () => {
    const run = await runStack({ stack: "prod", registry: REGISTRY, config: { hostname: "facilitator.example.com" } });
    const found = await violations(asPolicyInput(run));
    expect(found).toEqual([
      expect.stringMatching(
        /^open-settlement-not-exposed: facilitator settles for real \(REAL_SETTLE=true\) with no API keys, and is reachable from outside: /,
      ),
    ]);
    for (const name of ["facilitator-gateway", "facilitator-route", "facilitator-http-redirect"])
      expect(found[0]).toContain(`a Gateway API resource (${name})`);
    const allowed = await runStack({
      stack: "prod",
      registry: REGISTRY,
      config: { hostname: "facilitator.example.com", allowOpenSettlement: "true" },
    });
    expect(await violations(asPolicyInput(allowed))).toEqual([]);
  });
});
