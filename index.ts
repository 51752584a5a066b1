// The facilitator delivery program: `pulumi up --stack staging|prod|local`.
// Its table of contents: config → delivery → registry → image → target → monitoring. Two choices
// shape a stack: where the image comes from (the local registry or Artifact Registry) and where it
// runs (Kubernetes or one container on a Docker host).
// Async so the image decision (resolve, build or fail) is made before anything depends on it.
import * as gcp from "@pulumi/gcp";
import type * as k8s from "@pulumi/kubernetes";
import { PROMOTE_ONLY_STACKS, loadConfig, type FacilitatorConfig } from "./components/config";
import { GithubDelivery } from "./components/delivery";
import {
  REGISTRY_READER,
  REGISTRY_WRITER,
  Registry,
  RegistryAccess,
  configuredGrants,
  type RegistryGrant,
} from "./components/registry";
import {
  FacilitatorImage,
  LocalFacilitatorImage,
  artifactRegistryHost,
  lookupImage,
  lookupLocalImage,
} from "./components/image";
import {
  DockerDeployment,
  FacilitatorDeployment,
  GOOGLE_LB_SOURCE_RANGES,
  PublicEndpoint,
  dockerProvider,
  kubernetesProvider,
  markOpenSettlementAllowed,
  type DockerHostArgs,
  type PublicEndpointConfig,
} from "./components/runtime";
import { Monitoring } from "./components/monitoring";
import { FACILITATOR_PORT } from "./components/service";

type Image = FacilitatorImage | LocalFacilitatorImage;

export = async () => {
  const cfg = loadConfig();
  // GitHub environments + keyless CI identity; their service accounts get registry access below.
  const delivery = cfg.delivery ? new GithubDelivery("delivery", { stack: cfg.stack, ...cfg.delivery }) : undefined;
  const registry = cfg.registry.create ? artifactRegistry(cfg) : undefined;
  const image =
    cfg.docker.localRegistry !== undefined
      ? await localImage(cfg, cfg.docker.localRegistry)
      : await registryImage(cfg, registry, grantRegistryAccess(cfg, delivery, registry));

  switch (cfg.target) {
    case "kubernetes": {
      const cluster = kubernetesProvider("cluster", cfg.kubernetes);
      const app = runOnKubernetes(cfg, image, cluster);
      const endpoint = cfg.publicEndpoint ? servePublicEndpoint(cfg, cfg.publicEndpoint, app, cluster) : undefined;
      if (cfg.monitoring.enabled) monitor(cfg, app, cluster);
      return { ...imageOutputs(image), ...kubernetesOutputs(app, endpoint) };
    }
    case "docker": {
      const container = runOnDocker(cfg, image);
      return {
        ...imageOutputs(image),
        /** The container's name, `facilitator-<stack>`. */
        containerName: container.containerName,
      };
    }
  }
};

/** The Artifact Registry repository, on the stack that owns it (facilitator:registryCreate). */
function artifactRegistry(cfg: FacilitatorConfig): Registry {
  return new Registry("facilitator", {
    project: cfg.registry.project,
    location: cfg.registry.location,
    repositoryId: cfg.registry.repository,
    untaggedRetentionDays: cfg.registry.untaggedRetentionDays,
  });
}

/**
 * This stack's grants on the (shared) Artifact Registry repository, member by member: the members its
 * config names, and the CI identities it creates (the deployer writes where the stack builds, reads
 * where it only promotes). None when there is nobody to grant.
 */
