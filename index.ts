// The facilitator delivery program: `pulumi up --stack staging|prod`.
// Reads the stack config once, wires config → registry → image → deployment, returns what runs.
// Async so the image decision (resolve, build or fail) is made before anything depends on it.
import { kubernetesProvider } from "./components/cluster";
import { FACILITATOR_PORT, PROMOTE_ONLY_STACKS, loadConfig } from "./components/config";
import { FacilitatorDeployment } from "./components/deployment";
import { GithubDelivery } from "./components/githubDelivery";
import { FacilitatorImage, lookupImage } from "./components/image";
import { Monitoring } from "./components/monitoring";
import { Registry } from "./components/registry";

export = async () => {
  const cfg = loadConfig();

  // GitHub environments + keyless CI identity; their service accounts get registry access below.
  const delivery = cfg.delivery ? new GithubDelivery("delivery", { stack: cfg.stack, ...cfg.delivery }) : undefined;

  const registry = cfg.registry.create
    ? new Registry("facilitator", {
        project: cfg.registry.project,
        location: cfg.registry.location,
        repositoryId: cfg.registry.repository,
        writers: delivery ? [...cfg.registry.writers, delivery.deployerMember] : cfg.registry.writers,
        readers: delivery ? [...cfg.registry.readers, delivery.previewerMember] : cfg.registry.readers,
        untaggedRetentionDays: cfg.registry.untaggedRetentionDays,
      })
    : undefined;

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
  const image = new FacilitatorImage("facilitator", {
    ...where,
    action,
    ...(cfg.image.ghcr ? { ghcrOwner: cfg.image.ghcr.owner, ghcrToken: cfg.image.ghcr.token } : {}),
    ...(registry ? { registry } : {}),
  });

  const cluster = kubernetesProvider("cluster", cfg.kubernetes);
  const app = new FacilitatorDeployment(
    "facilitator",
    {
      namespace: cfg.kubernetes.namespace,
      instance: cfg.stack,
      imageRef: image.ref,
      replicas: cfg.kubernetes.replicas,
      privateKey: cfg.app.privateKey,
      rpcUrl: cfg.app.rpcUrl,
      usdcAddress: cfg.app.usdcAddress,
      realSettle: cfg.app.realSettle,
      ...cfg.kubernetes.resources,
      ingressNamespaces: cfg.kubernetes.ingressNamespaces,
      rpcEgressCidrs: cfg.kubernetes.rpcEgressCidrs,
      rpcPort: cfg.kubernetes.rpcPort,
    },
    { providers: [cluster] },
  );

  if (cfg.monitoring.enabled) {
    new Monitoring(
      "facilitator",
      {
        stack: cfg.stack,
        namespace: cfg.kubernetes.namespace,
        // The Deployment's pod selector (components/deployment.ts); a stack test keeps them equal.
        podSelector: { "app.kubernetes.io/name": "x402-facilitator", "app.kubernetes.io/instance": cfg.stack },
        metricsPort: FACILITATOR_PORT,
        replicas: cfg.kubernetes.replicas,
        notificationChannels: cfg.monitoring.notificationChannels,
        thresholds: cfg.monitoring.thresholds,
        ...(cfg.monitoring.project ? { project: cfg.monitoring.project } : {}),
      },
      { providers: [cluster], dependsOn: [app] },
    );
  }

  return {
    /** `<location>-docker.pkg.dev/<project>/<repository>/<image>` */
    imageRepository: image.repository,
    /** The release tag this stack runs (facilitator:imageTag). */
    imageTag: image.tag,
    /** `sha256:…` of the image the Deployment runs. */
    imageDigest: image.digest,
    /** `imageRepository@imageDigest`: exactly what the pods pull. */
    imageRef: image.ref,
    /** The Kubernetes namespace of this stack. */
    namespace: app.namespace,
  };
};
