// The stack config contract: every `facilitator:*` key, read once, validated, typed.
// index.ts calls loadConfig(); components get plain typed sections and never read pulumi.Config.
//
// Keys are flat camelCase (so `pulumi config set --path 'facilitator:registryReaders[0]' …`
// works for lists); `ghcr.owner` / `ghcr.token` keep the names the issue fixed (scalars, no --path).
// Defaults live in one place, Pulumi.yaml's `config:` block, which the Pulumi CLI applies before
// the program runs. Adding a concern = one interface, one read<Section>() and one line in readConfig().
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { ConfigError, ConfigReader, type RawConfig } from "./configReader";
import { readPublicEndpoint } from "./publicEndpointConfig";
import {
  bucketNamesStack,
  bucketOfBackendUrl,
  reachesEveryBucket,
  stackStateBucketName,
  type GithubDeliveryArgs,
} from "../delivery";
import { polToWei, type AlertThresholds } from "../monitoring";
import type { PublicEndpointConfig } from "../runtime";

export const CONFIG_NAMESPACE = "facilitator";
/** Stacks that only promote: they deploy what staging built and never build themselves. */
export const PROMOTE_ONLY_STACKS: readonly string[] = ["prod"];

export interface ImageConfig {
  /** The release to run, `vX.Y.Z`: the single source of truth of what runs. */
  tag: string;
  /** Image name inside the repository, e.g. `x402-facilitator-amoy`. */
  name: string;
  /** Whether this stack may build and push a tag missing from the registry. */
  build: boolean;
  /** Optional second push target: ghcr.io/<owner>/<name>. */
  ghcr?: { owner: string; token: pulumi.Output<string> };
}

export interface RegistryConfig {
  project: string;
  location: string;
  repository: string;
  /** This stack owns (creates) the Artifact Registry repository; other stacks only read it. */
  create: boolean;
  /** IAM members with roles/artifactregistry.writer (CI identities that push). */
  writers: string[];
  /** IAM members with roles/artifactregistry.reader (cluster node service accounts). */
  readers: string[];
  /** Untagged image versions older than this are deleted by the cleanup policy. */
  untaggedRetentionDays: number;
}

/** What the facilitator process gets as environment. */
export interface AppConfig {
  /** One signer (FACILITATOR_PRIVATE_KEY); unset when signerKeys is set (the service takes exactly one of the two). */
  privateKey?: pulumi.Output<string>;
  /** A signer pool, comma-separated keys (FACILITATOR_PRIVATE_KEYS); unset when privateKey is set. */
  signerKeys?: pulumi.Output<string>;
  rpcUrl: pulumi.Output<string>;
  usdcAddress: string;
  realSettle: boolean;
  /** Bearer tokens /verify and /settle require, comma-separated (FACILITATOR_API_KEYS); unset: open. */
  apiKeys?: pulumi.Output<string>;
  /** Below this signer balance in wei the service reports its dependencies unhealthy (MIN_SIGNER_BALANCE_WEI); unset: the service's 0.01 POL. */
  minSignerBalanceWei?: string;
}

/** The facilitator container's CPU and memory, as Kubernetes quantities; the same keys on both targets. */
export interface ContainerResources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
}

export interface KubernetesConfig {
  namespace: string;
  replicas: number;
  /** Kubeconfig contents (secret); unset means the ambient kubeconfig. */
  kubeconfig?: pulumi.Output<string>;
  /** Context inside the kubeconfig; unset means its current context. */
  context?: string;
  /** Requests and limits of the facilitator's container. */
  resources: ContainerResources;
  /** Namespaces whose pods may reach the facilitator on its port (ingress controller, monitoring). */
  ingressNamespaces: string[];
  /** Where the RPC endpoint may be (egress), and its TCP port. */
  rpcEgressCidrs: string[];
  rpcPort: number;
}

/** Managed Prometheus scraping, alert policies and dashboard (Google Cloud only). */
export interface MonitoringConfig {
  /** Off for clusters outside Google Cloud: no PodMonitoring, alerts or dashboard. */
  enabled: boolean;
  /** GCP project of the alert policies and dashboard; unset means the gcp provider's project. */
  project?: string;
  /** Cloud Monitoring notification channels (`projects/<p>/notificationChannels/<id>`). */
  notificationChannels: string[];
  thresholds: AlertThresholds;
}

