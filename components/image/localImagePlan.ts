// Pure decisions of the `local` tag policy (images in a plain-HTTP registry next to the engine):
// - imageTag HEAD means the working tree's commit, as `sha-<short>`; sha-<short> and vX.Y.Z name one.
// - The tag is in the registry: deploy its digest (rollback: set an older tag). No rebuild.
// - Missing: build and push it, only from a build context without uncommitted changes, so the
//   image is exactly that commit. Anything else fails with the fix.
import type { GitFacts } from "./git";

const SEMVER = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export interface LocalImageFacts {
  stack: string;
  /** `<registry>/<image>` */
  repository: string;
  /** The concrete tag looked up (HEAD → sha-<short of HEAD>). */
  tag: string;
  /** The tag's digest in the registry, undefined when it is not there. */
  digest: string | undefined;
  mayBuild: boolean;
  /** HEAD and the build context; read whenever a build may happen or the tag is HEAD. */
  git: GitFacts | undefined;
}

export type LocalImagePlan =
  | { action: "resolve"; tag: string; digest: string }
  | { action: "build"; tag: string; tags: string[]; shortSha: string }
  | { action: "fail"; reason: string };

/** The concrete tag for a configured imageTag: HEAD is the working tree's commit. */
export function concreteTag(requested: string, git: GitFacts | undefined): string {
  if (requested !== "HEAD") return requested;
  if (git === undefined) throw new Error("concreteTag: HEAD needs the git facts");
  return `sha-${git.shortSha}`;
}

/** Resolve when the tag is in the registry; build when this clean checkout is that tag; else fail. */
export function planLocalImage(f: LocalImageFacts): LocalImagePlan {
  if (f.digest !== undefined) return { action: "resolve", tag: f.tag, digest: f.digest };

  const missing = `Image tag ${f.tag} is not in ${f.repository}`;
  if (!f.mayBuild) {
    return {
      action: "fail",
      reason:
        `${missing}, and stack ${f.stack} may not build it (facilitator:build is false). ` +
        `Let it build (pulumi config set --stack ${f.stack} facilitator:build true), or deploy a tag that is there ` +
        `(curl -s http://${f.repository.replace("/", "/v2/")}/tags/list).`,
    };
  }
  if (f.git === undefined)
    throw new Error("planLocalImage: git facts are required when the stack may build a missing tag");
  const headTag = `sha-${f.git.shortSha}`;
  const isRelease = SEMVER.test(f.tag);
  if (isRelease ? !f.git.headAtTag : f.tag !== headTag) {
    return {
      action: "fail",
      reason:
        `${missing}, and HEAD (${headTag}) is not ${isRelease ? `at git tag ${f.tag}` : "that commit"}, so it cannot be built: an image is built only from its own commit. ` +
        `Deploy the working tree's commit (pulumi config set --stack ${f.stack} facilitator:imageTag HEAD), ` +
        `or check out ${isRelease ? f.tag : "that commit"} and run pulumi up again.`,
    };
  }
  if (!f.git.clean) {
    return {
      action: "fail",
      reason:
        `${missing}, and the build context has uncommitted or untracked changes, so the image would not be commit ${f.git.shortSha}. ` +
        `Commit them (git status -- demo/), then run pulumi up again.`,
    };
  }
  return { action: "build", tag: f.tag, tags: isRelease ? [f.tag, headTag] : [headTag], shortSha: f.git.shortSha };
}
