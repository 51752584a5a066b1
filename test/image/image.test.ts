// demo/facilitator-amoy.Dockerfile, really built (the guide's command, from the repository root),
// inspected, and run: read-only, as uid 65532, against anvil on the host network.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  freePort,
  requirementsV2,
  signPaymentV2,
  startTestChain,
  usdc,
  type TestChain,
} from "../../demo/a2a/facilitator-amoy/test/support/index.js";
import { describeWithDocker, docker, dockerCli, machineBuildFlags } from "./support/docker.js";

const ROOT = resolve(__dirname, "../..");
const RUN_ID = randomBytes(4).toString("hex");
const IMAGE = `x402/facilitator-amoy:test-${RUN_ID}`;
const BUILD_STAGE = `x402/facilitator-amoy:test-${RUN_ID}-build-stage`;
const REVISION = spawnSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
const containers: string[] = [];
let scratch = "";

// The npm_ca secret for the build: the machine's CA bundle (when npm traffic is intercepted)
// plus a marker line that must never show up in any layer of the build or the image.
const CA_MARKER = `npm-ca-marker-${RUN_ID}`;
let caFile = "";
function writeCaFile(): void {
  scratch = mkdtempSync(join(tmpdir(), "image-test-"));
  caFile = join(scratch, "npm-ca.pem");
  const hostCa = process.env.NPM_CA_FILE ?? process.env.NODE_EXTRA_CA_CERTS;
  writeFileSync(caFile, `# ${CA_MARKER}\n${hostCa ? readFileSync(hostCa, "utf8") : ""}`);
}

function buildFlags(): string[] {
  const flags = machineBuildFlags().filter((flag, i, all) => flag !== "--secret" && all[i - 1] !== "--secret");
  return [...flags, "--secret", `id=npm_ca,src=${caFile}`];
}

/** Bytes of `docker save <image>` that contain `needle` (0 when absent). */
function occurrencesInSavedImage(image: string, needle: string): number {
  const r = spawnSync(
    "bash",
    ["-o", "pipefail", "-c", `"$DOCKER" save "$IMAGE" | grep -a -c -F "$NEEDLE" || [ $? -eq 1 ]`],
    {
      encoding: "utf8",
      env: { ...process.env, DOCKER: dockerCli, IMAGE: image, NEEDLE: needle },
      maxBuffer: 1024 * 1024,
    },
  );
  if (r.status !== 0) throw new Error(`docker save ${image} | grep: ${r.stderr}`);
  return Number(r.stdout.trim() || "0");
}

interface RunningFacilitator {
  id: string;
  url: string;
}

