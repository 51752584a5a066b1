// A public endpoint serves HTTPS only: plain HTTP may answer with a redirect to HTTPS and nothing
// else, and every HTTPS listener or Ingress host has a certificate. API keys travel as bearer
// tokens and payment payloads carry signatures: neither may cross the internet in clear text.
//
// What counts, per kind of way in:
// - Gateway API: an HTTP listener may only carry HTTPRoutes whose every rule is a RequestRedirect
//   to scheme https (https://gateway-api.sigs.k8s.io/guides/http-redirect-rewrite); a route without
//   sectionName or port attaches to every listener of its Gateway
//   (https://gateway-api.sigs.k8s.io/reference/spec/#parentreference). An HTTPS listener needs a
//   certificate: tls.certificateRefs, GKE's tls.options, or the Gateway's Certificate Manager map
//   annotation networking.gke.io/certmap (https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway).
//   TCP and UDP listeners are plain text.
// - Ingress: every rule names a host and a TLS entry with a secret covers it; no default backend
//   (it answers any host). ingress-nginx redirects HTTP to HTTPS once TLS is set unless
//   nginx.ingress.kubernetes.io/ssl-redirect is "false"
//   (https://kubernetes.github.io/ingress-nginx/user-guide/tls/, "Server-side HTTPS enforcement");
//   GKE's own Ingress (class gce) serves port 80 unless kubernetes.io/ingress.allow-http is "false"
//   (https://cloud.google.com/kubernetes-engine/docs/concepts/ingress-xlb, "Disabling HTTP").
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { stackOfUrn } from "./resources";
import type { ObjectMeta } from "./workloads";

const GATEWAY = /^kubernetes:gateway\.networking\.k8s\.io\/[^:]+:Gateway$/;
const HTTP_ROUTE = /^kubernetes:gateway\.networking\.k8s\.io\/[^:]+:HTTPRoute$/;
const INGRESS = /^kubernetes:(networking\.k8s\.io|extensions)\/v1(beta1)?:Ingress$/;

export const CERTMAP_ANNOTATION = "networking.gke.io/certmap";
/** GKE Gateway tls.options that name Google Cloud certificates. */
const GKE_CERTIFICATE_OPTIONS = ["networking.gke.io/pre-shared-certs", "networking.gke.io/cert-manager-certs"];
const NGINX_SSL_REDIRECT = "nginx.ingress.kubernetes.io/ssl-redirect";
const GKE_ALLOW_HTTP = "kubernetes.io/ingress.allow-http";
const INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";
const GKE_INGRESS_CLASSES = ["gce", "gce-internal"];

interface Listener {
  name?: string;
  protocol?: string;
  port?: number;
  tls?: { mode?: string; certificateRefs?: unknown[]; options?: Record<string, string> };
}
interface Gateway {
  metadata?: ObjectMeta;
  spec?: { listeners?: Listener[] };
}
interface ParentRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}
interface RouteRule {
  filters?: { type?: string; requestRedirect?: { scheme?: string } }[];
  backendRefs?: unknown[];
}
interface HttpRoute {
  metadata?: ObjectMeta;
  spec?: { parentRefs?: ParentRef[]; rules?: RouteRule[] };
}
interface Ingress {
  metadata?: ObjectMeta;
  spec?: {
    ingressClassName?: string;
    defaultBackend?: unknown;
    tls?: { hosts?: string[]; secretName?: string }[];
    rules?: { host?: string }[];
  };
}

const propsOf = <T>(resource: PolicyResource): T => resource.props as T;

