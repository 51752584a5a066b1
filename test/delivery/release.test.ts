// scripts/release.sh in throwaway git repositories: each refusal, and the happy path with --push.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { addOrigin, git, initRepo } from "../support/gitRepo";

const SCRIPT = resolve(__dirname, "../../scripts/release.sh");
const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const CHANGELOG = `# Changelog

## [Unreleased]

## [1.3.0] - 2026-11-29
### Added
- Settlement retries with idempotency keys
- Another line

## [v1.2.3]
- Older release
`;
const STAGING = `config:
  facilitator:imageTag: v1.2.3
  facilitator:build: true
`;
const PROD = `config:
  facilitator:imageTag: v1.2.3
  facilitator:build: false
`;

/** A repository like ours, committed and clean, with the script at scripts/release.sh. */
function makeRepo(files: Record<string, string> = {}): string {
  const dir = initRepo("release-sh-");
  temps.push(dir);
  mkdirSync(join(dir, "scripts"));
  copyFileSync(SCRIPT, join(dir, "scripts/release.sh"));
  const all: Record<string, string> = {
    "CHANGELOG.md": CHANGELOG,
    "Pulumi.staging.yaml": STAGING,
    "Pulumi.prod.yaml": PROD,
    "package.json": JSON.stringify({ name: "t", private: true, scripts: { test: 'node -e "process.exit(0)"' } }),
    ...files,
  };
  for (const [path, content] of Object.entries(all)) writeFileSync(join(dir, path), content);
  git(dir, "add", "-A");
  git(dir, "commit", "--quiet", "-m", "initial");
  return dir;
}

