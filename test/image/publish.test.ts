// scripts/publish.sh against the local registry, from throw-away git checkouts that hold a
// tiny Dockerfile at the path the script builds (so each case is fast and independent).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { describeWithDocker, docker, dockerCli, localRegistry } from "./support/docker.js";
import { git, initRepo } from "../support/gitRepo";
import { listTags, manifestDigest } from "./support/registry.js";

const PUBLISH = resolve(__dirname, "../../scripts/publish.sh");
const RUN_ID = randomBytes(4).toString("hex"); // the registry outlives test runs: fresh repositories each run
const scratch: string[] = [];

const TINY_DOCKERFILE = `FROM scratch
ARG VERSION
ARG REVISION
ARG SOURCE
ARG CREATED
LABEL org.opencontainers.image.version=$VERSION org.opencontainers.image.revision=$REVISION \\
      org.opencontainers.image.source=$SOURCE org.opencontainers.image.created=$CREATED
COPY hello.txt /hello.txt
`;

/** A clean checkout whose HEAD carries the annotated tag `tag` (no tag when null). */
function checkout(tag: string | null = "v1.2.3"): string {
  const dir = initRepo("publish-");
  scratch.push(dir);
  mkdirSync(join(dir, "demo"));
  writeFileSync(join(dir, "demo/facilitator-amoy.Dockerfile"), TINY_DOCKERFILE);
  writeFileSync(join(dir, "hello.txt"), `hello ${RUN_ID} ${dir}\n`); // distinct content: distinct digest per checkout
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "release");
  if (tag) git(dir, "tag", "-a", tag, "-m", tag);
  return dir;
}

let repoCounter = 0;
const newRepository = (): string => `publish-test/${RUN_ID}-${++repoCounter}`;

