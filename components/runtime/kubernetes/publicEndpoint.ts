// The facilitator's public HTTPS endpoint (facilitator:hostname): `https://<hostname>` in front of
// the ClusterIP Service, only the API paths routed, plain HTTP redirected.
// - Gateway (the default): a gke-l7-global-external-managed Gateway on a reserved global address,
//   a Google-managed certificate from Certificate Manager, the HTTPRoutes, the load balancer's
//   health check (HealthCheckPolicy) and backend settings (GCPBackendPolicy, optionally with a
//   Cloud Armor rate limit).
// - Ingress (facilitator:ingressClassName): an Ingress for a controller the cluster already runs,
//   with its TLS secret (or cert-manager's issuer annotation).
// The Google Cloud resources use the stack's default gcp provider, the Kubernetes ones the cluster
// provider given in `opts`. Specs and names come from publicEndpointPlan.ts.
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  CERTMAP_ANNOTATION,
  GATEWAY_API_VERSION,
  GKE_POLICY_API_VERSION,
  K8S_NAMES,
  backendPolicySpec,
  endpointUrl,
  gatewaySpec,
  gcpNames,
  healthCheckPolicySpec,
  httpRedirectRouteSpec,
  httpsRouteSpec,
  ingressManifest,
  securityPolicyRules,
  type DnsRecord,
  type GatewayEndpoint,
  type IngressEndpoint,
  type PublicEndpointConfig,
} from "./publicEndpointPlan";

export interface PublicEndpointArgs {
  /** The stack: part of the Google Cloud resource names. */
  stack: string;
  endpoint: PublicEndpointConfig;
  namespace: pulumi.Input<string>;
  /** The facilitator's ClusterIP Service and its port. */
  serviceName: pulumi.Input<string>;
  servicePort: number;
  labels: Record<string, string>;
}

export class PublicEndpoint extends pulumi.ComponentResource {
  /** `https://<hostname>` */
  public readonly url: pulumi.Output<string>;
  /** The address the hostname's A record points at ("" until an Ingress controller reports one). */
  public readonly ipAddress: pulumi.Output<string>;
  /** The records to create at the DNS provider: the A record, and the DNS authorization's CNAME if any. */
  public readonly dnsRecords: pulumi.Output<DnsRecord[]>;

  constructor(name: string, args: PublicEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:PublicEndpoint", name, {}, opts);
    const built =
      args.endpoint.kind === "gateway"
        ? this.gateway(name, args, args.endpoint)
        : this.ingress(name, args, args.endpoint);
    this.url = pulumi.output(endpointUrl(args.endpoint.hostname));
    this.ipAddress = built.ipAddress;
    this.dnsRecords = built.dnsRecords;
    this.registerOutputs({ url: this.url, ipAddress: this.ipAddress, dnsRecords: this.dnsRecords });
  }