/**
 * Delivery through GitHub Actions (components/delivery/githubDelivery.ts): GitHub environments and the keyless
 * CI identity. Unset when facilitator:githubManage is false (stacks outside GitHub/GCP).
 */
export type DeliveryConfig = Omit<GithubDeliveryArgs, "stack">;

/** Where the facilitator runs: a Kubernetes cluster, or one container on a Docker host. */
export const DEPLOY_TARGETS = ["kubernetes", "docker"] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

/** The docker target (components/runtime/docker/dockerDeployment.ts). Read for every stack; used when target is docker. */
export interface DockerConfig {
  /** Docker host (`ssh://user@vps`, `unix:///…`, `tcp://…`); unset means the ambient engine (DOCKER_HOST). */
  host?: string;
  /** "bridge": port published on publishAddress:publishPort; "host": the host's network, no mapping. */
  network: "bridge" | "host";
  publishAddress: string;
  publishPort: number;
  /** json-file log rotation. */
  logMaxSize: string;
  logMaxFiles: number;
  /** The container's limits (Docker has no requests): facilitator:cpuLimit and memoryLimit, as on Kubernetes. */
  resources: Pick<ContainerResources, "cpuLimit" | "memoryLimit">;
  /**
   * A plain-HTTP registry next to the engine (127.0.0.1:5000). Set, the stack uses the `local` tag
   * policy: images are built from the working tree and pushed there, no Artifact Registry involved.
   */
  localRegistry?: string;
}

export interface FacilitatorConfig {
  stack: string;
  target: DeployTarget;
  docker: DockerConfig;
  image: ImageConfig;
  registry: RegistryConfig;
  app: AppConfig;
  kubernetes: KubernetesConfig;
  monitoring: MonitoringConfig;
  delivery?: DeliveryConfig;
  /** facilitator:hostname and what shapes it: `https://<hostname>` in front of the Service; unset: internal only. */
  publicEndpoint?: PublicEndpointConfig;
  /** The operator accepts open mode (no API keys) with real settlement on an exposed stack (a marker for the policy pack). */
  allowOpenSettlement: boolean;
}

const SEMVER_TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** The `local` tag policy also admits a commit's tag and HEAD (the working tree's commit). */
const LOCAL_TAG = /^(HEAD|sha-[0-9a-f]{7,40})$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IAM_MEMBER = /^(serviceAccount|user|group|domain|principal|principalSet):\S+$/;
const CPU = /^(\d+m|\d+(\.\d+)?)$/;
const MEMORY = /^\d+(Ki|Mi|Gi)$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;

function readImage(r: ConfigReader, stack: string, localTags: boolean): ImageConfig {
  const tag = localTags
    ? r.string("imageTag", {
        expected: "a release tag like v1.2.3, a commit tag like sha-1a2b3c4, or HEAD (local tag policy)",
        example: "HEAD",
        pattern: new RegExp(`${SEMVER_TAG.source}|${LOCAL_TAG.source}`),
      })
    : r.string("imageTag", { expected: "a semver release tag like v1.2.3", example: "v1.2.3", pattern: SEMVER_TAG });
  const name = r.string("imageName", {
    expected: "an image name (lowercase letters, digits, '-', '_', '.')",
    example: "x402-facilitator-amoy",
    pattern: /^[a-z0-9]+([._-][a-z0-9]+)*$/,
  });
  const build = r.boolean("build", { example: "false" });
  if (build && PROMOTE_ONLY_STACKS.includes(stack)) {
    r.problem(
      "build",
      { expected: "false", example: "false" },
      `stack ${stack} never builds: it deploys the digest staging built and pushed`,
    );
  }
  const owner = r.optionalString("ghcr.owner", {
    expected: "a GitHub user or organization name",
    example: "my-org",
    pattern: /^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$/,
  });
  const tokenSpec = { expected: "a GitHub token with write:packages", example: "the token" };
  const token = r.optionalSecret("ghcr.token", { ...tokenSpec, valid: (v) => v.trim().length > 0 });
  if (owner !== undefined && token === undefined) {
    r.problem("ghcr.token", { ...tokenSpec, secret: true }, "it is not set but facilitator:ghcr.owner is");
  }
  return {
    tag,
    name,
    build,
    ...(owner !== undefined && token !== undefined
      ? { ghcr: { owner: owner.toLowerCase(), token: pulumi.secret(token) } }
      : {}),
  };
}

