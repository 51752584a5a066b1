// The committed `local` stack (Pulumi.local.yaml, target docker) through index.ts under mocks:
// the container it declares, the local tag policy (build HEAD from a clean build context, resolve
// what the local registry has, rollback by imageTag), and that it needs no cloud at all.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SHUTDOWN_EXIT_MARGIN_MS, SHUTDOWN_GRACE_MS } from "../../components/service/contract";
import { HEALTHCHECK, SECRET_ENV_FILE, STOP_TIMEOUT_SECONDS } from "../../components/runtime/docker/dockerDeployment";
import { policies } from "../../policy/index";
import { runPolicies } from "../../policy/run";
import { asPolicyInput } from "../policy/committedStacks";
import { diffRuns } from "../support/diff";
import { ANVIL_DEV_KEY_0, ANVIL_DEV_KEY_POOL, FAKE_RPC_URL, fakeDigest } from "../support/fakes";
import { tempRepo, type TempRepo } from "../support/gitRepo";
import { REPO_ROOT, releasedImages, runStack, stackConfig } from "../support/stack";
import { deadRegistryAddress, startFakeRegistry, type FakeRegistry } from "./support/registry";
import {
  declaredContainer,
  headShortSha,
  localDigest,
  localImageName,
  runLocalStack,
  type LocalStackRun,
} from "./support/stack";

const CONTAINER = "docker:index/container:Container";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const BUILD = "docker-build:index:Image";

/** A throwaway checkout holding the build context paths and this repository's .dockerignore. */
function contextRepo(): TempRepo {
  const repo = tempRepo();
  copyFileSync(path.join(REPO_ROOT, ".dockerignore"), path.join(repo.dir, ".dockerignore"));
  mkdirSync(path.join(repo.dir, "demo/a2a/facilitator-amoy/src"), { recursive: true });
  repo.write("demo/facilitator-amoy.Dockerfile", "FROM scratch\n");
  repo.write("demo/a2a/facilitator-amoy/package.json", "{}\n");
  repo.write("demo/a2a/facilitator-amoy/src/main.ts", "export {};\n");
  repo.write("Pulumi.local.yaml", "config: {}\n");
  repo.commit("context");
  return repo;
}

