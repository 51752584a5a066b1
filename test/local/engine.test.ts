// The container the local stack declares, created on a real Docker engine the way the docker
// provider does it (create, upload the secret env file, start), since the Pulumi engine cannot run
// here: it must start read-only as uid 65532, load its secrets from the uploaded file only, turn
// healthy with the image's own exec check, and verify a payment against anvil.
// Adapted to the test engine: host network and a free PORT (no bridge; anvil is on loopback), and a
// 1 s health interval so the test does not wait 10 s for the first check.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  facilitatorBody,
  freePort,
  requirementsV2,
  signPaymentV2,
  startTestChain,
  usdc,
  type TestChain,
} from "../../demo/a2a/facilitator-amoy/test/support/index.js";
import { describeWithDocker, docker, dockerCli, localRegistry } from "../image/support/docker.js";
import { buildAndPushFacilitatorImage } from "../image/support/registry.js";
import { declaredContainer, runLocalStack, type DeclaredContainer } from "./support/stack";

const ROOT = resolve(__dirname, "../..");

/** `docker create` flags for what the provider would send (healthcheck test: the image's own, compared below). */
function createFlags(c: DeclaredContainer, port: number): string[] {
  return [
    ...c.envs.map((e) => (e.startsWith("PORT=") ? `PORT=${port}` : e)).flatMap((e) => ["-e", e]),
    ...c.volumes.flatMap((v) => ["-v", v.containerPath]),
    "--user",
    c.user,
    ...(c.readOnly ? ["--read-only"] : []),
    ...Object.entries(c.tmpfs).flatMap(([path, opts]) => ["--tmpfs", `${path}:${opts}`]),
    ...c.capabilities.drops.flatMap((cap) => ["--cap-drop", cap]),
    ...c.securityOpts.flatMap((opt) => ["--security-opt", opt]),
    "--memory",
    `${c.memory}m`,
    "--memory-swap",
    `${c.memorySwap}m`,
    "--cpus",
    c.cpus,
    "--restart",
    c.restart,
    "--health-interval",
    "1s",
    "--health-timeout",
    c.healthcheck.timeout,
    "--health-start-period",
    c.healthcheck.startPeriod,
    "--health-retries",
    String(c.healthcheck.retries),
    "--log-driver",
    c.logDriver,
    ...Object.entries(c.logOpts).flatMap(([k, v]) => ["--log-opt", `${k}=${v}`]),
    "--stop-signal",
    c.stopSignal,
    "--stop-timeout",
    String(c.stopTimeout),
    ...c.labels.flatMap((l) => ["--label", `${l.label}=${l.value}`]),
    "--network",
    "host",
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithDocker("the local stack's container on a real engine", () => {
  const runId = randomBytes(4).toString("hex");
  const repository = "local-stack-test/facilitator-amoy";
  const scratch = mkdtempSync(join(tmpdir(), "local-engine-"));
  let chain: TestChain;
  let imageRef: string;
  let declared: DeclaredContainer;
  let id = "";
  let url = "";

  beforeAll(async () => {
    imageRef = await buildAndPushFacilitatorImage(ROOT, repository, `test-${runId}`);

    chain = await startTestChain();
    // The committed local stack with this chain's anvil dev keys as its secrets.
    const run = await runLocalStack({
      config: { usdcAddress: chain.token.address },
      secrets: { privateKey: chain.facilitator.privateKey, rpcUrl: chain.anvil.url },
    });
    declared = declaredContainer(run);

    docker(["pull", imageRef]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    id = docker([
      "create",
      "--name",
      `facilitator-local-test-${runId}`,
      ...createFlags(declared, port),
      imageRef,
      ...declared.command,
    ]);
    // The provider's upload: a tar entry with the declared owner, group and mode, copied before start.
    for (const upload of declared.uploads) {
      writeFileSync(join(scratch, basename(upload.file)), upload.content);
      const tar = spawnSync("tar", [
        "-c",
        `--owner=${upload.owner}`,
        `--group=${upload.group}`,
        `--mode=${upload.permissions}`,
        "-C",
        scratch,
        basename(upload.file),
      ]);
      const cp = spawnSync(dockerCli, ["cp", "-", `${id}:${dirname(upload.file)}`], { input: tar.stdout });
      if (cp.status !== 0) throw new Error(`docker cp: ${cp.stderr}`);
    }
    docker(["start", id]);
  }, 900_000);

  afterAll(async () => {
    if (id) spawnSync(dockerCli, ["rm", "-f", "-v", id]);
    spawnSync(dockerCli, ["rmi", "-f", imageRef ?? ""]);
    // The registry outlives test runs: drop this run's manifest (docker-up.sh enables deletes).
    if (imageRef)
      await fetch(`http://${localRegistry}/v2/${repository}/manifests/${imageRef.split("@")[1]}`, {
        method: "DELETE",
      }).catch(() => undefined);
    await chain?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("turns healthy with the image's own exec health check, which is the one the stack declares", async () => {
    expect(JSON.parse(docker(["image", "inspect", "--format", "{{json .Config.Healthcheck.Test}}", imageRef]))).toEqual(
      declared.healthcheck.tests,
    );
    let health = "";
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      health = docker(["inspect", "--format", "{{.State.Health.Status}}", id]);
      if (health === "healthy") break;
    }
    expect(health, docker(["logs", id])).toBe("healthy");
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 90_000);

  it("holds its secrets only in the uploaded file: not in the container's env, nor in any exec'd process", () => {
    const key = chain.facilitator.privateKey.slice(2);
    expect(docker(["inspect", id])).not.toContain(key);
    expect(docker(["exec", id, "/nodejs/bin/node", "-p", "JSON.stringify(process.env)"])).not.toContain(key);
    expect(
      docker(["exec", id, "/nodejs/bin/node", "-p", "require('fs').readFileSync('/proc/1/environ', 'utf8')"]),
    ).not.toContain(key);
    // Readable by the app's group, writable by nobody in the container.
    expect(
      docker([
        "exec",
        id,
        "/nodejs/bin/node",
        "-p",
        "const s = require('fs').statSync('/run/facilitator/secrets.env'); [s.uid, s.gid, (s.mode & 0o777).toString(8)].join(' ')",
      ]),
    ).toBe("0 65532 440");
    const write = spawnSync(
      dockerCli,
      ["exec", id, "/nodejs/bin/node", "-e", "require('fs').writeFileSync('/run/facilitator/secrets.env', 'x')"],
      { encoding: "utf8" },
    );
    expect(write.stderr).toMatch(/EACCES/);
  });

  it("runs as 65532 on a read-only root filesystem with a writable tmpfs /tmp", () => {
    expect(docker(["exec", id, "/nodejs/bin/node", "-p", "process.getuid() + ':' + process.getgid()"])).toBe(
      "65532:65532",
    );
    expect(
      spawnSync(dockerCli, ["exec", id, "/nodejs/bin/node", "-e", "require('fs').writeFileSync('/app/x', 'x')"], {
        encoding: "utf8",
      }).stderr,
    ).toMatch(/EROFS|read-only/);
    docker(["exec", id, "/nodejs/bin/node", "-e", "require('fs').writeFileSync('/tmp/x', 'x')"]);
    const host = JSON.parse(docker(["inspect", "--format", "{{json .HostConfig}}", id])) as {
      CapDrop: string[];
      SecurityOpt: string[];
      RestartPolicy: { Name: string };
      LogConfig: { Config: Record<string, string> };
    };
    expect(host).toMatchObject({
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges:true"],
      RestartPolicy: { Name: "unless-stopped" },
      LogConfig: { Config: { "max-file": "3", "max-size": "10m" } },
    });
  });

  it("verifies a payment and simulates its settlement (REAL_SETTLE=false, as committed)", async () => {
    const requirements = requirementsV2({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(1),
    });
    const payment = await signPaymentV2(chain.buyer.account, requirements);
    const body = JSON.stringify(facilitatorBody(payment, requirements));
    const verified = await fetch(`${url}/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(await verified.json()).toMatchObject({ isValid: true, payer: chain.buyer.account.address });
    const sellerBefore = await chain.token.balanceOf(chain.seller.account.address);
    const settled = await fetch(`${url}/settle`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(settled.status).toBe(200);
    expect(await chain.token.balanceOf(chain.seller.account.address)).toBe(sellerBefore); // nothing broadcast
  });
});