function readRegistry(r: ConfigReader, localRegistry: boolean): RegistryConfig {
  const projectSpec = {
    expected: "the GCP project id that holds the Artifact Registry repository",
    example: "x402-facilitator-staging",
    pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
  };
  return {
    // A stack on a local registry needs no Artifact Registry.
    project: localRegistry
      ? (r.optionalString("registryProject", projectSpec) ?? "")
      : r.string("registryProject", projectSpec),
    location: r.string("registryLocation", {
      expected: "an Artifact Registry location (a region like europe-west1, or us/europe/asia)",
      example: "europe-west1",
      pattern: /^([a-z]+-[a-z]+\d+|us|europe|asia)$/,
    }),
    repository: r.string("registryRepository", {
      expected: "a repository id (lowercase letters, digits, '-')",
      example: "facilitator",
      pattern: /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
    }),
    create: r.boolean("registryCreate", { example: "true" }),
    writers: r.list("registryWriters", {
      expected: "a list of IAM members (serviceAccount:…, group:…, principalSet:…)",
      example: "serviceAccount:ci-staging@x402-facilitator-staging.iam.gserviceaccount.com",
      pattern: IAM_MEMBER,
    }),
    readers: r.list("registryReaders", {
      expected: "a list of IAM members (the clusters' node service accounts)",
      example: "serviceAccount:gke-nodes@x402-facilitator-prod.iam.gserviceaccount.com",
      pattern: IAM_MEMBER,
    }),
    untaggedRetentionDays: r.integer("untaggedRetentionDays", { example: "14", min: 1, max: 365 }),
  };
}

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;
/** What the service accepts in FACILITATOR_API_KEYS: each key 16-256 printable characters, no spaces. */
const API_KEY = /^[\x21-\x7e]{16,256}$/;

/** Comma-separated entries, trimmed (the service splits and trims the same way). */
function commaList(value: string): string[] {
  return value.split(",").map((entry) => entry.trim());
}

function readApp(r: ConfigReader): AppConfig {
  // The service takes one signer (FACILITATOR_PRIVATE_KEY) or a pool (FACILITATOR_PRIVATE_KEYS),
  // never both: it refuses to start with both set, so the stack refuses first.
  const signerKeys = r.optionalSecret("signerKeys", {
    expected: "a signer pool: distinct private keys, comma-separated, each 0x followed by 64 hex digits",
    example: "the 0x…,0x… keys",
    valid: (v) => {
      const keys = commaList(v);
      return keys.every((k) => PRIVATE_KEY.test(k)) && new Set(keys.map((k) => k.toLowerCase())).size === keys.length;
    },
  });
  const privateKeySpec = {
    expected: "the facilitator signer's private key, 0x followed by 64 hex digits",
    example: "the 0x… key",
    valid: (v: string) => PRIVATE_KEY.test(v),
  };
  const privateKey = r.optionalSecret("privateKey", privateKeySpec);
  if (signerKeys === undefined && privateKey === undefined) {
    r.problem(
      "privateKey",
      { ...privateKeySpec, secret: true },
      "it is not set (for a signer pool, set facilitator:signerKeys instead)",
    );
  } else if (signerKeys !== undefined && privateKey !== undefined) {
    r.problem(
      "signerKeys",
      { expected: "only one of facilitator:privateKey (one signer) and facilitator:signerKeys (a pool)", example: "" },
      "both are set, and the facilitator refuses to start with both",
      `${r.removeCommand("privateKey")}  (for the pool; or ${r.removeCommand("signerKeys")} for the single key)`,
    );
  }
  const rpcUrl = r.secret("rpcUrl", {
    expected: "the Polygon Amoy JSON-RPC URL (https://…, may contain its API token)",
    example: "the https://… URL",
    valid: isHttpUrl,
  });
  const apiKeys = r.optionalSecret("apiKeys", {
    expected:
      "API keys for /verify and /settle, comma-separated, each 16 to 256 printable characters without spaces (openssl rand -hex 32)",
    example: "the keys",
    valid: (v) => commaList(v).every((k) => API_KEY.test(k)),
  });
  const minSignerBalanceWei = r.optionalString("minSignerBalanceWei", {
    expected: "a whole number of wei (10000000000000000 = 0.01 POL), or empty for the service's default",
    example: "10000000000000000",
    pattern: /^\d{1,78}$/,
  });
  return {
    ...(privateKey !== undefined ? { privateKey: pulumi.secret(privateKey) } : {}),
    ...(signerKeys !== undefined ? { signerKeys: pulumi.secret(commaList(signerKeys).join(",")) } : {}),
    rpcUrl: pulumi.secret(rpcUrl),
    usdcAddress: r.string("usdcAddress", {
      expected: "the USDC token contract address, 0x followed by 40 hex digits",
      example: "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582",
      pattern: /^0x[0-9a-fA-F]{40}$/,
    }),
    realSettle: r.boolean("realSettle", { example: "false" }),
    ...(apiKeys !== undefined ? { apiKeys: pulumi.secret(commaList(apiKeys).join(",")) } : {}),
    ...(minSignerBalanceWei !== undefined ? { minSignerBalanceWei } : {}),
  };
}