  private gateway(name: string, args: PublicEndpointArgs, endpoint: GatewayEndpoint) {
    const names = gcpNames(args.stack, endpoint.hostname);
    const parent = { parent: this };
    // Per-hostname resources name their hostname; the others (address, map, Cloud Armor) stay the
    // same when it changes, description included.
    const description = `x402 facilitator, stack ${args.stack}`;
    const hostDescription = `${description} (facilitator:hostname ${endpoint.hostname})`;

    const address = new gcp.compute.GlobalAddress(
      `${name}-address`,
      { name: names.address, description, addressType: "EXTERNAL", ipVersion: "IPV4" },
      parent,
    );

    // Certificate Manager: a Google-managed certificate for the hostname, in a map the Gateway names.
    const dnsAuthorization = endpoint.dnsAuthorization
      ? new gcp.certificatemanager.DnsAuthorization(
          `${name}-dns-authorization`,
          {
            name: names.dnsAuthorization,
            description: hostDescription,
            domain: endpoint.hostname,
            location: "global",
            type: "FIXED_RECORD",
          },
          parent,
        )
      : undefined;
    const certificate = new gcp.certificatemanager.Certificate(
      `${name}-certificate`,
      {
        name: names.certificate,
        description: hostDescription,
        location: "global",
        scope: "DEFAULT",
        managed: {
          domains: [endpoint.hostname],
          ...(dnsAuthorization ? { dnsAuthorizations: [dnsAuthorization.id] } : {}),
        },
      },
      parent,
    );
    const certificateMap = new gcp.certificatemanager.CertificateMap(
      `${name}-certificate-map`,
      { name: names.certificateMap, description },
      parent,
    );
    const mapEntry = new gcp.certificatemanager.CertificateMapEntry(
      `${name}-certificate-map-entry`,
      {
        name: names.certificateMapEntry,
        description: hostDescription,
        map: certificateMap.name,
        hostname: endpoint.hostname,
        certificates: [certificate.id],
      },
      parent,
    );

    const securityPolicy = endpoint.cloudArmor
      ? new gcp.compute.SecurityPolicy(
          `${name}-security-policy`,
          {
            name: names.securityPolicy,
            description,
            type: "CLOUD_ARMOR",
            rules: securityPolicyRules(endpoint.cloudArmor.requestsPerMinute),
          },
          parent,
        )
      : undefined;

    const metadata = (objectName: string, annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>) => ({
      name: objectName,
      namespace: args.namespace,
      labels: args.labels,
      ...(annotations !== undefined ? { annotations } : {}),
    });

    const gateway = new k8s.apiextensions.CustomResource(
      `${name}-gateway`,
      {
        apiVersion: GATEWAY_API_VERSION,
        kind: "Gateway",
        metadata: metadata(K8S_NAMES.gateway, { [CERTMAP_ANNOTATION]: certificateMap.name }),
        spec: gatewaySpec(names.address),
      },
      // The controller looks the address and the map entry up by name: both exist first.
      { parent: this, dependsOn: [address, mapEntry] },
    );
    const spec = pulumi.output(args.serviceName).apply((serviceName) => ({
      route: httpsRouteSpec(endpoint.hostname, K8S_NAMES.gateway, serviceName, args.servicePort),
      healthCheck: healthCheckPolicySpec(serviceName, args.servicePort),
      backend: backendPolicySpec(serviceName, securityPolicy ? names.securityPolicy : undefined),
    }));
    new k8s.apiextensions.CustomResource(
      `${name}-route`,
      { apiVersion: GATEWAY_API_VERSION, kind: "HTTPRoute", metadata: metadata(K8S_NAMES.route), spec: spec.route },
      { parent: this, dependsOn: [gateway] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-http-redirect`,
      {
        apiVersion: GATEWAY_API_VERSION,
        kind: "HTTPRoute",
        metadata: metadata(K8S_NAMES.redirect),
        spec: httpRedirectRouteSpec(endpoint.hostname, K8S_NAMES.gateway),
      },
      { parent: this, dependsOn: [gateway] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-health-check`,
      {
        apiVersion: GKE_POLICY_API_VERSION,
        kind: "HealthCheckPolicy",
        metadata: metadata(K8S_NAMES.healthCheck),
        spec: spec.healthCheck,
      },
      parent,
    );
    new k8s.apiextensions.CustomResource(
      `${name}-backend-policy`,
      {
        apiVersion: GKE_POLICY_API_VERSION,
        kind: "GCPBackendPolicy",
        metadata: metadata(K8S_NAMES.backendPolicy),
        spec: spec.backend,
      },
      { parent: this, ...(securityPolicy ? { dependsOn: [securityPolicy] } : {}) },
    );

    const records: pulumi.Output<DnsRecord[]> = pulumi
      .all([address.address, dnsAuthorization ? dnsAuthorization.dnsResourceRecords : pulumi.output([])])
      .apply(([ip, authorization]) => [
        { name: `${endpoint.hostname}.`, type: "A", data: ip ?? "" },
        ...(authorization ?? []).map((r) => ({ name: r.name, type: r.type, data: r.data })),
      ]);
    return { ipAddress: address.address.apply((ip) => ip ?? ""), dnsRecords: records };
  }

  private ingress(name: string, args: PublicEndpointArgs, endpoint: IngressEndpoint) {
    const manifest = pulumi
      .output(args.serviceName)
      .apply((serviceName) => ingressManifest(endpoint, serviceName, args.servicePort));
    const ingress = new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: {
          name: K8S_NAMES.ingress,
          namespace: args.namespace,
          labels: args.labels,
          annotations: manifest.annotations,
        },
        spec: manifest.spec,
      },
      { parent: this },
    );
    // The controller's address, once it reports one (Pulumi waits for it on create).
    const ipAddress = ingress.status.apply((status) => {
      const first = status?.loadBalancer?.ingress?.[0];
      return first?.ip ?? first?.hostname ?? "";
    });
    const dnsRecords = ipAddress.apply((ip): DnsRecord[] =>
      ip === "" ? [] : [{ name: `${endpoint.hostname}.`, type: /^[\d.]+$/.test(ip) ? "A" : "CNAME", data: ip }],
    );
    return { ipAddress, dnsRecords };
  }
}
