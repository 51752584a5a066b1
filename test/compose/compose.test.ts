// demo/compose.yaml, the path for users without Pulumi: checked as a file (no Docker needed), then
// really brought up with Debian's docker-compose against anvil on the host network, /healthz
// answering, a payment verified and settled, and brought down again.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { HEALTHCHECK } from "../../components/runtime/docker/dockerDeployment";
import {
  facilitatorBody,
  freePort,
  requirementsV2,
  signPaymentV2,
  startTestChain,
  usdc,
  type TestChain,
} from "../../demo/a2a/facilitator-amoy/test/support/index.js";
import { describeWithDocker, docker, dockerCli, dockerRequired, localRegistry } from "../image/support/docker.js";
import { buildAndPushFacilitatorImage } from "../image/support/registry.js";

const ROOT = resolve(__dirname, "../..");
const COMPOSE_FILE = "demo/compose.yaml";
const TLS_FILE = "demo/compose.tls.yaml";
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

interface ComposeService {
  image: string;
  env_file?: string;
  ports?: string[];
  extra_hosts?: string[];
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  restart?: string;
  healthcheck?: { test: string[]; interval: string; timeout: string; start_period: string; retries: number };
  stop_grace_period?: string;
  logging?: { driver: string; options: Record<string, string> };
  depends_on?: Record<string, { condition: string }>;
}
const services = (file: string) => (parse(read(file)) as { services: Record<string, ComposeService> }).services;

/** Every `${NAME…}` a compose file interpolates. */
const interpolated = (text: string) =>
  [...new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!))].sort();

