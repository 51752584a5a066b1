// The facilitator image for one stack: resolve the configured tag to its digest, or build and
// push it (only from a clean checkout exactly at the tag), or fail saying what is missing.
// lookupImage() gathers the facts (registry, git) and decides with planImage(); the component
// only wires the decision.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as dockerbuild from "@pulumi/docker-build";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { readCommitProvenance, readGitFacts, type CommitProvenance, type GitFacts } from "./git";
import {
  DOCKERFILE,
  GHCR_IMAGE_NAME,
  artifactRegistryHost,
  artifactRegistryImage,
  buildContextPaths,
  findTagDigest,
  imageBuildArgs,
  imageRefByDigest,
  planImage,
  type ImagePlan,
  type ListedImage,
} from "./imagePlan";

export interface ImageLookupArgs {
  /** Stack name, for messages. */
  stack: string;
  project: string;
  location: string;
  repositoryId: string;
  imageName: string;
  /** The release tag to run (`vX.Y.Z`). */
  tag: string;
  /** facilitator:build */
  mayBuild: boolean;
  /** The stack only promotes (prod): never builds, whatever mayBuild says. */
  promoteOnly: boolean;
  /** This run creates the repository: a repository that does not exist yet simply has no tags. */
  createsRepository: boolean;
  /** The git checkout the image would be built from. */
  contextDir: string;
}

/** What to do: run a digest, or build at this commit (its provenance labels the image). */
export type ImageAction =
  Extract<ImagePlan, { action: "resolve" }> | (Extract<ImagePlan, { action: "build" }> & { commit: CommitProvenance });

/**
 * Looks the tag up in the registry and decides (planImage). Runs before any dependent resource is
 * declared, so a tag that can be neither resolved nor built stops the run with one clear error.
 */
export async function lookupImage(args: ImageLookupArgs): Promise<ImageAction> {
  const repository = artifactRegistryImage(args.location, args.project, args.repositoryId, args.imageName);
  let images: ListedImage[];
  try {
    const listing = await gcp.artifactregistry.getDockerImages({
      project: args.project,
      location: args.location,
      repositoryId: args.repositoryId,
    });
    images = listing.dockerImages;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!(args.createsRepository && /\b404\b|not ?found/i.test(message))) {
      throw new pulumi.RunError(
        `Cannot list the images in ${repository}: ${message}. Check the repository exists (it is created by the stack with facilitator:registryCreate true) ` +
          `and that these credentials may read it (gcloud auth application-default login; roles/artifactregistry.reader).`,
      );
    }
    images = [];
  }
  const digest = findTagDigest(images, args.imageName, args.tag);
  const mayBuild = args.mayBuild && !args.promoteOnly;
  const plan = planImage({
    stack: args.stack,
    tag: args.tag,
    repository,
    digest,
    mayBuild,
    promoteOnly: args.promoteOnly,
    // git is consulted only when a build is actually possible.
    git: digest === undefined && mayBuild ? gitFacts(args.contextDir, args.tag) : undefined,
  });
  if (plan.action === "fail") throw new pulumi.RunError(plan.reason);
  return plan.action === "build" ? { ...plan, commit: fromGit(() => readCommitProvenance(args.contextDir)) } : plan;
}

/** HEAD's facts, with the clean check limited to the build context (what `.dockerignore` lets in). */
function gitFacts(dir: string, tag: string): GitFacts {
  const dockerignore = path.join(dir, ".dockerignore");
  const context = existsSync(dockerignore) ? buildContextPaths(readFileSync(dockerignore, "utf8")) : [];
  return fromGit(() => readGitFacts(dir, tag, context));
}

/** A git read whose failure ends the run with its message (no stack trace). */
function fromGit<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new pulumi.RunError(err instanceof Error ? err.message : String(err));
  }
}

export interface FacilitatorImageArgs {
  project: string;
  location: string;
  repositoryId: string;
  imageName: string;
  tag: string;
  /** From lookupImage(): the digest to run, or build at this commit. */
  action: ImageAction;
  /** Repository root: the build context (relative, so inputs are the same on every machine). */
  contextDir: string;
  /** Also push both tags to ghcr.io/<ghcrOwner>/x402-facilitator-amoy. */
  ghcrOwner?: string;
  ghcrToken?: pulumi.Input<string>;
  /** What the push waits for: the repository when this stack creates it, and the grants that let CI push. */
  after?: pulumi.Resource[];
}

export class FacilitatorImage extends pulumi.ComponentResource {
  /** `<location>-docker.pkg.dev/<project>/<repository>/<image>` */
  public readonly repository: pulumi.Output<string>;
  public readonly tag: pulumi.Output<string>;
  /** `sha256:…` */
  public readonly digest: pulumi.Output<string>;
  /** `repository@digest`: what the Deployment runs. */
  public readonly ref: pulumi.Output<string>;

  constructor(name: string, args: FacilitatorImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:FacilitatorImage", name, {}, opts);

    const repository = artifactRegistryImage(args.location, args.project, args.repositoryId, args.imageName);
    const digest =
      args.action.action === "resolve"
        ? pulumi.output(args.action.digest)
        : this.build(name, args, repository, args.action).digest;

    this.repository = pulumi.output(repository);
    this.tag = pulumi.output(args.tag);
    this.digest = digest;
    this.ref = digest.apply((d) => imageRefByDigest(repository, d));
    this.registerOutputs({ repository: this.repository, tag: this.tag, digest: this.digest, ref: this.ref });
  }

  /** Builds once and pushes `<tag>` and `sha-<short>` (to GHCR too when configured). */
  private build(
    name: string,
    args: FacilitatorImageArgs,
    repository: string,
    action: Extract<ImageAction, { action: "build" }>,
  ): dockerbuild.Image {
    const tags = [args.tag, `sha-${action.shortSha}`];
    const targets = [repository];
    const registries: dockerbuild.types.input.RegistryArgs[] = [
      {
        address: artifactRegistryHost(args.location),
        username: "oauth2accesstoken",
        // Ambient gcloud/ADC credentials (a short-lived access token); never a key file.
        password: pulumi.secret(gcp.organizations.getClientConfigOutput({ parent: this }).accessToken),
      },
    ];
    if (args.ghcrOwner !== undefined && args.ghcrToken !== undefined) {
      targets.push(`ghcr.io/${args.ghcrOwner}/${GHCR_IMAGE_NAME}`);
      registries.push({ address: "ghcr.io", username: args.ghcrOwner, password: args.ghcrToken });
    }
    return new dockerbuild.Image(
      name,
      {
        tags: targets.flatMap((target) => tags.map((tag) => `${target}:${tag}`)),
        push: true,
        context: { location: args.contextDir },
        dockerfile: { location: path.join(args.contextDir, DOCKERFILE) },
        platforms: ["linux/amd64"],
        registries,
        // The Dockerfile's OCI labels, filled in as scripts/publish.sh fills them.
        buildArgs: imageBuildArgs(args.tag, action.commit),
        // The build happens in `pulumi up` at the release tag; previews (PRs) need no Docker daemon.
        buildOnPreview: false,
      },
      // Pushed tags are immutable releases: removing this resource later must not delete them.
      { parent: this, retainOnDelete: true, ...(args.after && args.after.length > 0 ? { dependsOn: args.after } : {}) },
    );
  }
}