describe("Pulumi.local.yaml as committed (its HEAD already in the local registry)", () => {
  let run: LocalStackRun;
  let registry: FakeRegistry;
  const tag = `sha-${headShortSha()}`;
  beforeAll(async () => {
    registry = await startFakeRegistry({ [`${localImageName()}:${tag}`]: localDigest(tag) });
    run = await runLocalStack({ registry });
  });
  afterAll(() => registry.stop());

  it("needs no cloud account: only docker resources, no GCP, GitHub, Kubernetes or monitoring", () => {
    const types = [...new Set(run.resources.map((r) => r.type))].sort();
    expect(types).toEqual(
      [
        "facilitator:index:DockerDeployment",
        "facilitator:index:LocalFacilitatorImage",
        REMOTE_IMAGE,
        CONTAINER,
        "pulumi:providers:docker",
      ].sort(),
    );
    expect(run.invokes).toEqual([]);
  });

  it("runs the image by digest: pulled as repository@sha256, the container takes the pulled image", () => {
    const ref = `${run.registry}/${localImageName()}@${localDigest(tag)}`;
    expect(run.one(REMOTE_IMAGE).inputs).toMatchObject({ name: ref, keepLocally: true });
    const container = run.one(CONTAINER);
    // The container takes the RemoteImage's image ID (the config digest docker runs), and depends on the pull.
    expect(container.options.dependsOn).toContain(run.one(REMOTE_IMAGE).urn);
    expect(run.one(REMOTE_IMAGE).state).toMatchObject({
      repoDigest: ref,
      imageId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(declaredContainer(run).image).toBe(run.one(REMOTE_IMAGE).state["imageId"]);
    expect(declaredContainer(run).labels).toContainEqual({ label: "org.opencontainers.image.ref.name", value: ref });
    expect(run.ofType(BUILD)).toEqual([]); // already in the registry: nothing is built
  });

  it("keeps the private key and RPC URL out of the container env; they arrive as a secret env file", () => {
    const container = declaredContainer(run);
    expect(container.envs.sort()).toEqual([
      `AMOY_USDC_ADDRESS=${stackConfig({ stack: "local" }).values["facilitator:usdcAddress"]}`,
      "PORT=5401",
      "REAL_SETTLE=false",
      "SHUTDOWN_GRACE_MS=25000",
    ]);
    expect(JSON.stringify(container.envs)).not.toMatch(/PRIVATE_KEY|RPC_URL|fake-rpc-token/);
    expect(container.command).toEqual([`--env-file=${SECRET_ENV_FILE}`, "/app/dist/main.js"]);
    expect(container.uploads).toEqual([
      {
        file: SECRET_ENV_FILE,
        content: `AMOY_RPC_URL="${FAKE_RPC_URL}"\nFACILITATOR_PRIVATE_KEY="${ANVIL_DEV_KEY_0}"\n`,
        owner: "0",
        group: "65532",
        permissions: "0440",
      },
    ]);
    expect(container.volumes).toEqual([{ containerPath: "/run/facilitator" }]);
    // The engine receives the upload as a secret: encrypted in state, masked in previews.
    expect(run.one(CONTAINER).secretPaths).toEqual(["uploads.0.content"]);
  });

  it("is hardened: uid 65532, read-only root with a tmpfs /tmp, all capabilities dropped, no-new-privileges", () => {
    expect(declaredContainer(run)).toMatchObject({
      user: "65532:65532",
      readOnly: true,
      tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      memory: 256,
    });
  });

  it("has the image's exec health check, a restart policy, waits for healthy, and rotates its json-file logs", () => {
    expect(declaredContainer(run)).toMatchObject({
      healthcheck: { tests: HEALTHCHECK, interval: "10s", timeout: "3s", startPeriod: "5s", retries: 3 },
      restart: "unless-stopped",
      wait: true,
      mustRun: true,
      logDriver: "json-file",
      logOpts: { "max-file": "3", "max-size": "10m" },
    });
    expect(HEALTHCHECK).toEqual(["CMD", "/nodejs/bin/node", "/app/dist/healthcheck.js"]);
  });

  it("publishes 5401 on loopback only, and reaches a chain on the host as host.docker.internal", () => {
    expect(declaredContainer(run)).toMatchObject({
      name: "facilitator-local",
      networkMode: "bridge",
      ports: [{ internal: 5401, external: 5401, ip: "127.0.0.1", protocol: "tcp" }],
      hosts: [{ host: "host.docker.internal", ip: "host-gateway" }],
    });
    expect(run.one(CONTAINER).options).toMatchObject({ protect: false });
  });

  it("uses the ambient engine: no host from the stack, so the provider takes DOCKER_HOST (or the default socket)", () => {
    expect(run.one("pulumi:providers:docker").inputs["host"]).toBe(process.env["DOCKER_HOST"]);
    expect(run.one(CONTAINER).provider).toMatch(/pulumi:providers:docker::docker::/);
  });

  it("keeps the stack outputs contract: the image outputs every target has, and the container's name", () => {
    const repository = `${run.registry}/${localImageName()}`;
    expect(run.outputs).toEqual({
      imageRepository: repository,
      imageTag: tag,
      imageDigest: localDigest(tag),
      imageRef: `${repository}@${localDigest(tag)}`,
      containerName: "facilitator-local",
    });
    expect(JSON.stringify(run.outputs)).not.toContain(ANVIL_DEV_KEY_0.slice(2));
  });

  it("passes the policy pack with zero violations (the container's image ID filled in as the provider would)", async () => {
    const violations = await runPolicies(policies, asPolicyInput(run));
    expect(violations.map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
    // Not vacuous: the container and the RemoteImage it runs are both checked.
    expect(asPolicyInput(run).find((r) => r.type === CONTAINER)?.props["image"]).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("an unchanged stack gives identical inputs on every run (no phantom diffs)", async () => {
    const again = await runLocalStack({ registry });
    expect(diffRuns(run.resources, again.resources)).toEqual({});
  });
});

describe("the local tag policy", () => {
  let repo: TempRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it("HEAD missing from the registry: builds sha-<short> from the clean checkout, pushes it, runs its digest", async () => {
    repo = contextRepo();
    const short = headShortSha(repo.dir);
    const run = await runLocalStack({ cwd: repo.dir, tags: [] });
    const repository = `${run.registry}/${localImageName()}`;
    const build = run.one(BUILD);
    expect(build.inputs).toMatchObject({
      tags: [`${repository}:sha-${short}`],
      push: true,
      buildOnPreview: false,
      context: { location: "." },
      dockerfile: { location: "demo/facilitator-amoy.Dockerfile" },
      // The Dockerfile's OCI label args, as scripts/publish.sh passes them: commit facts only.
      buildArgs: {
        CREATED: repo.git("log", "-1", "--format=%cI"),
        REVISION: repo.git("rev-parse", "HEAD"),
        SOURCE: "",
        VERSION: `sha-${short}`,
      },
    });
    expect(build.options.retainOnDelete).toBe(true);
    const digest = build.state["digest"] as string;
    expect(run.one(REMOTE_IMAGE).inputs["name"]).toBe(`${repository}@${digest}`);
    expect(run.outputs).toMatchObject({
      imageTag: `sha-${short}`,
      imageDigest: digest,
      imageRef: `${repository}@${digest}`,
    });
  });

  it("an edited stack file does not block the build (only the build context must be committed)", async () => {
    repo = contextRepo();
    repo.write("Pulumi.local.yaml", "config:\n  facilitator:privateKey:\n    secure: v1:abc\n");
    repo.write("notes.txt", "untracked\n");
    const run = await runLocalStack({ cwd: repo.dir, tags: [] });
    expect(run.ofType(BUILD)).toHaveLength(1);
  });

  it("uncommitted changes in the build context refuse the build, naming the fix", async () => {
    repo = contextRepo();
    repo.write("demo/a2a/facilitator-amoy/src/main.ts", "export const changed = 1;\n");
    await expect(runLocalStack({ cwd: repo.dir, tags: [] })).rejects.toThrow(
      /Image tag sha-[0-9a-f]{7} is not in 127\.0\.0\.1:\d+\/x402-facilitator-amoy, and the build context has uncommitted or untracked changes.*Commit them/,
    );
  });

  it("rollback: an older sha- tag in the registry changes only what the container runs, and builds nothing", async () => {
    repo = contextRepo();
    const older = `sha-${headShortSha(repo.dir)}`;
    repo.commit("next");
    const current = `sha-${headShortSha(repo.dir)}`;
    const registry = await startFakeRegistry({
      [`${localImageName()}:${older}`]: localDigest(older),
      [`${localImageName()}:${current}`]: localDigest(current),
    });
    try {
      const now = await runLocalStack({ cwd: repo.dir, registry });
      const rolledBack = await runLocalStack({ cwd: repo.dir, registry, config: { imageTag: older } });
      const ref = (run: LocalStackRun) => run.one(REMOTE_IMAGE).inputs["name"];
      expect(ref(now)).toBe(`${registry.address}/${localImageName()}@${localDigest(current)}`);
      expect(ref(rolledBack)).toBe(`${registry.address}/${localImageName()}@${localDigest(older)}`);
      expect(diffRuns(now.resources, rolledBack.resources)).toEqual({
        [now.one(REMOTE_IMAGE).urn]: ["name"],
        // The container runs the other pull's image ID (and labels its reference): nothing else changes.
        [now.one(CONTAINER).urn]: ["image", "labels.0.value"],
      });
      for (const run of [now, rolledBack]) expect(run.ofType(BUILD)).toEqual([]);
      expect(rolledBack.outputs).toMatchObject({ imageTag: older, imageDigest: localDigest(older) });
    } finally {
      await registry.stop();
    }
  });

  it("a sha- tag that is neither in the registry nor HEAD fails with the fix", async () => {
    repo = contextRepo();
    await expect(runLocalStack({ cwd: repo.dir, tags: [], config: { imageTag: "sha-0000000" } })).rejects.toThrow(
      /Image tag sha-0000000 is not in .*HEAD \(sha-[0-9a-f]{7}\) is not that commit.*facilitator:imageTag HEAD/,
    );
  });

  it("facilitator:build false with a missing tag fails and says how to list what is there", async () => {
    repo = contextRepo();
    await expect(runLocalStack({ cwd: repo.dir, tags: [], config: { build: "false" } })).rejects.toThrow(
      /may not build it \(facilitator:build is false\).*curl -s http:\/\/127\.0\.0\.1:\d+\/v2\/x402-facilitator-amoy\/tags\/list/,
    );
  });

  it("a registry that does not answer fails with the command that starts one", async () => {
    const address = await deadRegistryAddress();
    await expect(runStack({ stack: "local", config: { localRegistry: address } })).rejects.toThrow(
      new RegExp(
        `local registry ${address.replace(/\./g, "\\.")} does not answer .*docker run -d --name registry --restart unless-stopped -p ${address.replace(/\./g, "\\.")}:5000 registry:2`,
      ),
    );
  });
});

describe("docker target settings", () => {
  it("a VPS over ssh: the provider gets the host; host networking drops the port mapping", async () => {
    // Artifact Registry path: the tag is resolved there, the engine pulls with the deployer's token.
    const repository = "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator/x402-facilitator-amoy";
    const run = await runStack({
      stack: "local",
      config: {
        localRegistry: "",
        registryProject: "x402-facilitator-staging",
        imageTag: "v1.2.3",
        build: "false",
        dockerHost: "ssh://deploy@vps.example.com",
        dockerNetwork: "host",
      },
      registry: releasedImages(["v1.2.3"], repository),
    });
    const provider = run.one("pulumi:providers:docker");
    expect(provider.inputs["host"]).toBe("ssh://deploy@vps.example.com");
    // Provider config reaches the engine as JSON text; the token is a secret.
    expect(JSON.parse(provider.inputs["registryAuth"] as string)).toEqual([
      { address: "europe-west1-docker.pkg.dev", username: "oauth2accesstoken", password: "fake-access-token" },
    ]);
    expect(provider.secretPaths).toEqual(["registryAuth"]);
    expect(run.one(REMOTE_IMAGE).inputs["name"]).toBe(`${repository}@${fakeDigest(`${repository}:v1.2.3`)}`);
    expect(declaredContainer(run)).toMatchObject({ networkMode: "host" });
    expect(declaredContainer(run).ports).toBeUndefined();
    expect(run.outputs).toMatchObject({ imageTag: "v1.2.3", containerName: "facilitator-local" });
  });

  it("a signer pool and API keys go into the secret env file only; a balance floor is plain env; policy-clean", async () => {
    const pool = ANVIL_DEV_KEY_POOL;
    const apiKeys = "fake-api-key-0123456789abcdef,fake-api-key-fedcba9876543210";
    const run = await runLocalStack({
      config: { privateKey: undefined, minSignerBalanceWei: "50000000000000000" },
      secrets: { signerKeys: pool, apiKeys },
    });
    const inputs = declaredContainer(run);
    expect(inputs.uploads.map((u) => u.content)).toEqual([
      `AMOY_RPC_URL="${FAKE_RPC_URL}"\nFACILITATOR_API_KEYS="${apiKeys}"\nFACILITATOR_PRIVATE_KEYS="${pool}"\n`,
    ]);
    expect(run.one(CONTAINER).secretPaths).toEqual(["uploads.0.content"]);
    expect(inputs.envs).toContain("MIN_SIGNER_BALANCE_WEI=50000000000000000");
    expect(JSON.stringify(inputs.envs)).not.toMatch(/PRIVATE_KEY|API_KEY|RPC_URL|59c6995e998f97a5|fake-api-key/);
    expect((await runPolicies(policies, asPolicyInput(run))).map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });

  it("the stop timeout covers the service's shutdown grace and its forced-exit margin", async () => {
    const run = await runLocalStack();
    expect(declaredContainer(run).envs).toContain(`SHUTDOWN_GRACE_MS=${SHUTDOWN_GRACE_MS}`);
    const stop = run.one(CONTAINER).inputs as { stopTimeout: number; destroyGraceSeconds: number };
    expect(stop).toMatchObject({ stopTimeout: STOP_TIMEOUT_SECONDS, destroyGraceSeconds: STOP_TIMEOUT_SECONDS });
    expect(STOP_TIMEOUT_SECONDS * 1000).toBeGreaterThan(SHUTDOWN_GRACE_MS + SHUTDOWN_EXIT_MARGIN_MS);
  });

  it("bad docker settings name the key and the fix", async () => {
    await expect(
      runStack({
        stack: "local",
        config: {
          dockerHost: "vps.example.com",
          dockerNetwork: "overlay",
          dockerLogMaxSize: "10 MB",
          monitoringEnabled: "true",
        },
      }),
    ).rejects.toThrow(
      new RegExp(
        [
          "facilitator:dockerHost: expected a Docker host URL.*Fix: pulumi config set --stack local facilitator:dockerHost ssh://deploy@vps.example.com",
          "facilitator:dockerNetwork: expected bridge or host",
          "facilitator:dockerLogMaxSize: expected a size like 10m",
        ].join("[\\s\\S]*"),
      ),
    );
    await expect(
      runStack({
        stack: "local",
        config: {
          monitoringEnabled: "true",
          monitoringNotificationChannels: '["projects/x402-facilitator-prod/notificationChannels/1"]',
        },
      }),
    ).rejects.toThrow(/facilitator:monitoringEnabled: expected false when facilitator:target is "docker"/);
    await expect(runStack({ stack: "staging", config: { localRegistry: "127.0.0.1:5000" } })).rejects.toThrow(
      /facilitator:localRegistry: expected empty unless facilitator:target is "docker"/,
    );
    await expect(runStack({ stack: "local", config: { dockerHost: "ssh://deploy@vps" } })).rejects.toThrow(
      /facilitator:localRegistry: expected empty when facilitator:dockerHost is set/,
    );
    await expect(runStack({ stack: "local", config: { imageTag: "latest" } })).rejects.toThrow(
      /facilitator:imageTag: expected a release tag like v1\.2\.3, a commit tag like sha-1a2b3c4, or HEAD \(local tag policy\); got "latest"/,
    );
  });
});

it("Pulumi.local.yaml holds no secret values", () => {
  const text = readFileSync(path.join(REPO_ROOT, "Pulumi.local.yaml"), "utf8");
  expect(text).not.toMatch(/secure:|0x[0-9a-fA-F]{64}/);
});
