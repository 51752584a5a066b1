// readGitFacts against real temporary git repositories.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readGitFacts } from "../../components/git";
import { tempRepo, type TempRepo } from "../support/git-repo";

describe("readGitFacts", () => {
  let repo: TempRepo;
  afterEach(() => repo?.remove());

  it("HEAD exactly at an annotated tag, clean tree", () => {
    repo = tempRepo();
    const sha = repo.commit("release");
    repo.git("tag", "-a", "v1.3.0", "-m", "release(v1.3.0): test");
    expect(readGitFacts(repo.dir, "v1.3.0")).toEqual({ shortSha: sha, headAtTag: true, clean: true });
  });

  it("a lightweight tag counts too", () => {
    repo = tempRepo();
    repo.commit("release");
    repo.git("tag", "v1.3.0");
    expect(readGitFacts(repo.dir, "v1.3.0").headAtTag).toBe(true);
  });

  it("another tag on the same commit does not hide the one asked for", () => {
    repo = tempRepo();
    repo.commit("release");
    repo.git("tag", "-a", "v1.3.0", "-m", "release");
    repo.git("tag", "-a", "v1.3.0-rc.1", "-m", "candidate");
    repo.git("tag", "-a", "zzz-later", "-m", "other");
    expect(readGitFacts(repo.dir, "v1.3.0").headAtTag).toBe(true);
    expect(readGitFacts(repo.dir, "v1.3.0-rc.1").headAtTag).toBe(true);
  });

  it("HEAD one commit after the tag is not at it", () => {
    repo = tempRepo();
    repo.commit("release");
    repo.git("tag", "-a", "v1.3.0", "-m", "release");
    const sha = repo.commit("after");
    expect(readGitFacts(repo.dir, "v1.3.0")).toEqual({ shortSha: sha, headAtTag: false, clean: true });
  });

  it("a tag that does not exist", () => {
    repo = tempRepo();
    repo.commit("first");
    expect(readGitFacts(repo.dir, "v9.9.9").headAtTag).toBe(false);
  });

  it("modified and untracked files make the tree dirty", () => {
    repo = tempRepo();
    repo.commit("release");
    repo.git("tag", "v1.3.0");
    repo.write("CHANGES.txt", "edited\n");
    expect(readGitFacts(repo.dir, "v1.3.0")).toMatchObject({ headAtTag: true, clean: false });
    repo.git("checkout", "--", "CHANGES.txt");
    expect(readGitFacts(repo.dir, "v1.3.0").clean).toBe(true);
    repo.write("new-file.txt", "untracked\n");
    expect(readGitFacts(repo.dir, "v1.3.0").clean).toBe(false);
  });

  it("outside a git checkout it fails clearly", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "facilitator-nogit-"));
    try {
      expect(() => readGitFacts(dir, "v1.3.0")).toThrow(/Cannot read the git commit in .*The image is built only from a git checkout of the release tag/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
