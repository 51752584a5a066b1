// Pulumi mocks that behave like the providers where the program depends on it (auto-naming,
// computed outputs, the Artifact Registry listing) and record every resource and invoke.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { fakeDigest } from "./fakes";

/** One image version in the fake Artifact Registry. */
export interface RegistryImage {
  /** `<location>-docker.pkg.dev/<project>/<repository>/<image>` */
  repository: string;
  tags: string[];
  digest: string;
}

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** URN of the parent resource ("" for none). */
  parent: string;
  custom: boolean;
  /** Inputs as the provider receives them (secrets unwrapped). */
  inputs: Record<string, unknown>;
  /** State the mock returned (inputs plus simulated provider outputs). */
  state: Record<string, unknown>;
  /** Dotted paths of inputs the engine received marked secret (e.g. `stringData.AMOY_RPC_URL`). */
  secretPaths: string[];
  /** The provider reference (`urn::id`), if one was given explicitly or inherited. */
  provider: string;
  /** Resource options the engine received. */
  options: ResourceOptionsSeen;
}

export interface ResourceOptionsSeen {
  protect: boolean;
  retainOnDelete: boolean;
  /** URNs this resource depends on (dependsOn and resources its inputs came from). */
  dependsOn: string[];
  /** The aliases the engine received: a former URN, or the parts of a former name and type. */
  aliases: { urn?: string; name?: string; type?: string }[];
}

export interface RecordedInvoke {
  token: string;
  inputs: Record<string, unknown>;
}

export type InvokeHandler = (inputs: Record<string, unknown>) => Record<string, unknown>;

/** An invoke failure as the engine reports it (gRPC errors carry their text in `details`). */
export function invokeError(message: string): Error {
  return Object.assign(new Error(message), { details: message });
}

export const GET_DOCKER_IMAGES = "gcp:artifactregistry/getDockerImages:getDockerImages";
export const GET_CLIENT_CONFIG = "gcp:organizations/getClientConfig:getClientConfig";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function secretPaths(value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG_KEY] === SECRET_SIG) {
    out.push(path);
    return;
  }
  for (const [key, child] of Object.entries(record)) secretPaths(child, path === "" ? key : `${path}.${key}`, out);
}

/** An alias as the engine receives it, with only the parts that are set. */
function recordedAlias(
  alias: ReturnType<SerializedRequest["getAliasesList"]>[number],
): ResourceOptionsSeen["aliases"][number] {
  const spec = alias.getSpec();
  if (spec === undefined) return { urn: alias.getUrn() };
  return { ...(spec.getName() ? { name: spec.getName() } : {}), ...(spec.getType() ? { type: spec.getType() } : {}) };
}

/** Inputs as a provider sees them: secret wrappers removed (their paths are in secretPaths). */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG_KEY] === SECRET_SIG) return unwrapSecrets(record["value"]);
  return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, unwrapSecrets(child)]));
}

function shortHash(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 8);
}

interface SerializedRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDependenciesList(): string[];
  getAliasesList(): { getUrn(): string; getSpec(): { getName(): string; getType(): string } | undefined }[];
  getObject(): { toJavaScript(): Record<string, unknown> };
}
type Callback = (err: unknown, res: unknown) => void;
interface PatchableMonitor {
  registerResource(req: SerializedRequest, callback: Callback): Promise<void>;
}

