// Pure decisions about the facilitator image (docs/architecture.md, "Release and rollback flow"):
// where it lives, which digest a tag points to, and whether to resolve, build or fail.
import type { CommitProvenance, GitFacts } from "./git";

export const DOCKERFILE = "demo/facilitator-amoy.Dockerfile";
export const GHCR_IMAGE_NAME = "x402-facilitator-amoy";

/** `<location>-docker.pkg.dev/<project>/<repository>/<image>` */
export function artifactRegistryImage(location: string, project: string, repository: string, image: string): string {
  return `${location}-docker.pkg.dev/${project}/${repository}/${image}`;
}

/** The registry host that registry auth is for. */
export function artifactRegistryHost(location: string): string {
  return `${location}-docker.pkg.dev`;
}

/**
 * The Dockerfile's label build args, as scripts/publish.sh passes them, so an image built by
 * Pulumi and one built by the script carry the same OCI labels. Only commit facts: no wall clock.
 */
export function imageBuildArgs(version: string, commit: CommitProvenance): Record<string, string> {
  return { CREATED: commit.created, REVISION: commit.revision, SOURCE: commit.source, VERSION: version };
}

/** The image as the Deployment references it: by digest, never by tag. */
export function imageRefByDigest(repository: string, digest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`Not an image digest: ${JSON.stringify(digest)}`);
  return `${repository}@${digest}`;
}

/** One image version as listed by gcp.artifactregistry.getDockerImages. */
export interface ListedImage {
  imageName: string;
  selfLink: string;
  tags: string[];
}

/** The digest `image:tag` points to in a repository listing, or undefined if the tag is not there. */
export function findTagDigest(images: readonly ListedImage[], image: string, tag: string): string | undefined {
  const match = images.find((i) => i.imageName === image && i.tags.includes(tag));
  if (match === undefined) return undefined;
  const digest = match.selfLink.slice(match.selfLink.lastIndexOf("@") + 1);
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new Error(`Artifact Registry listed ${image}:${tag} without a digest (selfLink ${match.selfLink}).`);
  }
  return digest;
}

export interface ImageFacts {
  stack: string;
  tag: string;
  /** Where the tag was looked up, for messages. */
  repository: string;
  /** The tag's digest in the registry, undefined if the tag is not there. */
  digest: string | undefined;
  /** facilitator:build for this stack. */
  mayBuild: boolean;
  /** This stack only promotes (prod): building is never the fix. */
  promoteOnly: boolean;
  /** Read only when a build is possible (tag missing and the stack may build). */
  git: GitFacts | undefined;
}

export type ImagePlan =
  { action: "resolve"; digest: string } | { action: "build"; shortSha: string } | { action: "fail"; reason: string };

/** Resolve when the tag exists; build when it is missing and this checkout may build it; else fail. */
export function planImage(f: ImageFacts): ImagePlan {
  if (f.digest !== undefined) return { action: "resolve", digest: f.digest };

  const missing = `Image tag ${f.tag} is not in ${f.repository}`;
  if (!f.mayBuild) {
    const release = f.promoteOnly
      ? `Stack ${f.stack} only deploys images the staging stack built: release ${f.tag} to staging first (push the git tag ${f.tag}; the release workflow runs pulumi up --stack staging)`
      : `Let this stack build it (pulumi config set --stack ${f.stack} facilitator:build true), or release it through the stack that builds`;
    return {
      action: "fail",
      reason:
        `${missing}, and stack ${f.stack} may not build it (facilitator:build is false). ${release}; ` +
        `or deploy a tag that exists (gcloud artifacts docker tags list ${f.repository}).`,
    };
  }
  if (f.git === undefined) throw new Error("planImage: git facts are required when the stack may build a missing tag");
  if (!f.git.headAtTag) {
    return {
      action: "fail",
      reason:
        `${missing}, and HEAD (${f.git.shortSha}) is not at git tag ${f.tag}, so it cannot be built: an image is built only from its tag. ` +
        `Check out the tag (git fetch --tags && git checkout ${f.tag}) or tag this commit (git tag -a ${f.tag} -m "release(${f.tag}): <summary>"), then run pulumi up again.`,
    };
  }
  if (!f.git.clean) {
    return {
      action: "fail",
      reason:
        `${missing}, and HEAD is at ${f.tag} but the working tree has uncommitted or untracked changes, so the build would not be the tagged commit. ` +
        `Commit or remove them (git status), then run pulumi up again.`,
    };
  }
  return { action: "build", shortSha: f.git.shortSha };
}

/**
 * The build context as git paths: the Dockerfile plus what `.dockerignore` lets in (`!path` lines).
 * Only these must be committed for a build to be the tagged commit; anything else in the checkout
 * may differ. In CI that matters: google-github-actions/auth writes its credentials file
 * (`gha-creds-*.json`) into the workspace before `pulumi up`
 * (https://github.com/google-github-actions/auth#inputs, "create_credentials_file").
 */
export function buildContextPaths(dockerignore: string): string[] {
  const included = dockerignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("!"))
    .map((line) => line.slice(1).replace(/\/+$/, ""));
  return [DOCKERFILE, ...included].sort();
}