function publish(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync("bash", [PUBLISH, ...args], {
    cwd,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, DOCKER: dockerCli, ...env },
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

/** Asserts a refusal: exit 1, the message, and nothing pushed. */
async function expectRefusal(cwd: string, args: string[], message: RegExp, repository: string): Promise<void> {
  const r = publish(cwd, args);
  expect(r.stderr).toMatch(message);
  expect(r.status).toBe(1);
  expect(r.stdout).toBe("");
  expect(await listTags(localRegistry, repository)).toEqual([]);
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  // the engine keeps the images publish.sh built: remove this run's
  const refs = spawnSync(
    dockerCli,
    ["images", "--format", "{{.Repository}}:{{.Tag}}", `${localRegistry}/publish-test/${RUN_ID}-*`],
    { encoding: "utf8" },
  );
  const tags = refs.stdout?.split("\n").filter(Boolean) ?? [];
  if (tags.length > 0) spawnSync(dockerCli, ["rmi", "-f", ...tags]);
});

describeWithDocker(
  "scripts/publish.sh",
  () => {
    it("pushes vX.Y.Z and sha-<short> with one digest, prints it, and says plainly that it did not sign", async () => {
      const dir = checkout("v1.2.3");
      git(dir, "remote", "add", "origin", "https://ci-bot:ghp_secret@github.com/acme/facilitator-deploy.git");
      const repository = newRepository();
      const head = git(dir, "rev-parse", "HEAD");
      const r = publish(dir, ["v1.2.3", `${localRegistry}/${repository}`], { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" });
      expect(r.status, r.stderr).toBe(0);

      const tagged = await manifestDigest(localRegistry, repository, "v1.2.3");
      const bySha = await manifestDigest(localRegistry, repository, `sha-${head.slice(0, 7)}`);
      expect(tagged).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(bySha).toBe(tagged);
      expect(r.stdout).toBe(`${localRegistry}/${repository}@${tagged}`);
      expect((await listTags(localRegistry, repository)).sort()).toEqual([`sha-${head.slice(0, 7)}`, "v1.2.3"]);
      expect(r.stderr).toMatch(/NOT SIGNED: cosign is not installed/);

      const labels = JSON.parse(
        docker(["image", "inspect", "--format", "{{json .Config.Labels}}", r.stdout]),
      ) as Record<string, string>;
      expect(labels["org.opencontainers.image.revision"]).toBe(head);
      expect(labels["org.opencontainers.image.version"]).toBe("v1.2.3");
      expect(labels["org.opencontainers.image.source"]).toBe("https://github.com/acme/facilitator-deploy"); // no credentials
      expect(labels["org.opencontainers.image.created"]).toBe(git(dir, "log", "-1", "--format=%cI"));
    });

    it("refuses a tag that already exists in the registry, and leaves it as it was", async () => {
      const dir = checkout("v2.0.0");
      const repository = newRepository();
      expect(publish(dir, ["v2.0.0", `${localRegistry}/${repository}`]).status).toBe(0);
      const before = await manifestDigest(localRegistry, repository, "v2.0.0");

      writeFileSync(join(dir, "hello.txt"), "changed\n"); // same tag, different content
      git(dir, "commit", "-qam", "changed");
      git(dir, "tag", "-f", "-a", "v2.0.0", "-m", "moved");
      const again = publish(dir, ["v2.0.0", `${localRegistry}/${repository}`]);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/v2\.0\.0 already exists \(sha256:[0-9a-f]{64}\)\. Tags are immutable/);
      expect(await manifestDigest(localRegistry, repository, "v2.0.0")).toBe(before);
    });

    it("refuses when the sha-<short> tag already exists (same commit, new version tag)", async () => {
      const dir = checkout("v3.0.0");
      const repository = newRepository();
      expect(publish(dir, ["v3.0.0", `${localRegistry}/${repository}`]).status).toBe(0);
      git(dir, "tag", "-a", "v3.0.1", "-m", "v3.0.1");
      const r = publish(dir, ["v3.0.1", `${localRegistry}/${repository}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/:sha-[0-9a-f]{7} already exists/);
      expect(await manifestDigest(localRegistry, repository, "v3.0.1")).toBeUndefined();
    });

    it("refuses latest", async () => {
      const repository = newRepository();
      await expectRefusal(
        checkout("latest"),
        ["latest", `${localRegistry}/${repository}`],
        /refusing tag 'latest'/,
        repository,
      );
    });

    it.each(["1.2.3", "v1.2", "v01.2.3", "v1.2.3+build.5", "release-1"])(
      "refuses the non-semver tag %s",
      async (tag) => {
        const repository = newRepository();
        await expectRefusal(
          checkout(tag),
          [tag, `${localRegistry}/${repository}`],
          /is not a semver version tag/,
          repository,
        );
      },
    );

    it("refuses a dirty tree: a modified tracked file", async () => {
      const dir = checkout();
      writeFileSync(join(dir, "hello.txt"), "uncommitted\n");
      const repository = newRepository();
      await expectRefusal(
        dir,
        ["v1.2.3", `${localRegistry}/${repository}`],
        /working tree is not clean[\s\S]*hello\.txt/,
        repository,
      );
    });

    it("refuses a dirty tree: an untracked file (it would enter the build context)", async () => {
      const dir = checkout();
      writeFileSync(join(dir, "stray.txt"), "not committed\n");
      const repository = newRepository();
      await expectRefusal(
        dir,
        ["v1.2.3", `${localRegistry}/${repository}`],
        /working tree is not clean[\s\S]*stray\.txt/,
        repository,
      );
    });

    it("refuses when HEAD is past the tag", async () => {
      const dir = checkout("v1.2.3");
      writeFileSync(join(dir, "hello.txt"), "next\n");
      git(dir, "commit", "-qam", "after the release");
      const repository = newRepository();
      await expectRefusal(
        dir,
        ["v1.2.3", `${localRegistry}/${repository}`],
        /HEAD \([0-9a-f]+\) is not at v1\.2\.3 .*git checkout v1\.2\.3/,
        repository,
      );
    });

    it("refuses a tag that does not exist in the checkout", async () => {
      const repository = newRepository();
      await expectRefusal(
        checkout(null),
        ["v1.2.3", `${localRegistry}/${repository}`],
        /tag v1\.2\.3 does not exist in this checkout/,
        repository,
      );
    });

    it("refuses a commit argument that is not HEAD, and accepts HEAD's", async () => {
      const dir = checkout("v4.0.0");
      const first = git(dir, "rev-parse", "HEAD");
      writeFileSync(join(dir, "hello.txt"), "second\n");
      git(dir, "commit", "-qam", "second");
      git(dir, "tag", "-a", "v4.0.1", "-m", "v4.0.1");
      const repository = newRepository();
      await expectRefusal(
        dir,
        ["v4.0.1", `${localRegistry}/${repository}`, first],
        /commit [0-9a-f]{40} is not HEAD/,
        repository,
      );
      const ok = publish(dir, ["v4.0.1", `${localRegistry}/${repository}`, git(dir, "rev-parse", "HEAD")]);
      expect(ok.status, ok.stderr).toBe(0);
    });

    it.each(["facilitator-amoy", `${localRegistry}/x:v1`, `${localRegistry}/X`])(
      "refuses the repository %s",
      async (bad) => {
        const r = publish(checkout(), ["v1.2.3", bad]);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/is not REGISTRY\/REPOSITORY/);
      },
    );

    it("prints its usage when the arguments are missing", () => {
      const r = publish(checkout(), ["v1.2.3"]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/usage: scripts\/publish\.sh vX\.Y\.Z REGISTRY\/REPOSITORY \[COMMIT\]/);
    });

    it("refuses outside a git checkout", () => {
      const dir = mkdtempSync(join(tmpdir(), "publish-nogit-"));
      scratch.push(dir);
      const r = publish(dir, ["v1.2.3", `${localRegistry}/${newRepository()}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/not inside a git checkout/);
    });

    it("signs the pushed digest with cosign when cosign and COSIGN_KEY are present", () => {
      // cosign cannot be installed on these machines: a recording stand-in on PATH checks that
      // the script hands cosign the digest it verified (not a tag) and the key.
      const bin = mkdtempSync(join(tmpdir(), "publish-cosign-"));
      scratch.push(bin);
      writeFileSync(join(bin, "cosign"), `#!/bin/sh\nprintf '%s\\n' "$@" > "${bin}/args"\n`);
      chmodSync(join(bin, "cosign"), 0o755);
      const dir = checkout("v5.0.0");
      const r = publish(dir, ["v5.0.0", `${localRegistry}/${newRepository()}`], {
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        COSIGN_KEY: "/keys/cosign.key",
      });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(bin, "args"), "utf8").trim().split("\n")).toEqual([
        "sign",
        "--yes",
        "--allow-insecure-registry",
        "--key",
        "/keys/cosign.key",
        r.stdout,
      ]);
      expect(r.stderr).toMatch(/signed .*@sha256:[0-9a-f]{64} with \/keys\/cosign\.key/);
    });

    it("says it did not sign when cosign is present but there is no key and no OIDC identity", () => {
      const bin = mkdtempSync(join(tmpdir(), "publish-cosign-"));
      scratch.push(bin);
      writeFileSync(join(bin, "cosign"), "#!/bin/sh\nexit 99\n");
      chmodSync(join(bin, "cosign"), 0o755);
      const env: NodeJS.ProcessEnv = {
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        COSIGN_KEY: "",
        ACTIONS_ID_TOKEN_REQUEST_URL: "",
        SIGSTORE_ID_TOKEN: "",
      };
      const r = publish(checkout("v6.0.0"), ["v6.0.0", `${localRegistry}/${newRepository()}`], env);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/NOT SIGNED: cosign is installed but there is no COSIGN_KEY and no OIDC identity/);
    });
  },
  { needsRegistry: true },
);
