// Temporary git repositories for tests: the image decision (HEAD at a tag or not, clean or dirty),
// and the release, deploy-on-merge and publish scripts, which commit, tag and push in them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface TempRepo {
  dir: string;
  git(...args: string[]): string;
  /** Adds a commit (a file change) and returns its short sha. */
  commit(message: string): string;
  write(file: string, content: string): void;
  remove(): void;
}

/** Runs git in `cwd` and returns its output; throws with git's stderr when it fails. */
export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * A new repository on branch main in a fresh temp directory (the caller removes it). The test
 * identity and "no signing" live in the repository's own config, so scripts run in it can commit
 * and tag as well.
 */
export function initRepo(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  git(dir, "init", "--quiet", "--initial-branch=main");
  const settings = {
    "user.name": "Test",
    "user.email": "test@example.invalid",
    "commit.gpgsign": "false",
    "tag.gpgsign": "false",
  };
  for (const [key, value] of Object.entries(settings)) git(dir, "config", key, value);
  return dir;
}

/** A bare repository in a fresh temp directory, added to `repo` as `origin`; returns its path. */
export function addOrigin(repo: string): string {
  const origin = mkdtempSync(path.join(tmpdir(), "facilitator-origin-"));
  git(origin, "init", "--quiet", "--bare");
  git(repo, "remote", "add", "origin", origin);
  return origin;
}

export function tempRepo(): TempRepo {
  const dir = initRepo("facilitator-git-");
  let n = 0;
  const repo: TempRepo = {
    dir,
    git: (...args) => git(dir, ...args),
    write(file, content) {
      writeFileSync(path.join(dir, file), content);
    },
    commit(message) {
      repo.write("CHANGES.txt", `${message} ${++n}\n`);
      repo.git("add", "-A");
      repo.git("commit", "-q", "-m", message);
      return repo.git("rev-parse", "--short=7", "HEAD");
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return repo;
}