/** Read once for both targets: Kubernetes takes requests and limits, docker the limits. */
function readResources(r: ConfigReader): ContainerResources {
  return {
    cpuRequest: r.string("cpuRequest", { expected: "a CPU quantity like 250m or 1", example: "250m", pattern: CPU }),
    cpuLimit: r.string("cpuLimit", { expected: "a CPU quantity like 1000m or 1", example: "1", pattern: CPU }),
    memoryRequest: r.string("memoryRequest", {
      expected: "a memory quantity like 256Mi",
      example: "256Mi",
      pattern: MEMORY,
    }),
    memoryLimit: r.string("memoryLimit", {
      expected: "a memory quantity like 512Mi",
      example: "512Mi",
      pattern: MEMORY,
    }),
  };
}

function readKubernetes(r: ConfigReader, resources: ContainerResources): KubernetesConfig {
  const kubeconfig = r.optionalSecret("kubeconfig", {
    expected: "the contents of a kubeconfig file (YAML)",
    example: "kubeconfig.yaml",
    fromFile: "kubeconfig.yaml",
    valid: (v) => /\bclusters\s*:/.test(v),
  });
  const context = r.optionalString("kubeContext", {
    expected: "a context name from the kubeconfig",
    example: "gke_x402-facilitator-staging_europe-west1_facilitator",
  });
  return {
    namespace: r.string("namespace", {
      expected: "a Kubernetes namespace name (DNS label)",
      example: "facilitator-staging",
      pattern: DNS_LABEL,
    }),
    replicas: r.integer("replicas", { example: "2", min: 1, max: 50 }),
    ...(kubeconfig !== undefined ? { kubeconfig: pulumi.secret(kubeconfig) } : {}),
    ...(context !== undefined ? { context } : {}),
    resources,
    ingressNamespaces: r.list("ingressNamespaces", {
      expected: "a list of namespace names allowed to call the facilitator",
      example: "ingress-nginx",
      pattern: DNS_LABEL,
    }),
    rpcEgressCidrs: r.list("rpcEgressCidrs", {
      expected: "a list of CIDRs where the RPC endpoint lives",
      example: "0.0.0.0/0",
      pattern: CIDR,
    }),
    rpcPort: r.integer("rpcPort", { example: "443", min: 1, max: 65535 }),
  };
}