function grantRegistryAccess(
  cfg: FacilitatorConfig,
  delivery: GithubDelivery | undefined,
  registry: Registry | undefined,
): RegistryAccess | undefined {
  const builds = cfg.image.build && !PROMOTE_ONLY_STACKS.includes(cfg.stack);
  const grants: RegistryGrant[] = [
    ...configuredGrants(REGISTRY_WRITER, cfg.registry.writers),
    ...configuredGrants(REGISTRY_READER, cfg.registry.readers),
    ...(delivery
      ? [
          {
            id: "ci-deployer",
            role: builds ? REGISTRY_WRITER : REGISTRY_READER,
            member: delivery.deployerMember,
          } satisfies RegistryGrant,
          { id: "ci-previewer", role: REGISTRY_READER, member: delivery.previewerMember } satisfies RegistryGrant,
        ]
      : []),
  ];
  if (grants.length === 0) return undefined;
  const where = {
    project: cfg.registry.project,
    location: cfg.registry.location,
    repositoryId: cfg.registry.repository,
  };
  return new RegistryAccess("registry", { ...where, grants }, registry ? { dependsOn: [registry] } : {});
}

/** The local tag policy (facilitator:localRegistry): built from the working tree into a registry next to the engine. */
async function localImage(cfg: FacilitatorConfig, registry: string): Promise<LocalFacilitatorImage> {
  const action = await lookupLocalImage({
    stack: cfg.stack,
    registry,
    imageName: cfg.image.name,
    requested: cfg.image.tag,
    mayBuild: cfg.image.build,
    contextDir: ".",
  });
  return new LocalFacilitatorImage("facilitator", { registry, imageName: cfg.image.name, action, contextDir: "." });
}

/** Artifact Registry's resolve, build or fail. */
async function registryImage(
  cfg: FacilitatorConfig,
  registry: Registry | undefined,
  access: RegistryAccess | undefined,
): Promise<FacilitatorImage> {
  const where = {
    project: cfg.registry.project,
    location: cfg.registry.location,
    repositoryId: cfg.registry.repository,
    imageName: cfg.image.name,
    tag: cfg.image.tag,
    contextDir: ".",
  };
  const action = await lookupImage({
    ...where,
    stack: cfg.stack,
    mayBuild: cfg.image.build,
    promoteOnly: PROMOTE_ONLY_STACKS.includes(cfg.stack),
    createsRepository: cfg.registry.create,
  });
  return new FacilitatorImage("facilitator", {
    ...where,
    action,
    ...(cfg.image.ghcr ? { ghcrOwner: cfg.image.ghcr.owner, ghcrToken: cfg.image.ghcr.token } : {}),
    // The push waits for the repository and for the grants that let CI push to it.
    after: [registry, access].filter((r): r is Registry | RegistryAccess => r !== undefined),
  });
}

/** facilitator:target kubernetes: the hardened Deployment, its Service and NetworkPolicy in the stack's namespace. */
function runOnKubernetes(cfg: FacilitatorConfig, image: Image, cluster: k8s.Provider): FacilitatorDeployment {
  return new FacilitatorDeployment(
    "facilitator",
    {
      namespace: cfg.kubernetes.namespace,
      instance: cfg.stack,
      imageRef: image.ref,
      replicas: cfg.kubernetes.replicas,
      ...cfg.app,
      ...cfg.kubernetes.resources,
      ingressNamespaces: cfg.kubernetes.ingressNamespaces,
      // Behind GKE's Gateway the load balancer reaches the pods from Google's ranges (an Ingress
      // controller's namespace is admitted through ingressNamespaces instead).
      ...(cfg.publicEndpoint?.kind === "gateway" ? { loadBalancerSourceRanges: GOOGLE_LB_SOURCE_RANGES } : {}),
      rpcEgressCidrs: cfg.kubernetes.rpcEgressCidrs,
      rpcPort: cfg.kubernetes.rpcPort,
    },
    // The allowance is an annotation the policy pack reads (it sees resources, not config).
    { providers: [cluster], ...(cfg.allowOpenSettlement ? { transformations: [markOpenSettlementAllowed] } : {}) },
  );
}

/**
 * facilitator:hostname: https://<hostname> in front of the Service. Its Google Cloud resources
 * (address, certificate, Cloud Armor) are the operator's to apply: the CI deployer may change the workload only.
 */
