// Temporary git repositories for the image decision: HEAD at a tag or not, clean or dirty.
import { execFileSync } from "node:child_process";
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

export function tempRepo(): TempRepo {
  const dir = mkdtempSync(path.join(tmpdir(), "facilitator-git-"));
  const git = (...args: string[]): string =>
    execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", ...args], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  git("init", "-q", "-b", "main");
  let n = 0;
  const repo: TempRepo = {
    dir,
    git,
    write(file, content) {
      writeFileSync(path.join(dir, file), content);
    },
    commit(message) {
      repo.write("CHANGES.txt", `${message} ${++n}\n`);
      git("add", "-A");
      git("commit", "-q", "-m", message);
      return git("rev-parse", "--short=7", "HEAD");
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return repo;
}