function readMonitoring(r: ConfigReader, stack: string): MonitoringConfig {
  const enabled = r.boolean("monitoringEnabled", { example: "false" });
  const project = r.optionalString("monitoringProject", {
    expected: "the GCP project id that holds the alert policies and dashboard",
    example: "x402-facilitator-prod",
    pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
  });
  const notificationChannels = r.list("monitoringNotificationChannels", {
    expected: "a list of Cloud Monitoring notification channels (gcloud beta monitoring channels list)",
    example: "projects/x402-facilitator-prod/notificationChannels/1234567890",
    pattern: /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/notificationChannels\/\d+$/,
  });
  if (enabled && notificationChannels.length === 0) {
    r.problem(
      "monitoringEnabled",
      { expected: "false, or at least one notification channel", example: "false" },
      "facilitator:monitoringNotificationChannels is empty, so alerts would notify nobody; add a channel with " +
        `pulumi config set --stack ${stack} --path 'facilitator:monitoringNotificationChannels[0]' projects/<project>/notificationChannels/<id>`,
    );
  }
  const errorRatio = r.string("monitoringErrorRatio", {
    expected: "a fraction between 0 and 1 (0.05 = 5% of responses are 5xx)",
    example: "0.05",
    pattern: /^0?\.\d*[1-9]\d*$/,
  });
  return {
    enabled,
    ...(project !== undefined ? { project } : {}),
    notificationChannels,
    thresholds: {
      errorRatio: Number(errorRatio),
      settleFailures: r.integer("monitoringSettleFailures", { example: "3", min: 0, max: 10000 }),
      minSignerBalancePol: r.string("monitoringMinSignerBalance", {
        expected: "an amount of POL (decimal, at most 18 decimals)",
        example: "0.5",
        pattern: /^\d+(\.\d{1,18})?$/,
      }),
    },
  };
}

const GITHUB_ID = /^[1-9]\d{0,11}$/;
const IAM_ROLE = /^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/;
const REF_PATTERN = /^[A-Za-z0-9*._/-]+$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

function readDelivery(r: ConfigReader, stack: string): DeliveryConfig | undefined {
  if (!r.boolean("githubManage", { example: "false" })) return undefined;
  // GitHub ids: YAML may hold them as numbers or strings (`pulumi config set --path` stores numbers).
  const ids = (key: string, what: string): number[] => {
    const spec = {
      expected: `a list of numeric GitHub ${what} ids (gh api users/<login> --jq .id)`,
      example: "[1234567]",
    };
    const raw = r.optionalString(key, spec);
    if (raw === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((id) => GITHUB_ID.test(String(id)))) {
      r.problem(key, spec, `got ${raw}`);
      return [];
    }
    return parsed.map(Number);
  };
  const roles = (key: string, example: string): string[] => {
    const spec = { expected: "a list of IAM roles that reach no Cloud Storage bucket", example };
    const list = r.list(key, { ...spec, pattern: IAM_ROLE });
    for (const role of list.filter(reachesEveryBucket)) {
      r.problem(
        key,
        spec,
        `${role} on the CI project reaches every bucket there, other stacks' state included; state access comes from facilitator:ciStateBucket only`,
      );
    }
    return list;
  };
  const stateBucket = r.optionalString("ciStateBucket", {
    expected: "the GCS bucket of this stack's Pulumi state",
    example: `my-pulumi-state-${stack}`,
    pattern: /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/,
  });
  const backendUrl = r.optionalString("ciBackendUrl", {
    expected: "a Pulumi state backend URL",
    example: `gs://my-pulumi-state-${stack}`,
    pattern: /^(gs|s3|azblob|https?|file):\/\/\S+$/,
  });
  if (stateBucket !== undefined) checkStateIsolation(r, stack, stateBucket, backendUrl);
  return {
    repository: r.string("githubRepository", {
      expected: "the GitHub repository as owner/name",
      example: "my-org/facilitator-deploy",
      pattern: /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/,
    }),
    repositoryId: r.integer("githubRepositoryId", { example: "812345678", min: 1, max: Number.MAX_SAFE_INTEGER }),
    ownerId: r.integer("githubOwnerId", { example: "4321", min: 1, max: Number.MAX_SAFE_INTEGER }),
    environment: r.string("githubEnvironment", {
      expected: "the GitHub environment of the deploy job",
      example: stack === "prod" ? "production" : stack,
      pattern: /^[A-Za-z0-9._-]+$/,
    }),
    reviewerUsers: ids("githubReviewerUsers", "user"),
    reviewerTeams: ids("githubReviewerTeams", "team"),
    reviewPreviews: r.boolean("githubReviewPreviews", { example: "true" }),
    deployBranches: r.list("githubDeployBranches", {
      expected: "a list of branch name patterns",
      example: "main",
      pattern: REF_PATTERN,
    }),
    deployTags: r.list("githubDeployTags", {
      expected: "a list of tag name patterns",
      example: "v*.*.*",
      pattern: REF_PATTERN,
    }),
    ownsReleaseTagRulesets:
      r.string("githubReleaseTagsOwner", {
        expected: "the name of the one stack that provisions the release-tag rulesets",
        example: "prod",
        pattern: /^[A-Za-z0-9._-]+$/,
      }) === stack,
    ciProject: r.string("ciProject", {
      expected: "the GCP project id of the CI identity",
      example: `x402-facilitator-${stack}`,
      pattern: GCP_PROJECT,
    }),
    poolId: r.string("ciPoolId", {
      expected: "a workload identity pool id (4-32 of a-z, 0-9, '-', not starting with gcp-)",
      example: `github-${stack}`,
      pattern: /^(?!gcp-)[a-z0-9-]{4,32}$/,
    }),
    deployerRoles: roles("ciDeployerRoles", "roles/container.developer"),
    previewerRoles: roles("ciPreviewerRoles", "roles/container.viewer"),
    ...(stateBucket !== undefined ? { stateBucket } : {}),
    secretsKmsKey: r.optionalString("ciSecretsKmsKey", {
      expected: "the KMS key of the gcpkms:// secrets provider, projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>",
      example: "projects/my-ops/locations/global/keyRings/pulumi/cryptoKeys/staging",
      pattern: /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/,
    }),
    serviceAccountKey: r.boolean("ciServiceAccountKey", { example: "false" }),
    gkeCluster: r.optionalString("ciGkeCluster", {
      expected: "a GKE cluster name",
      example: "facilitator",
      pattern: DNS_LABEL,
    }),
    gkeLocation: r.optionalString("ciGkeLocation", {
      expected: "a GKE region or zone",
      example: "europe-west1",
      pattern: /^[a-z]+-[a-z]+\d+(-[a-z])?$/,
    }),
    ...(backendUrl !== undefined ? { backendUrl } : {}),
  };
}