function servePublicEndpoint(
  cfg: FacilitatorConfig,
  endpoint: PublicEndpointConfig,
  app: FacilitatorDeployment,
  cluster: k8s.Provider,
): PublicEndpoint {
  return new PublicEndpoint(
    "facilitator",
    {
      stack: cfg.stack,
      endpoint,
      namespace: app.namespace,
      serviceName: app.serviceName,
      servicePort: FACILITATOR_PORT,
      labels: {
        ...app.podSelector,
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/part-of": "facilitator-deploy",
      },
    },
    { providers: [cluster], dependsOn: [app] },
  );
}

/** Managed Prometheus scraping, alert policies and dashboard (facilitator:monitoringEnabled; Kubernetes on Google Cloud). */
function monitor(cfg: FacilitatorConfig, app: FacilitatorDeployment, cluster: k8s.Provider): Monitoring {
  return new Monitoring(
    "facilitator",
    {
      stack: cfg.stack,
      namespace: cfg.kubernetes.namespace,
      podSelector: app.podSelector,
      metricsPort: FACILITATOR_PORT,
      replicas: cfg.kubernetes.replicas,
      notificationChannels: cfg.monitoring.notificationChannels,
      thresholds: cfg.monitoring.thresholds,
      ...(cfg.monitoring.project ? { project: cfg.monitoring.project } : {}),
    },
    { providers: [cluster], dependsOn: [app] },
  );
}

/** facilitator:target docker: one hardened container on the stack's Docker host. */
function runOnDocker(cfg: FacilitatorConfig, image: Image): DockerDeployment {
  // The engine pulls from Artifact Registry with the deployer's short-lived token; the local registry needs none.
  const registryAuth: DockerHostArgs["registryAuth"] =
    cfg.docker.localRegistry === undefined
      ? {
          address: artifactRegistryHost(cfg.registry.location),
          username: "oauth2accesstoken",
          password: gcp.organizations.getClientConfigOutput().accessToken,
        }
      : undefined;
  const engine = dockerProvider("docker", {
    ...(cfg.docker.host !== undefined ? { host: cfg.docker.host } : {}),
    ...(registryAuth ? { registryAuth } : {}),
  });
  return new DockerDeployment(
    "facilitator",
    {
      instance: cfg.stack,
      imageRef: image.ref,
      ...cfg.app,
      network: cfg.docker.network,
      publishAddress: cfg.docker.publishAddress,
      publishPort: cfg.docker.publishPort,
      logMaxSize: cfg.docker.logMaxSize,
      logMaxFiles: cfg.docker.logMaxFiles,
      ...cfg.docker.resources,
      openSettlementAllowed: cfg.allowOpenSettlement,
    },
    { providers: [engine] },
  );
}

/** The stack outputs that say what runs, the same for every target. */
function imageOutputs(image: Image) {
  return {
    /** `<location>-docker.pkg.dev/<project>/<repository>/<image>` (local: `<registry>/<image>`) */
    imageRepository: image.repository,
    /** The release tag this stack runs (facilitator:imageTag; HEAD resolved to sha-<short>). */
    imageTag: image.tag,
    /** `sha256:…` of the image that runs. */
    imageDigest: image.digest,
    /** `imageRepository@imageDigest`: exactly what the pods or the container pull. */
    imageRef: image.ref,
  };
}

/** The Kubernetes target's outputs: where the pods run, and the public endpoint if any. */
function kubernetesOutputs(app: FacilitatorDeployment, endpoint: PublicEndpoint | undefined) {
  return {
    /** The Kubernetes namespace of this stack. */
    namespace: app.namespace,
    /** `https://<facilitator:hostname>`, "" for an internal-only stack (the release smoke test's target when set). */
    url: endpoint ? endpoint.url : "",
    /** The address the hostname's DNS record points at ("" without a hostname). */
    ipAddress: endpoint ? endpoint.ipAddress : "",
    /** The DNS records to create for the hostname (A, and the certificate's CNAME with certificateDnsAuthorization). */
    dnsRecords: endpoint ? endpoint.dnsRecords : [],
  };
}
