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
    throw new Error(
      `Cannot read the git commit in ${dir} (${sha.err}). The image is built only from a git checkout of the release tag.`,
    );
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

/** What an image's OCI labels say about the commit it is built from (as scripts/publish.sh passes them). */
export interface CommitProvenance {
  /** The full commit sha (`org.opencontainers.image.revision`). */
  revision: string;
  /** The commit time, RFC 3339 (`git log -1 --format=%cI`): rebuilds of one commit label alike. */
  created: string;
  /** The `origin` remote as a browsable https URL without credentials; "" without one. */
  source: string;
}

/**
 * A git remote as a browsable https URL, credentials and `.git` dropped ("" for a local path):
 * `git@github.com:o/r.git`, `ssh://git@github.com/o/r` and `https://token@github.com/o/r.git`
 * all become `https://github.com/o/r`.
 */
export function browsableUrl(remote: string): string {
  const scp = /^[\w.-]+@([^:/\s]+):(?!\/)(.+)$/.exec(remote);
  let host: string;
  let pathname: string;
  if (scp) {
    host = scp[1]!;
    pathname = `/${scp[2]!}`;
  } else {
    let url: URL;
    try {
      url = new URL(remote);
    } catch {
      return "";
    }
    if (!["https:", "http:", "ssh:", "git:"].includes(url.protocol) || url.hostname === "") return "";
    // An ssh or git port is not the web server's.
    host = url.protocol === "https:" || url.protocol === "http:" ? url.host : url.hostname;
    pathname = url.pathname;
  }
  return `https://${host}${pathname.replace(/\/+$/, "").replace(/\.git$/, "")}`;
}

/** Reads HEAD's provenance in `dir`. Throws with a clear message if `dir` is not a git checkout. */
export function readCommitProvenance(dir: string): CommitProvenance {
  const head = git(dir, ["log", "-1", "--format=%H %cI", "HEAD"]);
  if (!head.ok) {
    throw new Error(`Cannot read the git commit in ${dir} (${head.err}). The image is built only from a git checkout.`);
  }
  const [revision = "", created = ""] = head.out.split(" ");
  const origin = git(dir, ["remote", "get-url", "origin"]);
  return { revision, created, source: origin.ok ? browsableUrl(origin.out) : "" };
}
