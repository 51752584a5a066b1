// scripts/releasesTable.mjs as the release workflow runs it: stack outputs in, RELEASES.md row out.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPT = resolve(__dirname, "../../scripts/releasesTable.mjs");
const COMMITTED_RELEASES = resolve(__dirname, "../../RELEASES.md");
const REPO = "europe-west1-docker.pkg.dev/acme-facilitator-staging/facilitator/x402-facilitator-amoy";
const DIGEST = `sha256:${"ab12".repeat(16)}`;
const OTHER_DIGEST = `sha256:${"cd34".repeat(16)}`;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const CHANGELOG = `# Changelog

## [Unreleased]

## [1.3.0] - 2026-11-29
### Added
- Settlement retries | idempotency keys
- Second bullet

## [1.2.3] - 2026-11-01
- Older
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "releases-table-"));
  writeFileSync(join(dir, "CHANGELOG.md"), CHANGELOG);
  copyFileSync(COMMITTED_RELEASES, join(dir, "RELEASES.md"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function outputs(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    imageRepository: REPO,
    imageTag: "v1.3.0",
    imageDigest: DIGEST,
    imageRef: `${REPO}@${DIGEST}`,
    namespace: "facilitator-staging",
    ...overrides,
  });
}

function run(args: string[], stdin: string) {
  const result = spawnSync("node", [SCRIPT, ...args], { cwd: dir, input: stdin, encoding: "utf8" });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    releases: readFileSync(join(dir, "RELEASES.md"), "utf8"),
  };
}

const ARGS = ["--tag", "v1.3.0", "--commit", COMMIT, "--outputs", "-"];

describe("scripts/releasesTable.mjs", () => {
  it("appends one row: tag, image, digest, commit, changelog entry (pipe-escaped)", () => {
    const result = run(ARGS, outputs());
    expect(result.status).toBe(0);
    const rows = result.releases.split("\n").filter((line) => line.startsWith("| v"));
    expect(rows).toEqual([
      `| v1.3.0 | \`${REPO}:v1.3.0\` | \`${DIGEST}\` | \`0123456789ab\` | Settlement retries \\| idempotency keys |`,
    ]);
    // the committed header is kept, the row comes after the table header
    expect(result.releases.startsWith(readFileSync(COMMITTED_RELEASES, "utf8"))).toBe(true);
  });

  it("reads outputs from a file and appends releases in order", () => {
    writeFileSync(
      join(dir, "out-1.2.3.json"),
      outputs({ imageTag: "v1.2.3", imageDigest: OTHER_DIGEST, imageRef: `${REPO}@${OTHER_DIGEST}` }),
    );
    expect(run(["--tag", "v1.2.3", "--commit", COMMIT, "--outputs", "out-1.2.3.json"], "").status).toBe(0);
    const result = run(ARGS, outputs());
    expect(result.status).toBe(0);
    expect(
      result.releases
        .split("\n")
        .filter((l) => l.startsWith("| v"))
        .map((l) => l.split(" | ")[0]),
    ).toEqual(["| v1.2.3", "| v1.3.0"]);
  });

  it("is idempotent for a re-run of the same release", () => {
    const first = run(ARGS, outputs());
    const second = run(ARGS, outputs());
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("already records v1.3.0");
    expect(second.releases).toBe(first.releases);
  });

  it("refuses a second digest for a recorded tag", () => {
    run(ARGS, outputs());
    const result = run(ARGS, outputs({ imageDigest: OTHER_DIGEST, imageRef: `${REPO}@${OTHER_DIGEST}` }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("already records v1.3.0 with digest");
    expect(result.stderr).toContain("tags are immutable");
  });

  it("creates RELEASES.md with its header when missing", () => {
    rmSync(join(dir, "RELEASES.md"));
    const result = run(ARGS, outputs());
    expect(result.status).toBe(0);
    expect(result.releases).toContain("| Tag | Image | Digest | Commit | Changelog |");
    expect(result.releases).toContain(`| v1.3.0 | \`${REPO}:v1.3.0\``);
  });

  describe("rejects bad input, naming the problem", () => {
    it.each([
      [["--tag", "1.3.0", "--commit", COMMIT, "--outputs", "-"], outputs(), /tag "1.3.0" is not vMAJOR.MINOR.PATCH/],
      [["--tag", "v1.3.0", "--commit", "main", "--outputs", "-"], outputs(), /commit "main" is not a git sha/],
      [["--tag", "v1.3.0", "--outputs", "-"], outputs(), /missing argument/],
      [ARGS, "not json", /stack outputs are not JSON/],
      [ARGS, outputs({ imageRepository: undefined }), /stack outputs have no imageRepository/],
      [ARGS, outputs({ imageDigest: "latest" }), /imageDigest "latest" is not a sha256 digest/],
      [ARGS, outputs({ imageTag: "v1.2.3" }), /imageTag "v1.2.3" is not the release v1.3.0/],
      [ARGS, outputs({ imageRef: `${REPO}:v1.3.0` }), /imageRef .* disagrees with imageRepository@imageDigest/],
      [
        ["--tag", "v9.9.9", "--commit", COMMIT, "--outputs", "-"],
        outputs({ imageTag: "v9.9.9" }),
        /CHANGELOG has no "## \[9.9.9\]" section/,
      ],
    ])("%#", (args, stdin, message) => {
      const before = readFileSync(join(dir, "RELEASES.md"), "utf8");
      const result = run(args, stdin);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.releases).toBe(before); // nothing written
    });
  });
});