describe("demo/compose.yaml as a file", () => {
  const facilitator = services(COMPOSE_FILE)["facilitator"]!;

  it("pins the image by digest through a required variable; no `latest` anywhere", () => {
    expect(facilitator.image).toMatch(
      /^\$\{FACILITATOR_IMAGE:\?set FACILITATOR_IMAGE in demo\/\.env to <repository>@sha256:<digest>/,
    );
    const example = /^FACILITATOR_IMAGE=(.*)$/m.exec(read("demo/.env.example"))?.[1] ?? "";
    expect(example).toMatch(/@sha256:/);
    for (const file of [COMPOSE_FILE, TLS_FILE, "demo/.env.example"])
      expect(read(file), file).not.toMatch(/:latest\b|image: *[a-z0-9./-]+(:[\w.-]+)?\s*$/m);
  });

  it("takes env from a git-ignored .env, with a committed .env.example that names every variable", () => {
    expect(facilitator.env_file).toBe("${FACILITATOR_ENV_FILE:-.env}");
    expect(spawnSync("git", ["check-ignore", "-q", "demo/.env"], { cwd: ROOT }).status).toBe(0);
    expect(spawnSync("git", ["check-ignore", "-q", "demo/.env.example"], { cwd: ROOT }).status).toBe(1);
    const example = read("demo/.env.example");
    const documented = new Set([...example.matchAll(/^#?([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const used = interpolated(read(COMPOSE_FILE) + read(TLS_FILE)).filter((name) => name !== "FACILITATOR_ENV_FILE");
    expect(used.filter((name) => !documented.has(name))).toEqual([]);
    for (const name of ["FACILITATOR_PRIVATE_KEY", "AMOY_RPC_URL", "AMOY_USDC_ADDRESS", "REAL_SETTLE"])
      expect(documented.has(name), name).toBe(true);
    expect(example).not.toMatch(/0x[0-9a-fA-F]{64}/); // no key, not even a dev key
  });

  it("runs hardened: uid 65532, read-only root with tmpfs /tmp, no capabilities, no-new-privileges", () => {
    expect(facilitator).toMatchObject({
      user: "65532:65532",
      read_only: true,
      tmpfs: ["/tmp:rw,noexec,nosuid,size=64m"],
      cap_drop: ["ALL"],
      security_opt: ["no-new-privileges:true"],
    });
    expect(facilitator.cap_add).toBeUndefined();
  });

  it("has the image's exec health check (the same as the Pulumi docker target's), a restart policy, rotated logs", () => {
    expect(facilitator.healthcheck).toEqual({
      test: HEALTHCHECK,
      interval: "10s",
      timeout: "3s",
      start_period: "5s",
      retries: 3,
    });
    const dockerfileCheck = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(read("demo/facilitator-amoy.Dockerfile"))?.[1];
    expect(["CMD", ...(JSON.parse(dockerfileCheck ?? "[]") as string[])]).toEqual(HEALTHCHECK);
    expect(facilitator.restart).toBe("unless-stopped");
    expect(facilitator.stop_grace_period).toBe("30s");
    expect(facilitator.logging).toEqual({
      driver: "json-file",
      options: { "max-size": "${FACILITATOR_LOG_MAX_SIZE:-10m}", "max-file": "${FACILITATOR_LOG_MAX_FILES:-3}" },
    });
  });

  it("publishes on loopback unless told otherwise", () => {
    expect(facilitator.ports).toEqual(["${FACILITATOR_PUBLISH:-127.0.0.1:5401}:5401"]);
  });

  it("the TLS option: Caddy by digest, only NET_BIND_SERVICE, starts after the facilitator is healthy", () => {
    const caddy = services(TLS_FILE)["caddy"]!;
    expect(caddy.image).toMatch(/^\$\{CADDY_IMAGE:\?set CADDY_IMAGE in demo\/\.env to caddy@sha256:<digest>/);
    expect(caddy).toMatchObject({
      read_only: true,
      cap_drop: ["ALL"],
      cap_add: ["NET_BIND_SERVICE"],
      security_opt: ["no-new-privileges:true"],
      restart: "unless-stopped",
    });
    expect(caddy.depends_on).toEqual({ facilitator: { condition: "service_healthy" } });
  });
});

/** Debian's docker-compose (v1), as scripts/ci/docker-up.sh installs it. */
function composeBinary(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v docker-compose"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

const composeCli = composeBinary();
const describeWithCompose = (name: string, body: () => void) => {
  if (composeCli !== undefined) return describeWithDocker(name, body);
  const message =
    'docker-compose is not installed (apt-get install docker-compose, or eval "$(bash scripts/ci/docker-up.sh)")';
  if (dockerRequired()) {
    describe(name, () => it("needs docker-compose (REQUIRE_DOCKER=1)", () => expect.fail(message)));
  } else {
    console.warn(`[skipped] ${name}: ${message}`);
    describe.skip(name, body);
  }
};

describeWithCompose("demo/compose.yaml brought up with docker-compose against anvil", () => {
  const runId = randomBytes(4).toString("hex");
  const project = `facilitator-compose-${runId}`;
  const repository = `compose-test/facilitator-amoy`;
  const scratch = mkdtempSync(join(tmpdir(), "compose-test-"));
  const envFile = join(scratch, ".env");
  // demo/compose.yaml with one change: the test engine has no default bridge and anvil listens on
  // the host's loopback, so the facilitator joins the host network (no port mapping, no extra host;
  // docker-compose refuses ports with host networking). Everything else is the file users run.
  const composeFile = join(scratch, "compose.yaml");
  const hostNetworkCopy = () => {
    const file = parse(read(COMPOSE_FILE)) as { services: Record<string, Record<string, unknown>> };
    const service = file.services["facilitator"]!;
    delete service["ports"];
    delete service["extra_hosts"];
    service["network_mode"] = "host";
    return file;
  };
  let chain: TestChain;
  let url: string;
  let imageRef: string;

  const compose = (...args: string[]) => {
    const r = spawnSync(
      composeCli!,
      ["-p", project, "-f", composeFile, "--project-directory", join(ROOT, "demo"), "--env-file", envFile, ...args],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 300_000,
        env: { ...process.env, FACILITATOR_ENV_FILE: envFile },
      },
    );
    if (r.status !== 0)
      throw new Error(`docker-compose ${args.join(" ")} exited ${r.status}:\n${r.stderr}${r.stdout}`.slice(-4000));
    return r.stdout.trim();
  };
  const containerId = () => compose("ps", "-q", "facilitator");
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    const copy = hostNetworkCopy();
    const original = (parse(read(COMPOSE_FILE)) as { services: Record<string, Record<string, unknown>> }).services[
      "facilitator"
    ]!;
    const changed = Object.keys({ ...original, ...copy.services["facilitator"] }).filter(
      (key) => JSON.stringify(original[key]) !== JSON.stringify(copy.services["facilitator"]![key]),
    );
    if (changed.sort().join() !== "extra_hosts,network_mode,ports")
      throw new Error(`the host-network copy changed more than networking: ${changed}`);
    writeFileSync(composeFile, stringify(copy));

    // The image as the release builds it, pushed to the local registry to get a real digest.
    imageRef = await buildAndPushFacilitatorImage(ROOT, repository, `test-${runId}`);

    chain = await startTestChain();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The user's demo/.env, with this test's chain (anvil dev keys) and a free port on the host network.
    const env = { FACILITATOR_IMAGE: imageRef, ...chain.facilitatorEnv({ REAL_SETTLE: "true" }), PORT: String(port) };
    writeFileSync(
      envFile,
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
      { mode: 0o600 },
    );
  }, 900_000);

  afterAll(async () => {
    spawnSync(
      composeCli!,
      [
        "-p",
        project,
        "-f",
        composeFile,
        "--project-directory",
        join(ROOT, "demo"),
        "--env-file",
        envFile,
        "down",
        "-v",
      ],
      {
        cwd: ROOT,
        env: { ...process.env, FACILITATOR_ENV_FILE: envFile },
      },
    );
    spawnSync(dockerCli, ["rmi", "-f", imageRef ?? ""]);
    // The registry outlives test runs: drop this run's manifest (docker-up.sh enables deletes).
    if (imageRef)
      await fetch(`http://${localRegistry}/v2/${repository}/manifests/${imageRef.split("@")[1]}`, {
        method: "DELETE",
      }).catch(() => undefined);
    await chain?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("comes up healthy: /healthz answers and the engine's health check passes", async () => {
    const started = Date.now();
    compose("up", "-d");
    let health = "";
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(500)) {
      health = docker(["inspect", "--format", "{{.State.Health.Status}}", containerId()]);
      if (health === "healthy") break;
    }
    expect(health, docker(["logs", containerId()])).toBe("healthy");
    console.info(`[compose] docker-compose up -d -> healthy after ${Date.now() - started} ms`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 180_000);

  it("runs the image by digest, hardened, with the restart policy and log rotation of the file", () => {
    const inspect = JSON.parse(docker(["inspect", containerId()]))[0] as {
      Config: { Image: string; User: string; Env: string[] };
      HostConfig: {
        ReadonlyRootfs: boolean;
        CapDrop: string[];
        SecurityOpt: string[];
        RestartPolicy: { Name: string };
        LogConfig: { Type: string; Config: Record<string, string> };
        Tmpfs: Record<string, string>;
        NetworkMode: string;
      };
    };
    expect(inspect.Config.Image).toBe(imageRef);
    expect(inspect.Config.User).toBe("65532:65532");
    expect(inspect.HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges:true"],
      RestartPolicy: { Name: "unless-stopped" },
      LogConfig: { Type: "json-file", Config: { "max-file": "3", "max-size": "10m" } },
      Tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
      NetworkMode: "host",
    });
    expect(docker(["exec", containerId(), "/nodejs/bin/node", "-p", "process.getuid()"])).toBe("65532");
  });

  it("verifies and settles a payment signed with the official x402 client", async () => {
    const requirements = requirementsV2({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(2),
    });
    const payment = await signPaymentV2(chain.buyer.account, requirements);
    const body = JSON.stringify(facilitatorBody(payment, requirements));
    const post = async (path: string) => {
      const response = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const sellerBefore = await chain.token.balanceOf(chain.seller.account.address);

    expect(await post("/verify")).toMatchObject({
      status: 200,
      body: { isValid: true, payer: chain.buyer.account.address },
    });
    const settled = await post("/settle");
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ success: true, network: "eip155:80002", payer: chain.buyer.account.address });
    expect(settled.body["transaction"]).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await chain.token.balanceOf(chain.seller.account.address)).toBe(sellerBefore + usdc(2));
  });

  it("comes down cleanly: node stops on SIGTERM and nothing of the project is left", () => {
    const id = containerId();
    compose("stop");
    const state = JSON.parse(docker(["inspect", "--format", "{{json .State}}", id])) as { ExitCode: number };
    expect(state.ExitCode).toBe(0); // 137 would mean SIGKILL after the grace period
    compose("down", "-v");
    expect(docker(["ps", "-a", "-q", "--filter", `label=com.docker.compose.project=${project}`])).toBe("");
  });
});