/** Same namespace, where both are known (a preview may not know one yet). */
function sameNamespace(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

/** Every rule of the route answers with a redirect to https and forwards nothing. */
export function redirectsToHttps(route: HttpRoute): boolean {
  const rules = route.spec?.rules ?? [];
  return (
    rules.length > 0 &&
    rules.every(
      (rule) =>
        (rule.backendRefs ?? []).length === 0 &&
        (rule.filters ?? []).some((f) => f.type === "RequestRedirect" && f.requestRedirect?.scheme === "https"),
    )
  );
}

/** The listeners of `gateway` a parent reference attaches to (sectionName, else port, else all). */
function attachedListeners(ref: ParentRef, gateway: Gateway): Listener[] {
  const listeners = gateway.spec?.listeners ?? [];
  if (ref.sectionName !== undefined) return listeners.filter((l) => l.name === ref.sectionName);
  if (ref.port !== undefined) return listeners.filter((l) => l.port === ref.port);
  return listeners;
}

function hasCertificate(listener: Listener, gateway: Gateway): boolean {
  if ((listener.tls?.certificateRefs ?? []).length > 0) return true;
  if (GKE_CERTIFICATE_OPTIONS.some((option) => (listener.tls?.options?.[option] ?? "") !== "")) return true;
  return (gateway.metadata?.annotations?.[CERTMAP_ANNOTATION] ?? "") !== "";
}

/** The problems of each Gateway's listeners, and of the routes attached to its HTTP listeners. */
export function gatewayProblems(resources: PolicyResource[]): { resource: PolicyResource; problem: string }[] {
  const gateways = resources.filter((r) => GATEWAY.test(r.type));
  const routes = resources.filter((r) => HTTP_ROUTE.test(r.type));
  const found: { resource: PolicyResource; problem: string }[] = [];
  for (const resource of gateways) {
    const gateway = propsOf<Gateway>(resource);
    for (const listener of gateway.spec?.listeners ?? []) {
      const protocol = listener.protocol ?? "";
      if (protocol === "HTTPS" && listener.tls?.mode !== "Passthrough" && !hasCertificate(listener, gateway)) {
        found.push({
          resource,
          problem: `Gateway ${resource.name}: listener ${listener.name ?? "?"} serves HTTPS without a certificate (tls.certificateRefs, or the ${CERTMAP_ANNOTATION} annotation naming a Certificate Manager map)`,
        });
      } else if (protocol === "TCP" || protocol === "UDP") {
        found.push({
          resource,
          problem: `Gateway ${resource.name}: listener ${listener.name ?? "?"} serves plain ${protocol} on port ${listener.port ?? "?"}; serve HTTPS only`,
        });
      }
    }
  }
  for (const resource of routes) {
    const route = propsOf<HttpRoute>(resource);
    if (redirectsToHttps(route)) continue;
    const routeNamespace = route.metadata?.namespace;
    for (const ref of route.spec?.parentRefs ?? []) {
      if (
        (ref.group ?? "gateway.networking.k8s.io") !== "gateway.networking.k8s.io" ||
        (ref.kind ?? "Gateway") !== "Gateway"
      )
        continue;
      const parent = gateways.find((g) => {
        const gateway = propsOf<Gateway>(g);
        return (
          gateway.metadata?.name === ref.name &&
          sameNamespace(gateway.metadata?.namespace, ref.namespace ?? routeNamespace)
        );
      });
      if (parent === undefined) continue;
      const plain = attachedListeners(ref, propsOf<Gateway>(parent)).filter((l) => l.protocol === "HTTP");
      for (const listener of plain) {
        found.push({
          resource,
          problem:
            `HTTPRoute ${resource.name} serves plain HTTP: it attaches to listener ${listener.name ?? "?"} (HTTP, port ${listener.port ?? "?"}) of Gateway ${parent.name} ` +
            "and forwards requests instead of redirecting them (attach it to the HTTPS listener with sectionName, and answer HTTP with a RequestRedirect to scheme https)",
        });
      }
    }
  }
  return found;
}

/** One-label wildcard match, as Ingress TLS hosts match rule hosts. */
function covers(tlsHost: string, host: string): boolean {
  if (tlsHost === host) return true;
  return (
    tlsHost.startsWith("*.") &&
    host.split(".").slice(1).join(".") === tlsHost.slice(2) &&
    host.split(".").length === tlsHost.split(".").length
  );
}

export function ingressProblems(name: string, ingress: Ingress): string[] {
  const problems: string[] = [];
  const annotations = ingress.metadata?.annotations ?? {};
  const tls = (ingress.spec?.tls ?? []).filter((t) => (t.secretName ?? "") !== "");
  if (ingress.spec?.defaultBackend !== undefined)
    problems.push(
      `Ingress ${name} has a default backend, which answers any host name, without TLS for it; route named hosts only`,
    );
  for (const rule of ingress.spec?.rules ?? []) {
    if ((rule.host ?? "") === "") {
      problems.push(`Ingress ${name} has a rule without a host, which no TLS entry can cover; name the host`);
    } else if (!tls.some((t) => (t.hosts ?? []).some((h) => covers(h, rule.host!)))) {
      problems.push(
        `Ingress ${name} serves ${rule.host} without TLS: add a tls entry with a secretName for it (or a cert-manager issuer annotation that fills it)`,
      );
    }
  }
  if (annotations[NGINX_SSL_REDIRECT] === "false")
    problems.push(`Ingress ${name} turns ingress-nginx's HTTP to HTTPS redirect off (${NGINX_SSL_REDIRECT}: "false")`);
  const className = ingress.spec?.ingressClassName ?? annotations[INGRESS_CLASS_ANNOTATION] ?? "";
  if (GKE_INGRESS_CLASSES.includes(className) && annotations[GKE_ALLOW_HTTP] !== "false") {
    problems.push(
      `Ingress ${name} (class ${className}) also serves plain HTTP on port 80 unless ${GKE_ALLOW_HTTP} is "false"`,
    );
  }
  return problems;
}

export const publicEndpointHttpsOnly: StackValidationPolicy = {
  name: "public-endpoint-https-only",
  description:
    "A stack reachable from outside serves HTTPS only: Gateway HTTP listeners only redirect to HTTPS, HTTPS listeners have a certificate, no plain TCP/UDP listener; every Ingress host is covered by TLS and its controller's redirect is not turned off.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, reportViolation) => {
    const where = (resource: PolicyResource) => ` (stack ${stackOfUrn(resource.urn)})`;
    for (const { resource, problem } of gatewayProblems(args.resources))
      reportViolation(`${problem}${where(resource)}.`, resource.urn);
    for (const resource of args.resources.filter((r) => INGRESS.test(r.type))) {
      for (const problem of ingressProblems(resource.name, propsOf<Ingress>(resource)))
        reportViolation(`${problem}${where(resource)}.`, resource.urn);
    }
  },
};
