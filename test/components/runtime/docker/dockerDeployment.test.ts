// The docker target's pure helpers: env-file quoting, Kubernetes quantities in Docker's units,
// and which paths make up the build context (the local tag policy's cleanliness check).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cpus, envFileContent, megabytes } from "../../../../components/runtime/docker/dockerDeployment";
import { buildContextPaths } from "../../../../components/image/imagePlan";
import { concreteTag, planLocalImage, type LocalImageFacts } from "../../../../components/image/localImage";
import { ANVIL_DEV_KEY_0 } from "../../../support/fakes";
import { REPO_ROOT } from "../../../support/stack";

describe("envFileContent", () => {
  it("writes sorted NAME=\"value\" lines, so the same config gives the same upload", () => {
    expect(envFileContent({ B: "2", A: "https://rpc.example/v2/key#frag" })).toBe('A="https://rpc.example/v2/key#frag"\nB="2"\n');
  });

  it("picks a quote the value does not contain, and refuses values that cannot be quoted", () => {
    expect(envFileContent({ A: 'say "hi"' })).toBe(`A='say "hi"'\n`);
    expect(envFileContent({ A: `"'` })).toBe("A=`\"'`\n");
    expect(() => envFileContent({ KEY: "a\nb" })).toThrow(/KEY cannot be written to an env file/);
    expect(() => envFileContent({ KEY: "\"'`" })).toThrow(/KEY cannot be written to an env file/);
  });

  it("node --env-file reads it back unchanged", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "envfile-"));
    try {
      const values = { AMOY_RPC_URL: "https://rpc.example/v2/abc?token=x#y", FACILITATOR_PRIVATE_KEY: ANVIL_DEV_KEY_0 };
      writeFileSync(path.join(dir, "s.env"), envFileContent(values));
      const out = execFileSync(process.execPath, [`--env-file=${path.join(dir, "s.env")}`, "-p", "JSON.stringify([process.env.AMOY_RPC_URL, process.env.FACILITATOR_PRIVATE_KEY])"], { encoding: "utf8", env: {} });
      expect(JSON.parse(out)).toEqual([values.AMOY_RPC_URL, values.FACILITATOR_PRIVATE_KEY]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Kubernetes quantities in Docker's units", () => {
  it.each([
    ["512Mi", 512],
    ["1Gi", 1024],
    ["262144Ki", 256],
    ["1Mi", 6],
  ])("memory %s is %i MB", (quantity, mb) => expect(megabytes(quantity)).toBe(mb));

  it.each([
    ["250m", "0.25"],
    ["1", "1"],
    ["1.5", "1.5"],
  ])("cpu %s is %s cpus", (quantity, value) => expect(cpus(quantity)).toBe(value));

  it("refuses what it cannot convert", () => expect(() => megabytes("512MB")).toThrow(/Not a memory quantity like 512Mi: "512MB"/));
});

describe("buildContextPaths", () => {
  it("is the Dockerfile plus the .dockerignore whitelist of this repository", () => {
    const paths = buildContextPaths(readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8"));
    expect(paths).toContain("demo/facilitator-amoy.Dockerfile");
    expect(paths).toContain("demo/a2a/facilitator-amoy/src");
    expect(paths.some((p) => p.startsWith("Pulumi") || p === "." || p.includes("*"))).toBe(false);
  });
});

describe("planLocalImage (the local tag policy)", () => {
  const git = { shortSha: "1a2b3c4", headAtTag: false, clean: true };
  const facts = (over: Partial<LocalImageFacts>): LocalImageFacts => ({
    stack: "local",
    repository: "127.0.0.1:5000/x402-facilitator-amoy",
    tag: "sha-1a2b3c4",
    digest: undefined,
    mayBuild: true,
    git,
    ...over,
  });
  const digest = `sha256:${"a".repeat(64)}`;

  it("HEAD is the working tree's commit", () => {
    expect(concreteTag("HEAD", git)).toBe("sha-1a2b3c4");
    expect(concreteTag("v1.2.3", undefined)).toBe("v1.2.3");
  });

  it("a tag in the registry is resolved, never rebuilt", () => {
    expect(planLocalImage(facts({ digest, git: undefined, mayBuild: false }))).toEqual({ action: "resolve", tag: "sha-1a2b3c4", digest });
  });

  it("HEAD's sha- tag is built from a clean build context", () => {
    expect(planLocalImage(facts({}))).toEqual({ action: "build", tag: "sha-1a2b3c4", tags: ["sha-1a2b3c4"], shortSha: "1a2b3c4" });
  });

  it("a release tag is built only at that git tag, and pushed with its sha- tag too", () => {
    expect(planLocalImage(facts({ tag: "v1.2.3", git: { ...git, headAtTag: true } }))).toEqual({
      action: "build",
      tag: "v1.2.3",
      tags: ["v1.2.3", "sha-1a2b3c4"],
      shortSha: "1a2b3c4",
    });
    const plan = planLocalImage(facts({ tag: "v1.2.3" }));
    expect(plan).toMatchObject({ action: "fail", reason: expect.stringMatching(/HEAD \(sha-1a2b3c4\) is not at git tag v1\.2\.3, so it cannot be built/) });
  });

  it("a dirty build context, or a stack that may not build, fails with the fix", () => {
    expect(planLocalImage(facts({ git: { ...git, clean: false } }))).toMatchObject({ action: "fail", reason: expect.stringMatching(/uncommitted or untracked changes.*Commit them/) });
    expect(planLocalImage(facts({ mayBuild: false }))).toMatchObject({
      action: "fail",
      reason: expect.stringMatching(/facilitator:build is false.*pulumi config set --stack local facilitator:build true/),
    });
  });
});