/**
 * The CI identities get a role on the whole state bucket (components/delivery/stateIsolation.ts), so the bucket
 * must hold this stack's state only, and be the one the workflows log in to.
 */
function checkStateIsolation(r: ConfigReader, stack: string, bucket: string, backendUrl: string | undefined): void {
  const own = stackStateBucketName(bucket, stack);
  const set = `pulumi config set --stack ${stack}`;
  const move =
    `gcloud storage buckets create gs://${own} --uniform-bucket-level-access; ` +
    `move this stack's state there (pulumi stack export, pulumi login gs://${own}, pulumi stack init, pulumi stack import); ` +
    `${set} facilitator:ciStateBucket ${own}; ${set} facilitator:ciBackendUrl gs://${own}`;
  if (!bucketNamesStack(bucket, stack)) {
    r.problem(
      "ciStateBucket",
      { expected: `a bucket that holds only stack ${stack}'s state, its name ending in "-${stack}"`, example: own },
      `got "${bucket}": the CI identities get a role on the whole bucket, so a bucket shared with another stack would let ${stack}'s CI read and write that stack's state`,
      move,
    );
  }
  const backendBucket = backendUrl === undefined ? undefined : bucketOfBackendUrl(backendUrl);
  if (backendUrl !== undefined && backendBucket !== bucket) {
    r.problem(
      "ciBackendUrl",
      { expected: `gs://${bucket}, the bucket facilitator:ciStateBucket grants`, example: `gs://${bucket}` },
      `got "${backendUrl}", so the workflows would keep this stack's state somewhere else than the bucket its CI identities are granted`,
    );
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function readTarget(r: ConfigReader): DeployTarget {
  const target = r.string("target", {
    expected: DEPLOY_TARGETS.join(" or "),
    example: "docker",
    pattern: /^(kubernetes|docker)$/,
  });
  return target === "docker" ? "docker" : "kubernetes";
}

function readDocker(r: ConfigReader, target: DeployTarget): Omit<DockerConfig, "resources"> {
  const host = r.optionalString("dockerHost", {
    expected: "a Docker host URL (ssh://user@host, unix:///path, tcp://host:port)",
    example: "ssh://deploy@vps.example.com",
    pattern: /^(ssh:\/\/[^\s@/]+@[^\s/]+|unix:\/\/\/\S+|tcp:\/\/[^\s/]+|npipe:\/\/\S+)$/,
  });
  const network = r.string("dockerNetwork", {
    expected: "bridge or host",
    example: "bridge",
    pattern: /^(bridge|host)$/,
  });
  const localRegistry = r.optionalString("localRegistry", {
    expected: "a plain-HTTP registry host:port on the Docker host's loopback (127.0.0.1:5000 or localhost:5000)",
    example: "127.0.0.1:5000",
    pattern: /^(127\.0\.0\.1|localhost):\d{2,5}$/,
  });
  if (localRegistry !== undefined && target !== "docker") {
    r.problem(
      "localRegistry",
      { expected: 'empty unless facilitator:target is "docker"', example: '""' },
      "a Kubernetes cluster cannot pull from this machine's loopback registry",
    );
  } else if (localRegistry !== undefined && host !== undefined) {
    r.problem(
      "localRegistry",
      { expected: "empty when facilitator:dockerHost is set", example: '""' },
      `the engine at ${host} cannot pull from this machine's loopback registry; deploy a release from Artifact Registry there instead`,
    );
  }
  return {
    ...(host !== undefined ? { host } : {}),
    network: network === "host" ? "host" : "bridge",
    publishAddress: r.string("dockerPublishAddress", {
      expected: "an IPv4 address to publish the port on (127.0.0.1 behind a reverse proxy, 0.0.0.0 for all)",
      example: "127.0.0.1",
      pattern: /^(\d{1,3}\.){3}\d{1,3}$/,
    }),
    publishPort: r.integer("dockerPublishPort", { example: "5401", min: 1, max: 65535 }),
    logMaxSize: r.string("dockerLogMaxSize", {
      expected: "a size like 10m or 1g",
      example: "10m",
      pattern: /^\d+[kmg]$/,
    }),
    logMaxFiles: r.integer("dockerLogMaxFiles", { example: "3", min: 1, max: 100 }),
    ...(localRegistry !== undefined ? { localRegistry } : {}),
  };
}

/** Reads every section through `r` (problems accumulate in `r`). */
export function readConfig(r: ConfigReader, stack: string): FacilitatorConfig {
  const target = readTarget(r);
  const docker = readDocker(r, target);
  const local = docker.localRegistry !== undefined;
  const monitoring = readMonitoring(r, stack);
  if (target === "docker" && monitoring.enabled) {
    r.problem(
      "monitoringEnabled",
      { expected: 'false when facilitator:target is "docker"', example: "false" },
      "monitoring uses Managed Prometheus on GKE, which a Docker host does not have",
    );
  }
  const image = readImage(r, stack, local);
  const registry = readRegistry(r, local);
  const app = readApp(r);
  const resources = readResources(r);
  const config = {
    stack,
    target,
    docker: { ...docker, resources: { cpuLimit: resources.cpuLimit, memoryLimit: resources.memoryLimit } },
    image,
    registry,
    app,
    kubernetes: readKubernetes(r, resources),
    monitoring,
    delivery: readDelivery(r, stack),
  };
  const publicEndpoint = readPublicEndpoint(r, {
    stack,
    target,
    ingressNamespaces: config.kubernetes.ingressNamespaces,
  });
  checkBalanceAlertAboveServiceFloor(r, config.monitoring, config.app);
  checkRegistryMembersOwnedHere(r, config.registry, stack);
  return {
    ...config,
    ...(publicEndpoint ? { publicEndpoint } : {}),
    allowOpenSettlement: readOpenSettlement(r, config.app),
  };
}

/**
 * Open mode (no API keys) with real settlement lets anyone who reaches the facilitator spend its
 * signer's gas; the policy pack refuses it on an exposed stack unless this says it is intended.
 */
function readOpenSettlement(r: ConfigReader, app: AppConfig): boolean {
  const allowed = r.boolean("allowOpenSettlement", { example: "true" });
  if (allowed && app.apiKeys !== undefined) {
    r.problem(
      "allowOpenSettlement",
      { expected: "false while facilitator:apiKeys is set", example: "false" },
      "API keys are set, so the facilitator is not open; a leftover allowance would apply unnoticed should the keys be removed later",
      r.removeCommand("allowOpenSettlement"),
    );
  }
  return allowed;
}

/**
 * A stack grants registry access only to principals it creates or that exist before any stack. The
 * CI identities of another stack (`ci-deploy-<stack>`, `ci-preview-<stack>`, githubDelivery.ts) do
 * not exist on a fresh setup until that stack runs (IAM refuses a member naming a missing service
 * account), and would dangle once it is destroyed: that stack grants them itself.
 */
function checkRegistryMembersOwnedHere(r: ConfigReader, registry: RegistryConfig, stack: string): void {
  const foreign = /^serviceAccount:ci-(deploy|preview)-([a-z0-9-]+)@/;
  for (const [key, members] of [
    ["registryWriters", registry.writers],
    ["registryReaders", registry.readers],
  ] as const) {
    for (const member of members) {
      const owner = foreign.exec(member)?.[2];
      if (owner === undefined || owner === stack) continue;
      r.problem(
        key,
        {
          expected:
            "principals this stack creates or that exist before any stack (e.g. the cluster's node service account)",
          example: `serviceAccount:gke-nodes@x402-facilitator-${stack}.iam.gserviceaccount.com`,
        },
        `${member} is created by stack ${owner}, which grants its own CI identities registry access (a fresh setup would fail here with "Service account ... does not exist")`,
        `remove it from Pulumi.${stack}.yaml's facilitator:${key}; stack ${owner} grants it on its next up`,
      );
    }
  }
}

/** The low-balance warning must fire before the service's own floor reports the signer as unhealthy. */
function checkBalanceAlertAboveServiceFloor(r: ConfigReader, monitoring: MonitoringConfig, app: AppConfig): void {
  const pol = monitoring.thresholds.minSignerBalancePol;
  const floor = app.minSignerBalanceWei;
  if (!monitoring.enabled || floor === undefined || !/^\d+(\.\d{1,18})?$/.test(pol) || !/^\d+$/.test(floor)) return;
  if (BigInt(polToWei(pol)) <= BigInt(floor)) {
    r.problem(
      "monitoringMinSignerBalance",
      { expected: `more POL than the service's floor facilitator:minSignerBalanceWei (${floor} wei)`, example: "1" },
      `got ${pol}, so the low-balance warning would only come after the dependencies alert`,
    );
  }
}

/**
 * Pure: raw stack config → typed config, or a ConfigError listing every problem.
 * `secretKeys` are the full keys Pulumi holds encrypted (a secret key stored in plain text is an error).
 */
export function parseConfig(stack: string, raw: RawConfig, secretKeys: Iterable<string>): FacilitatorConfig {
  const reader = new ConfigReader(CONFIG_NAMESPACE, stack, raw, new Set(secretKeys));
  const config = readConfig(reader, stack);
  reader.done();
  return config;
}

/** Reads the running stack's config. A bad config ends the run with the list of fixes, no stack trace. */
export function loadConfig(): FacilitatorConfig {
  const raw = runtimeConfig.allConfig();
  // isConfigSecret is exported by the SDK but marked @internal (not in its .d.ts). Should a later
  // SDK drop it, every key counts as secret and the CLI's `secret: true` schema check remains.
  const { isConfigSecret } = runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean };
  const secretKeys = Object.keys(raw).filter((key) => (isConfigSecret ? isConfigSecret(key) : true));
  try {
    return parseConfig(pulumi.getStack(), raw, secretKeys);
  } catch (err) {
    throw err instanceof ConfigError ? new pulumi.RunError(err.message) : err;
  }
}
