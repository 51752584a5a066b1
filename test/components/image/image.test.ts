// FacilitatorImage and lookupImage under mocks, with real temporary git checkouts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as gcp from "@pulumi/gcp";
import { afterEach, describe, expect, it } from "vitest";
import { FacilitatorImage, lookupImage, type ImageLookupArgs } from "../../../components/image/image";
import { fakeDigest } from "../../support/fakes";
import { tempRepo, type TempRepo } from "../../support/gitRepo";
import { GET_DOCKER_IMAGES, invokeError, type RegistryImage } from "../../support/mocks";
import { runProgram } from "../../support/program";

const REPOSITORY = "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator/x402-facilitator-amoy";
const where = {
  project: "x402-facilitator-staging",
  location: "europe-west1",
  repositoryId: "facilitator",
  imageName: "x402-facilitator-amoy",
};
const released: RegistryImage[] = [
  { repository: REPOSITORY, tags: ["v1.2.3", "sha-2222222"], digest: fakeDigest("v1.2.3") },
];

let repo: TempRepo | undefined;
let noGit: string | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
  if (noGit) rmSync(noGit, { recursive: true, force: true });
  noGit = undefined;
});

/** A checkout whose HEAD is (or is not) exactly at `tag`. */
function checkout(tag: string, at: boolean): string {
  repo = tempRepo();
  repo.commit("release");
  repo.git("tag", "-a", tag, "-m", `release(${tag}): test`);
  if (!at) repo.commit("after the tag");
  return repo.dir;
}

/** A checkout at `tag` that holds this repository's .dockerignore and a file inside the build context. */
function releaseCheckout(tag: string): string {
  repo = tempRepo();
  repo.write(".dockerignore", readFileSync(path.join(__dirname, "../../../.dockerignore"), "utf8"));
  repo.write(".gitignore", readFileSync(path.join(__dirname, "../../../.gitignore"), "utf8"));
  mkdirSync(path.join(repo.dir, "demo/a2a/facilitator-amoy/src"), { recursive: true });
  repo.write("demo/a2a/facilitator-amoy/src/main.ts", "export {};\n");
  repo.commit("release");
  repo.git("tag", "-a", tag, "-m", `release(${tag}): test`);
  return repo.dir;
}

/** A directory that is not a git checkout: any git read there would throw. */
function notACheckout(): string {
  noGit = mkdtempSync(path.join(tmpdir(), "facilitator-nogit-"));
  return noGit;
}

function lookup(args: Partial<ImageLookupArgs>, registry: readonly RegistryImage[], invokes = {}) {
  const full: ImageLookupArgs = {
    ...where,
    stack: "staging",
    tag: "v1.3.0",
    mayBuild: true,
    promoteOnly: false,
    createsRepository: false,
    contextDir: ".",
    ...args,
  };
  return runProgram(async () => ({ action: await lookupImage(full) }), { registry, invokes });
}

describe("lookupImage", () => {
  it("a released tag resolves to its digest without reading git", async () => {
    const run = await lookup({ tag: "v1.2.3", contextDir: notACheckout() }, released);
    expect(run.outputs["action"]).toEqual({ action: "resolve", digest: fakeDigest("v1.2.3") });
    expect(run.invokes).toEqual([
      {
        token: GET_DOCKER_IMAGES,
        inputs: { project: where.project, location: where.location, repositoryId: where.repositoryId },
      },
    ]);
  });

  it("a missing tag with HEAD cleanly at it is built", async () => {
    const dir = checkout("v1.3.0", true);
    const run = await lookup({ contextDir: dir }, released);
    expect(run.outputs["action"]).toEqual({
      action: "build",
      shortSha: repo!.git("rev-parse", "--short=7", "HEAD"),
      // The commit labels the image: full sha, commit time (not now), no origin remote here.
      commit: { revision: repo!.git("rev-parse", "HEAD"), created: repo!.git("log", "-1", "--format=%cI"), source: "" },
    });
  });

  // google-github-actions/auth writes gha-creds-<random>.json into $GITHUB_WORKSPACE before `pulumi up`
  // runs (https://github.com/google-github-actions/auth#readme: "add gha-creds-*.json to your
  // .gitignore, .dockerignore"). It is outside the build context, so the release still builds; the
  // same file is ignored by git and never enters the image.
  it("a release checkout with the CI credentials file in the workspace still builds", async () => {
    const dir = releaseCheckout("v1.3.0");
    repo!.write("gha-creds-4f2a9c1b7e3d.json", '{"type":"external_account"}');
    repo!.write("notes.txt", "an untracked file outside the build context\n");
    const run = await lookup({ contextDir: dir }, released);
    expect(run.outputs["action"]).toMatchObject({ action: "build" });
    expect(repo!.git("check-ignore", "gha-creds-4f2a9c1b7e3d.json")).toBe("gha-creds-4f2a9c1b7e3d.json");
  });

  it("an uncommitted change inside the build context still stops a release build", async () => {
    const dir = releaseCheckout("v1.3.0");
    repo!.write("demo/a2a/facilitator-amoy/src/main.ts", "export const changed = true;\n");
    await expect(lookup({ contextDir: dir }, released)).rejects.toThrow(/uncommitted or untracked changes/);
  });

  it("a missing tag with HEAD elsewhere fails with the clear error", async () => {
    const dir = checkout("v1.3.0", false);
    await expect(lookup({ contextDir: dir }, released)).rejects.toThrow(
      /Image tag v1\.3\.0 is not in .*, and HEAD \([0-9a-f]{7}\) is not at git tag v1\.3\.0/,
    );
  });

  it("a stack that may build, outside a git checkout, stops with a clear error", async () => {
    await expect(lookup({ contextDir: notACheckout() }, released)).rejects.toThrow(
      /Cannot read the git commit in .*built only from a git checkout of the release tag/,
    );
  });

  it("a promote-only stack never builds, even configured to and at the tag", async () => {
    const dir = checkout("v1.3.0", true);
    await expect(
      lookup({ stack: "prod", promoteOnly: true, mayBuild: true, contextDir: dir }, released),
    ).rejects.toThrow(/Stack prod only deploys images the staging stack built/);
  });

  it("a repository this run creates does not exist yet: no tags, so build", async () => {
    const dir = checkout("v1.3.0", true);
    const missing = {
      [GET_DOCKER_IMAGES]: () => {
        throw invokeError("googleapi: Error 404: Requested entity was not found.");
      },
    };
    const run = await lookup({ contextDir: dir, createsRepository: true }, [], missing);
    expect(run.outputs["action"]).toMatchObject({ action: "build" });
  });

  it("a missing repository this stack does not create, or any other listing error, stops the run", async () => {
    const missing = {
      [GET_DOCKER_IMAGES]: () => {
        throw invokeError("googleapi: Error 404: Requested entity was not found.");
      },
    };
    await expect(lookup({ createsRepository: false }, [], missing)).rejects.toThrow(
      /Cannot list the images in .*x402-facilitator-amoy: .*404/,
    );
    const denied = {
      [GET_DOCKER_IMAGES]: () => {
        throw invokeError("googleapi: Error 403: Permission denied");
      },
    };
    await expect(lookup({ createsRepository: true }, [], denied)).rejects.toThrow(
      /Cannot list the images .*403.*roles\/artifactregistry\.reader/,
    );
  });
});