export class FacilitatorMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly invokes: RecordedInvoke[] = [];
  private readonly pending = new Map<
    string,
    { parent: string; provider: string; secretPaths: string[]; options: ResourceOptionsSeen }
  >();

  constructor(
    private readonly registry: readonly RegistryImage[] = [],
    private readonly extraInvokes: Readonly<Record<string, InvokeHandler>> = {},
  ) {}

  /** Installs these mocks as the Pulumi runtime's monitor for `project`/`stack`. */
  async install(project: string, stack: string): Promise<void> {
    await pulumi.runtime.setMocks(this, project, stack, false);
    // The mock monitor hands newResource() unwrapped inputs; look at the serialized request
    // first to record which inputs the engine would receive as secrets, and each parent.
    const monitor = settings.getMonitor() as unknown as PatchableMonitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      const paths: string[] = [];
      secretPaths(req.getObject().toJavaScript(), "", paths);
      this.pending.set(`${req.getType()}::${req.getName()}`, {
        parent: req.getParent(),
        provider: req.getProvider(),
        secretPaths: paths,
        options: {
          protect: req.getProtect(),
          retainOnDelete: req.getRetainondelete(),
          dependsOn: [...req.getDependenciesList()].sort(),
          aliases: req.getAliasesList().map(recordedAlias),
        },
      });
      return register(req, callback);
    };
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
    const state = { ...inputs, ...this.providerOutputs(args.type, args.name, inputs) };
    const seen = this.pending.get(`${args.type}::${args.name}`);
    this.pending.delete(`${args.type}::${args.name}`);
    const parent = seen?.parent ?? "";
    const parentType = parent === "" ? "" : parent.split("::")[2]!.split("$").pop()! + "$";
    this.resources.push({
      type: args.type,
      name: args.name,
      urn: `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${parentType}${args.type}::${args.name}`,
      parent,
      custom: args.custom ?? false,
      inputs,
      state,
      secretPaths: seen?.secretPaths ?? [],
      provider: seen?.provider ?? args.provider ?? "",
      options: seen?.options ?? { protect: false, retainOnDelete: false, dependsOn: [], aliases: [] },
    });
    return { id: args.custom ? `${args.name}-id` : undefined, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
    this.invokes.push({ token: args.token, inputs });
    const extra = this.extraInvokes[args.token];
    if (extra) return extra(inputs);
    switch (args.token) {
      case GET_DOCKER_IMAGES:
        return this.listImages(inputs);
      case GET_CLIENT_CONFIG:
        return {
          accessToken: "fake-access-token",
          project: "fake-project",
          region: "europe-west1",
          zone: "",
          id: "client",
          defaultLabels: {},
        };
      default:
        throw new Error(`FacilitatorMocks: no mock for invoke ${args.token} (pass one in extraInvokes)`);
    }
  }

  /** The resources of `type`, in registration order. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  private listImages(inputs: Record<string, unknown>): Record<string, unknown> {
    const { location, project, repositoryId } = inputs as { location: string; project: string; repositoryId: string };
    const prefix = `${location}-docker.pkg.dev/${project}/${repositoryId}/`;
    const dockerImages = this.registry
      .filter((image) => image.repository.startsWith(prefix))
      .map((image) => {
        const imageName = image.repository.slice(prefix.length);
        return {
          imageName,
          name: `projects/${project}/locations/${location}/repositories/${repositoryId}/dockerImages/${imageName}@${image.digest}`,
          selfLink: `${image.repository}@${image.digest}`,
          tags: image.tags,
          mediaType: "application/vnd.oci.image.index.v1+json",
          imageSizeBytes: "52428800",
          buildTime: "2026-11-01T00:00:00Z",
          uploadTime: "2026-11-01T00:00:00Z",
          updateTime: "2026-11-01T00:00:00Z",
        };
      });
    return { id: prefix, location, project, repositoryId, dockerImages };
  }

  /** Outputs the real providers compute that the program reads. */
  private providerOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    return mockProviderOutputs(type, name, inputs);
  }
}

/** The project number the fake GCP resources live in (workload identity names use numbers, not ids). */
export const FAKE_PROJECT_NUMBER = "123456789012";

/**
 * The outputs the real providers compute for what the program declares, in their real shapes.
 * Shared by every suite's mocks, so a resource the program makes never lacks an output it reads.
 */
