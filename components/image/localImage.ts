// The `local` tag policy: the image comes from a plain-HTTP registry next to the Docker engine
// (127.0.0.1:5000) and is built from the working tree, so `pulumi up --stack local` needs no cloud.
// lookupLocalImage() gathers the facts (the local registry, git) and decides with planLocalImage()
// (localImagePlan.ts); the component only wires the decision.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { readCommitProvenance, readGitFacts, type CommitProvenance, type GitFacts } from "./git";
import { buildContextPaths, DOCKERFILE, imageBuildArgs, imageRefByDigest } from "./imagePlan";
import { concreteTag, planLocalImage, type LocalImagePlan } from "./localImagePlan";

/** Registry v2 manifest types; without Accept a registry answers schema1 with another digest. */
export const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** The digest `registry/name:tag` points to, or undefined when the tag is not there. */
export async function localRegistryDigest(registry: string, name: string, tag: string): Promise<string | undefined> {
  let response: Response;
  try {
    response = await fetch(`http://${registry}/v2/${name}/manifests/${tag}`, {
      method: "HEAD",
      headers: { Accept: MANIFEST_TYPES },
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new pulumi.RunError(
      `The local registry ${registry} does not answer (${cause}). Start one next to the Docker engine: ` +
        `docker run -d --name registry --restart unless-stopped -p ${registry}:5000 registry:2 ` +
        `(or set facilitator:localRegistry to the one you run).`,
    );
  }
  if (response.status === 404) return undefined;
  const digest = response.headers.get("docker-content-digest") ?? "";
  if (!response.ok || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new pulumi.RunError(
      `The local registry ${registry} answered HTTP ${response.status} for ${name}:${tag} without a digest; is it a Docker registry (v2 API)?`,
    );
  }
  return digest;
}

export interface LocalImageLookupArgs {
  stack: string;
  registry: string;
  imageName: string;
  /** facilitator:imageTag */
  requested: string;
  mayBuild: boolean;
  /** The git checkout (and Docker build context). */
  contextDir: string;
}

/** What to do: run a digest, or build at this commit (its provenance labels the image). */
export type LocalImageAction =
  | Extract<LocalImagePlan, { action: "resolve" }>
  | (Extract<LocalImagePlan, { action: "build" }> & { commit: CommitProvenance });

/** Looks the tag up in the local registry and decides (planLocalImage); fails the run with the fix. */
export async function lookupLocalImage(args: LocalImageLookupArgs): Promise<LocalImageAction> {
  const repository = `${args.registry}/${args.imageName}`;
  const context = buildContextPaths(readFileSync(path.join(args.contextDir, ".dockerignore"), "utf8"));
  const readGit = (): GitFacts => readGitFacts(args.contextDir, args.requested, context);
  let git = args.requested === "HEAD" ? readGit() : undefined;
  const tag = concreteTag(args.requested, git);
  const digest = await localRegistryDigest(args.registry, args.imageName, tag);
  if (digest === undefined && args.mayBuild && git === undefined) git = readGit();
  const plan = planLocalImage({ stack: args.stack, repository, tag, digest, mayBuild: args.mayBuild, git });
  if (plan.action === "fail") throw new pulumi.RunError(plan.reason);
  return plan.action === "build" ? { ...plan, commit: readCommitProvenance(args.contextDir) } : plan;
}

export interface LocalFacilitatorImageArgs {
  registry: string;
  imageName: string;
  action: LocalImageAction;
  /** Repository root: the build context (relative, so inputs are the same on every machine). */
  contextDir: string;
}

/** The type token this component had before it was named as its class is; stacks created then keep it by alias. */
export const LOCAL_IMAGE_FORMER_TYPE = "facilitator:index:LocalImage";

/** The facilitator image in the local registry: resolved by digest, or built and pushed first. */
export class LocalFacilitatorImage extends pulumi.ComponentResource {
  /** `<registry>/<image>` */
  public readonly repository: pulumi.Output<string>;
  /** The concrete tag (`sha-<short>` or `vX.Y.Z`). */
  public readonly tag: pulumi.Output<string>;
  public readonly digest: pulumi.Output<string>;
  /** `repository@digest` */
  public readonly ref: pulumi.Output<string>;

  constructor(name: string, args: LocalFacilitatorImageArgs, opts?: pulumi.ComponentResourceOptions) {
    // The alias keeps an existing stack's component (and the image under it) from being replaced.
    super(
      "facilitator:index:LocalFacilitatorImage",
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: LOCAL_IMAGE_FORMER_TYPE }] },
    );
    const repository = `${args.registry}/${args.imageName}`;
    const action = args.action;
    const digest =
      action.action === "resolve"
        ? pulumi.output(action.digest)
        : new dockerbuild.Image(
            name,
            {
              tags: action.tags.map((tag) => `${repository}:${tag}`),
              push: true,
              context: { location: args.contextDir },
              dockerfile: { location: path.join(args.contextDir, DOCKERFILE) },
              // The Dockerfile's OCI labels, filled in as scripts/publish.sh fills them.
              buildArgs: imageBuildArgs(action.tag, action.commit),
              // Built in `pulumi up` only; a preview shows the plan without a build.
              buildOnPreview: false,
            },
            // Pushed tags are what rollback resolves: deleting this resource must not delete them.
            { parent: this, retainOnDelete: true },
          ).digest;

    this.repository = pulumi.output(repository);
    this.tag = pulumi.output(action.tag);
    this.digest = digest;
    this.ref = digest.apply((d) => imageRefByDigest(repository, d));
    this.registerOutputs({ repository: this.repository, tag: this.tag, digest: this.digest, ref: this.ref });
  }
}