describe("FacilitatorImage", () => {
  const base = { ...where, tag: "v1.3.0", contextDir: "." };
  const commit = {
    revision: "abc1234".padEnd(40, "0"),
    created: "2026-11-02T10:11:12+01:00",
    source: "https://github.com/x402-payments/facilitator-deploy",
  };

  it("resolve: references the digest and builds nothing", async () => {
    const digest = fakeDigest("v1.2.3");
    const run = await runProgram(() => {
      const image = new FacilitatorImage("facilitator", {
        ...base,
        tag: "v1.2.3",
        action: { action: "resolve", digest },
      });
      return { repository: image.repository, tag: image.tag, digest: image.digest, ref: image.ref };
    });
    expect(run.outputs).toEqual({ repository: REPOSITORY, tag: "v1.2.3", digest, ref: `${REPOSITORY}@${digest}` });
    expect(run.ofType("docker-build:index:Image")).toEqual([]);
    expect(run.one("facilitator:index:FacilitatorImage").name).toBe("facilitator");
  });

  it("build: one image, both immutable tags, pushed with the ambient access token, kept on delete", async () => {
    const run = await runProgram(() => {
      const registry = new gcp.artifactregistry.Repository("repo", {
        format: "DOCKER",
        repositoryId: "facilitator",
        location: "europe-west1",
        project: where.project,
      });
      const image = new FacilitatorImage("facilitator", {
        ...base,
        action: { action: "build", shortSha: "abc1234", commit },
        after: [registry],
      });
      return { digest: image.digest, ref: image.ref };
    });
    const built = run.one("docker-build:index:Image");
    expect(built.inputs).toMatchObject({
      tags: [`${REPOSITORY}:v1.3.0`, `${REPOSITORY}:sha-abc1234`],
      push: true,
      context: { location: "." },
      dockerfile: { location: "demo/facilitator-amoy.Dockerfile" },
      platforms: ["linux/amd64"],
      buildOnPreview: false,
      registries: [
        { address: "europe-west1-docker.pkg.dev", username: "oauth2accesstoken", password: "fake-access-token" },
      ],
      // The Dockerfile's OCI label args, as scripts/publish.sh passes them (rebuilds of a commit label alike).
      buildArgs: { CREATED: commit.created, REVISION: commit.revision, SOURCE: commit.source, VERSION: "v1.3.0" },
    });
    expect(built.inputs["labels"]).toBeUndefined(); // one place defines the labels: the Dockerfile
    expect(JSON.stringify(built.inputs)).not.toContain("latest");
    expect(built.secretPaths).toEqual(["registries.0.password"]); // the access token is secret in state
    expect(built.options.retainOnDelete).toBe(true);
    expect(built.options.dependsOn).toContain(run.one("gcp:artifactregistry/repository:Repository").urn);
    expect(built.parent).toBe(run.one("facilitator:index:FacilitatorImage").urn);
    expect(run.outputs["digest"]).toBe(built.state["digest"]);
    expect(run.outputs["ref"]).toBe(`${REPOSITORY}@${String(built.state["digest"])}`);
    expect(run.invokes.map((i) => i.token)).toEqual(["gcp:organizations/getClientConfig:getClientConfig"]);
  });

  it("build with GHCR: the same build also pushes both tags to ghcr.io/<owner>/x402-facilitator-amoy", async () => {
    const run = await runProgram(() => {
      const image = new FacilitatorImage("facilitator", {
        ...base,
        action: { action: "build", shortSha: "abc1234", commit },
        ghcrOwner: "acme",
        ghcrToken: "ghp_fake",
      });
      return { ref: image.ref };
    });
    const built = run.one("docker-build:index:Image");
    expect(built.inputs["tags"]).toEqual([
      `${REPOSITORY}:v1.3.0`,
      `${REPOSITORY}:sha-abc1234`,
      "ghcr.io/acme/x402-facilitator-amoy:v1.3.0",
      "ghcr.io/acme/x402-facilitator-amoy:sha-abc1234",
    ]);
    expect(built.inputs["registries"]).toContainEqual({ address: "ghcr.io", username: "acme", password: "ghp_fake" });
  });
});
