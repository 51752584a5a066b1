// The git facts the image decision needs, read from a checkout. The only module that runs git,
// so tests can point it at a temporary repository.
import { execFileSync } from "node:child_process";

export interface GitFacts {
  /** `git rev-parse --short=7 HEAD`, used for the `sha-<short>` image tag. */
  shortSha: string;
  /** HEAD is exactly at the given tag (`git describe --exact-match --tags --match <tag> HEAD`). */
  headAtTag: boolean;
  /** No staged, unstaged or untracked changes (under `paths` when given): the build context is the commit. */
  clean: boolean;
}

function git(dir: string, args: string[]): { ok: true; out: string } | { ok: false; err: string } {
  try {
    const out = execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { ok: true, out: out.trim() };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    return { ok: false, err: stderr.trim() || String(err) };
  }
}

/**
 * Reads HEAD's facts in `dir` for `tag`. `paths` limits the cleanliness check (the local tag policy
 * checks only the build context, so a stack file edited by `pulumi config set` does not block a build).
 * Throws with a clear message if `dir` is not a git checkout.
 */
export function readGitFacts(dir: string, tag: string, paths: readonly string[] = []): GitFacts {
  const sha = git(dir, ["rev-parse", "--short=7", "HEAD"]);
  if (!sha.ok) {
    throw new Error(`Cannot read the git commit in ${dir} (${sha.err}). The image is built only from a git checkout of the release tag.`);
  }
  // --match restricts the candidates to `tag`, so another tag on the same commit cannot mask it.
  const atTag = git(dir, ["describe", "--exact-match", "--tags", "--match", tag, "HEAD"]);
  const status = git(dir, ["status", "--porcelain", ...(paths.length > 0 ? ["--", ...paths] : [])]);
  return {
    shortSha: sha.out,
    headAtTag: atTag.ok && atTag.out === tag,
    clean: status.ok && status.out === "",
  };
}