export function mockProviderOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  if (type.startsWith("kubernetes:") && type !== "pulumi:providers:kubernetes") {
    const metadata = (inputs["metadata"] ?? {}) as Record<string, unknown>;
    // The kubernetes provider auto-names objects without metadata.name: `<name>-<random>`.
    if (metadata["name"] === undefined)
      return { metadata: { ...metadata, name: `${name}-${shortHash(JSON.stringify(inputs))}` } };
    return {};
  }
  switch (type) {
    case "gcp:monitoring/alertPolicy:AlertPolicy":
      // The API names a policy projects/<project>/alertPolicies/<id>.
      return { name: `projects/${String(inputs["project"] ?? "fake-project")}/alertPolicies/${name}` };
    case "docker-build:index:Image": {
      const tags = (inputs["tags"] ?? []) as string[];
      const digest = fakeDigest(tags.join(","));
      return { digest, ref: `${tags[0]?.replace(/:[^:/]+$/, "")}@${digest}`, contextHash: "fake-context-hash" };
    }
    case "docker:index/remoteImage:RemoteImage": {
      // repoDigest: the pulled manifest (the reference itself when it is by digest). imageId: the
      // image's config digest, a different sha256, which is what a Container runs.
      const ref = String(inputs["name"]);
      const repoDigest = /@sha256:[0-9a-f]{64}$/.test(ref)
        ? ref
        : `${ref.replace(/:[^:/]+$/, "")}@${fakeDigest(`manifest:${ref}`)}`;
      return { repoDigest, imageId: fakeDigest(`config:${repoDigest}`) };
    }
    case "gcp:artifactregistry/repository:Repository": {
      const { project, location, repositoryId } = inputs as { project: string; location: string; repositoryId: string };
      return {
        name: `projects/${project}/locations/${location}/repositories/${repositoryId}`,
        registryUri: `${location}-docker.pkg.dev/${project}/${repositoryId}`,
      };
    }
    case "gcp:serviceaccount/account:Account": {
      const { accountId, project } = inputs as { accountId: string; project?: string };
      const email = `${accountId}@${project ?? "fake-project"}.iam.gserviceaccount.com`;
      return {
        email,
        member: `serviceAccount:${email}`,
        name: `projects/${project ?? "fake-project"}/serviceAccounts/${email}`,
        uniqueId: `1${shortHash(email)}`,
      };
    }
    case "gcp:serviceaccount/key:Key": {
      // serviceAccountId is the account's name (projects/<p>/serviceAccounts/<email>) or its email.
      const account = String(inputs["serviceAccountId"]);
      const email = account.split("/").pop()!;
      const keyId = createHash("sha256").update(`key:${account}:${name}`).digest("hex").slice(0, 40);
      // Fake key material in the real shape (base64 of a JSON key file); not a credential.
      const keyFile = {
        type: "service_account",
        project_id: email.split("@")[1]?.split(".")[0] ?? "fake-project",
        private_key_id: keyId,
        client_email: email,
      };
      return {
        name: `projects/${keyFile.project_id}/serviceAccounts/${email}/keys/${keyId}`,
        privateKey: Buffer.from(JSON.stringify(keyFile)).toString("base64"),
        publicKey: Buffer.from(`fake public key ${keyId}`).toString("base64"),
        keyAlgorithm: "KEY_ALG_RSA_2048",
        privateKeyType: "TYPE_GOOGLE_CREDENTIALS_FILE",
      };
    }
    case "gcp:compute/globalAddress:GlobalAddress": {
      // A reserved global external IPv4 address: a documentation address (RFC 5737 TEST-NET-3), stable per name.
      const h = createHash("sha256")
        .update(String(inputs["name"] ?? name))
        .digest();
      return {
        address: `203.0.113.${(h[0]! % 254) + 1}`,
        selfLink: `https://www.googleapis.com/compute/v1/projects/fake-project/global/addresses/${String(inputs["name"] ?? name)}`,
      };
    }
    case "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": {
      // The CNAME Certificate Manager asks for (FIXED_RECORD): _acme-challenge.<domain>. → <id>.<n>.authorize.certificatemanager.goog.
      const domain = String(inputs["domain"]);
      return {
        dnsResourceRecords: [
          {
            name: `_acme-challenge.${domain}.`,
            type: "CNAME",
            data: `${shortHash(domain)}-fake.1.authorize.certificatemanager.goog.`,
          },
        ],
      };
    }
    case "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
      return {
        name: `projects/${FAKE_PROJECT_NUMBER}/locations/global/workloadIdentityPools/${String(inputs["workloadIdentityPoolId"])}`,
        state: "ACTIVE",
      };
    case "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
      return {
        name: `projects/${FAKE_PROJECT_NUMBER}/locations/global/workloadIdentityPools/${String(inputs["workloadIdentityPoolId"])}/providers/${String(inputs["workloadIdentityPoolProviderId"])}`,
        state: "ACTIVE",
      };
    default:
      return {};
  }
}