function release(cwd: string, args: string[], env: Record<string, string> = { RELEASE_SKIP_TESTS: "1" }) {
  const result = spawnSync("bash", ["scripts/release.sh", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("scripts/release.sh refuses", () => {
  it.each(["1.3.0", "v1.3", "v1.3.0-rc.1", "v01.3.0", "latest"])("a non-semver version %s", (version) => {
    const repo = makeRepo();
    const result = release(repo, [version]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`'${version}' is not a release version: use vMAJOR.MINOR.PATCH`);
    expect(git(repo, "tag")).toBe("");
  });

  it("a dirty tree, listing what is dirty", () => {
    const repo = makeRepo();
    writeFileSync(join(repo, "index.ts"), "// uncommitted\n");
    const result = release(repo, ["v1.3.0"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("uncommitted changes");
    expect(result.stderr).toContain("index.ts");
    expect(git(repo, "tag")).toBe("");
  });

  it("a version without a CHANGELOG.md entry", () => {
    const repo = makeRepo();
    const result = release(repo, ["v1.4.0"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /CHANGELOG.md has no entry for v1.4.0: add a '## \[1.4.0\] - \d{4}-\d\d-\d\d' section/,
    );
  });

  it("a CHANGELOG.md entry without a bullet", () => {
    const repo = makeRepo({ "CHANGELOG.md": "# Changelog\n\n## [1.3.0] - 2026-11-29\n\n## [1.2.3]\n- old\n" });
    const result = release(repo, ["v1.3.0"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("has no bullet");
  });

  it("a tag that already exists locally", () => {
    const repo = makeRepo();
    git(repo, "tag", "-a", "v1.3.0", "-m", "earlier");
    const result = release(repo, ["v1.3.0"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("tag v1.3.0 already exists");
    expect(result.stderr).toContain("releases are immutable");
  });

  it("with --push, a tag that already exists on origin", () => {
    const repo = makeRepo();
    const origin = addOrigin(repo);
    temps.push(origin);
    git(repo, "tag", "v1.3.0");
    git(repo, "push", "--quiet", "origin", "v1.3.0");
    git(repo, "tag", "-d", "v1.3.0");
    const result = release(repo, ["v1.3.0", "--push"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("tag v1.3.0 already exists on origin");
  });

  it("with --push, a branch that is behind origin", () => {
    const repo = makeRepo();
    const origin = addOrigin(repo);
    temps.push(origin);
    git(repo, "push", "--quiet", "origin", "main");
    // someone else pushed a commit we do not have
    const other = mkdtempSync(join(tmpdir(), "release-other-"));
    temps.push(other);
    git(tmpdir(), "clone", "--quiet", "--branch", "main", origin, other);
    git(
      other,
      "-c",
      "user.name=o",
      "-c",
      "user.email=o@example.invalid",
      "commit",
      "--quiet",
      "--allow-empty",
      "-m",
      "newer",
    );
    git(other, "push", "--quiet", "origin", "main");
    const result = release(repo, ["v1.3.0", "--push"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("main is behind origin/main; pull (and re-test) before releasing");
    expect(git(repo, "tag")).toBe("");
  });

  it("with --push, a branch other than main (deploys apply main's tree, so the tag would never deploy)", () => {
    const repo = makeRepo();
    const origin = addOrigin(repo);
    temps.push(origin);
    git(repo, "switch", "--quiet", "-c", "hotfix");
    const result = release(repo, ["v1.3.0", "--push"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--push releases from main only");
    expect(git(repo, "tag")).toBe("");
  });

  it("failing tests, before changing anything", () => {
    const repo = makeRepo({
      "package.json": JSON.stringify({ name: "t", private: true, scripts: { test: 'node -e "process.exit(3)"' } }),
    });
    const result = release(repo, ["v1.3.0"], {});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("npm test failed; fix it before releasing v1.3.0");
    expect(readFileSync(join(repo, "Pulumi.staging.yaml"), "utf8")).toBe(STAGING);
    expect(git(repo, "tag")).toBe("");
  });

  it("a stack file without facilitator:imageTag", () => {
    const repo = makeRepo({ "Pulumi.staging.yaml": "config:\n  facilitator:build: true\n" });
    const result = release(repo, ["v1.3.0"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Pulumi.staging.yaml must set facilitator:imageTag exactly once");
  });

  it("a detached HEAD", () => {
    const repo = makeRepo();
    git(repo, "checkout", "--quiet", "--detach");
    const result = release(repo, ["v1.3.0"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("HEAD is detached");
  });
});

describe("scripts/release.sh happy path", () => {
  it("runs the tests, sets imageTag, commits, tags with the changelog summary, does not push", () => {
    const marker = join(mkdtempSync(join(tmpdir(), "release-marker-")), "tests-ran");
    temps.push(resolve(marker, ".."));
    const repo = makeRepo({
      "package.json": JSON.stringify({
        name: "t",
        private: true,
        scripts: { test: `node -e "require('fs').writeFileSync(process.env.MARKER, 'yes')"` },
      }),
    });
    const before = git(repo, "rev-parse", "HEAD");
    const result = release(repo, ["v1.3.0"], { MARKER: marker });
    expect(result.stderr).not.toContain("release: RELEASE_SKIP_TESTS");
    expect(result.status).toBe(0);
    expect(existsSync(marker)).toBe(true); // the tests ran

    expect(readFileSync(join(repo, "Pulumi.staging.yaml"), "utf8")).toBe(STAGING.replace("v1.2.3", "v1.3.0"));
    expect(readFileSync(join(repo, "Pulumi.prod.yaml"), "utf8")).toBe(PROD.replace("v1.2.3", "v1.3.0"));
    expect(git(repo, "rev-parse", "HEAD~1")).toBe(before);
    expect(git(repo, "status", "--porcelain")).toBe("");
    expect(git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split("\n").sort()).toEqual([
      "Pulumi.prod.yaml",
      "Pulumi.staging.yaml",
    ]);

    expect(git(repo, "cat-file", "-t", "v1.3.0")).toBe("tag"); // annotated
    expect(git(repo, "rev-parse", "v1.3.0^{commit}")).toBe(git(repo, "rev-parse", "HEAD"));
    expect(git(repo, "tag", "-l", "--format=%(contents:subject)", "v1.3.0")).toBe(
      "release(v1.3.0): Settlement retries with idempotency keys",
    );
    expect(result.stdout).toContain("not pushed. To publish: git push --atomic origin main v1.3.0");
  });

  it("accepts the ## [vX.Y.Z] heading form too", () => {
    const repo = makeRepo({
      "Pulumi.staging.yaml": STAGING.replace("v1.2.3", "v1.2.2"),
      "Pulumi.prod.yaml": PROD.replace("v1.2.3", "v1.2.2"),
    });
    const result = release(repo, ["v1.2.3"]);
    expect(result.status).toBe(0);
    expect(git(repo, "tag", "-l", "--format=%(contents:subject)", "v1.2.3")).toBe("release(v1.2.3): Older release");
  });

  it("with --push, pushes the branch and the tag to origin together", () => {
    const repo = makeRepo();
    const origin = addOrigin(repo);
    temps.push(origin);
    git(repo, "push", "--quiet", "origin", "main");
    const result = release(repo, ["v1.3.0", "--push"]);
    expect(result.status).toBe(0);
    expect(git(origin, "rev-parse", "main")).toBe(git(repo, "rev-parse", "HEAD"));
    expect(git(origin, "rev-parse", "v1.3.0^{commit}")).toBe(git(repo, "rev-parse", "HEAD"));
    expect(git(origin, "cat-file", "-t", "v1.3.0")).toBe("tag");
    expect(result.stdout).toContain("deploy-on-merge runs release.yml at main");
  });
});
