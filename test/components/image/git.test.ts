// readGitFacts and readCommitProvenance against real temporary git repositories.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { browsableUrl, readCommitProvenance, readGitFacts } from "../../../components/image/git";
import { tempRepo, type TempRepo } from "../../support/gitRepo";
import { REPO_ROOT } from "../../support/stack";

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
      expect(() => readGitFacts(dir, "v1.3.0")).toThrow(
        /Cannot read the git commit in .*The image is built only from a git checkout of the release tag/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("readCommitProvenance (the image labels' commit facts)", () => {
  it("full sha, commit time as RFC 3339 (the same on every read), origin as a browsable URL", () => {
    const repo = tempRepo();
    try {
      repo.commit("release");
      const first = readCommitProvenance(repo.dir);
      expect(first).toEqual({
        revision: repo.git("rev-parse", "HEAD"),
        created: repo.git("log", "-1", "--format=%cI"),
        source: "",
      });
      expect(first.revision).toMatch(/^[0-9a-f]{40}$/);
      expect(first.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$/);
      repo.git(
        "remote",
        "add",
        "origin",
        "https://x-access-token:ghs_fake@github.com/x402-payments/facilitator-deploy.git",
      );
      const second = readCommitProvenance(repo.dir);
      expect(second).toEqual({ ...first, source: "https://github.com/x402-payments/facilitator-deploy" }); // no credentials
    } finally {
      repo.remove();
    }
  });

  it("outside a git checkout it fails clearly", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "facilitator-nogit-"));
    try {
      expect(() => readCommitProvenance(dir)).toThrow(
        /Cannot read the git commit in .*The image is built only from a git checkout/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("browsableUrl", () => {
  const cases: [remote: string, url: string][] = [
    ["git@github.com:x402-payments/facilitator-deploy.git", "https://github.com/x402-payments/facilitator-deploy"],
    [
      "ssh://git@github.com/x402-payments/facilitator-deploy.git",
      "https://github.com/x402-payments/facilitator-deploy",
    ],
    ["https://github.com/x402-payments/facilitator-deploy.git", "https://github.com/x402-payments/facilitator-deploy"],
    [
      "https://oauth2:glpat-fake@gitlab.example.com/group/facilitator-deploy",
      "https://gitlab.example.com/group/facilitator-deploy",
    ],
  ];
  it.each(cases)("%s → %s", (remote, url) => expect(browsableUrl(remote)).toBe(url));

  it.each(cases)("agrees with scripts/publish.sh's source_url for %s", (remote) => {
    // The script's own sed expression, read from the script, run on the same remote.
    const script = readFileSync(path.join(REPO_ROOT, "scripts/publish.sh"), "utf8");
    const expression = /source_url\(\) \{\n.*\| sed -E '([^']+)'/.exec(script)?.[1];
    expect(expression, "source_url's sed expression in scripts/publish.sh").toBeDefined();
    expect(execFileSync("sed", ["-E", expression!], { input: `${remote}\n`, encoding: "utf8" }).trim()).toBe(
      browsableUrl(remote),
    );
  });

  it("an ssh port is not the web server's; a local path is not browsable", () => {
    expect(browsableUrl("ssh://git@git.example.com:2222/team/repo.git")).toBe("https://git.example.com/team/repo");
    expect(browsableUrl("/srv/git/facilitator-deploy.git")).toBe("");
    expect(browsableUrl("file:///srv/git/facilitator-deploy.git")).toBe("");
  });
});