/** `docker run -d --read-only --network host` of the image with the given env; waits for /healthz. */
async function runFacilitator(env: Record<string, string>): Promise<RunningFacilitator & { healthyAfterMs: number }> {
  const port = await freePort();
  const envFlags = Object.entries({ ...env, PORT: String(port) }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const started = Date.now();
  const id = docker(["run", "-d", "--read-only", "--network", "host", "--health-interval", "1s", ...envFlags, IMAGE]);
  containers.push(id);
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(50)) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { id, url, healthyAfterMs: Date.now() - started };
  }
  throw new Error(`no /healthz from the container within 20 s:\n${docker(["logs", id])}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describeWithDocker("facilitator image", () => {
  let chain: TestChain;

  beforeAll(async () => {
    writeCaFile();
    // The guide's command (`docker build -f demo/facilitator-amoy.Dockerfile -t … .` from the
    // repository root) plus this machine's flags and the labels publish.sh passes.
    const labels = [
      "--build-arg",
      "VERSION=v0.0.0-test",
      "--build-arg",
      `REVISION=${REVISION}`,
      "--build-arg",
      "CREATED=2026-01-02T03:04:05Z",
      "--build-arg",
      "SOURCE=https://example.invalid/facilitator-deploy",
    ];
    docker(["build", "-f", "demo/facilitator-amoy.Dockerfile", "-t", IMAGE, ...buildFlags(), ...labels, "."], {
      cwd: ROOT,
      timeoutMs: 900_000,
    });
    chain = await startTestChain();
  }, 900_000);

  afterAll(async () => {
    for (const id of containers) spawnSync(dockerCli, ["rm", "-f", id]);
    spawnSync(dockerCli, ["rmi", "-f", IMAGE, BUILD_STAGE]);
    await chain?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("is configured to run as 65532 on 5401 with an exec-form HEALTHCHECK and OCI labels", () => {
    const config = JSON.parse(docker(["image", "inspect", "--format", "{{json .Config}}", IMAGE])) as {
      User: string;
      ExposedPorts: Record<string, unknown>;
      Healthcheck: { Test: string[] };
      Entrypoint: string[];
      Cmd: string[];
      Labels: Record<string, string>;
    };
    expect(config.User).toBe("65532:65532");
    expect(Object.keys(config.ExposedPorts)).toEqual(["5401/tcp"]);
    expect(config.Healthcheck.Test).toEqual(["CMD", "/nodejs/bin/node", "/app/dist/healthcheck.js"]);
    expect([...config.Entrypoint, ...config.Cmd]).toEqual(["/nodejs/bin/node", "/app/dist/main.js"]);
    expect(config.Labels).toMatchObject({
      "org.opencontainers.image.source": "https://example.invalid/facilitator-deploy",
      "org.opencontainers.image.revision": REVISION,
      "org.opencontainers.image.version": "v0.0.0-test",
      "org.opencontainers.image.created": "2026-01-02T03:04:05Z",
    });
  });

  it("has no shell", () => {
    expect(() => docker(["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", IMAGE, "-c", "true"])).toThrow(
      /no such file|not found/,
    );
  });

  it("holds only the bundles (and libsecp256k1's binding): no .env, no tests, no TypeScript sources, no node_modules, no dev dependencies", () => {
    const id = docker(["create", IMAGE]);
    containers.push(id);
    const listing = spawnSync("bash", ["-o", "pipefail", "-c", `"$DOCKER" export "$ID" | tar -t`], {
      encoding: "utf8",
      env: { ...process.env, DOCKER: dockerCli, ID: id },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(listing.status, listing.stderr).toBe(0);
    const files = listing.stdout.split("\n").filter((f) => f && !f.endsWith("/"));
    expect(files.filter((f) => f.startsWith("app/")).sort()).toEqual([
      "app/dist/healthcheck.js",
      "app/dist/main.js",
      "app/dist/prebuilds/linux-x64/secp256k1.glibc.node",
      "app/dist/prebuilds/linux-x64/secp256k1.musl.node",
    ]);
    expect(
      files.filter((f) =>
        /(^|\/)(\.env|[^/]*\.env)$|\.(ts|tsx|mts|cts)$|\.test\.|(^|\/)node_modules\/|(^|\/)package(-lock)?\.json$/.test(
          f,
        ),
      ),
    ).toEqual([]);

    // esbuild marks every bundled module with a `// node_modules/<pkg>/…` comment.
    docker(["cp", `${id}:/app/dist/main.js`, join(scratch, "main.js")]);
    const bundle = readFileSync(join(scratch, "main.js"), "utf8");
    const bundled = new Set([...bundle.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]));
    expect(bundled.has("fastify")).toBe(true); // the check can see packages
    const devDependencies = Object.keys(
      (
        JSON.parse(readFileSync(join(ROOT, "demo/a2a/facilitator-amoy/package.json"), "utf8")) as {
          devDependencies: Record<string, string>;
        }
      ).devDependencies,
    );
    expect(devDependencies.filter((dep) => bundled.has(dep) && dep !== "@types/node")).toEqual([]);
  });

  it("leaves nothing of the npm_ca secret in any layer of the build stage or the image", () => {
    docker(
      ["build", "-f", "demo/facilitator-amoy.Dockerfile", "--target", "build", "-t", BUILD_STAGE, ...buildFlags(), "."],
      { cwd: ROOT, timeoutMs: 600_000 },
    );
    expect(occurrencesInSavedImage(BUILD_STAGE, CA_MARKER)).toBe(0);
    expect(occurrencesInSavedImage(IMAGE, CA_MARKER)).toBe(0);
    expect(docker(["history", "--no-trunc", BUILD_STAGE])).not.toContain(CA_MARKER);
  }, 300_000);

  it("starts with a read-only root filesystem, serves /healthz as uid 65532, and reports healthy", async () => {
    const container = await runFacilitator(chain.facilitatorEnv({ REAL_SETTLE: "false" }));
    console.info(
      `[image] docker run -> /healthz 200 after ${container.healthyAfterMs} ms (the budget is measured by npm run bench:image)`,
    );
    expect(docker(["exec", container.id, "/nodejs/bin/node", "-p", "process.getuid() + ':' + process.getgid()"])).toBe(
      "65532:65532",
    );
    const write = spawnSync(
      dockerCli,
      ["exec", container.id, "/nodejs/bin/node", "-e", "require('fs').writeFileSync('/tmp/x', 'x')"],
      { encoding: "utf8" },
    );
    expect(write.stderr).toMatch(/EROFS|read-only/);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(250)) {
      if (docker(["inspect", "--format", "{{.State.Health.Status}}", container.id]) === "healthy") break;
    }
    expect(docker(["inspect", "--format", "{{.State.Health.Status}}", container.id])).toBe("healthy");
    // The native binding loads from /app/dist/prebuilds (a pure-JS fallback would cost /verify 20x the CPU).
    expect(docker(["logs", container.id])).toContain('"signatureRecovery":"native (libsecp256k1)"');
  });

  it("shuts down cleanly on SIGTERM (node as PID 1)", async () => {
    const container = await runFacilitator(chain.facilitatorEnv({ REAL_SETTLE: "false" }));
    docker(["stop", "--time", "15", container.id]);
    const state = JSON.parse(docker(["inspect", "--format", "{{json .State}}", container.id])) as {
      ExitCode: number;
      OOMKilled: boolean;
    };
    expect(state.ExitCode).toBe(0); // 137 would mean it ignored SIGTERM and was killed
    expect(docker(["logs", container.id])).toMatch(/shutting down/);
  });

  it("settles a payment end to end with REAL_SETTLE=true against anvil on the host network", async () => {
    const container = await runFacilitator(chain.facilitatorEnv({ REAL_SETTLE: "true" }));
    const requirements = requirementsV2({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(1.25),
    });
    const payment = await signPaymentV2(chain.buyer.account, requirements);
    const body = { x402Version: payment.x402Version, paymentPayload: payment, paymentRequirements: requirements };
    const sellerBefore = await chain.token.balanceOf(chain.seller.account.address);

    const verified = await postJson(`${container.url}/verify`, body);
    expect(verified).toMatchObject({ status: 200, body: { isValid: true, payer: chain.buyer.account.address } });

    const settled = await postJson(`${container.url}/settle`, body);
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ success: true, network: "eip155:80002", payer: chain.buyer.account.address });
    expect(settled.body.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await chain.token.balanceOf(chain.seller.account.address)).toBe(sellerBefore + usdc(1.25));
  });
});
