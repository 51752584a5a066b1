// scripts/ci/docker-up.sh on a machine it has prepared already: `eval "$(…)"` must get only
// export lines that describe a working setup, and a second run must change nothing.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { expect, it } from "vitest";
import { describeWithDocker, docker } from "./support/docker.js";
import { manifestDigest } from "./support/registry.js";

const DOCKER_UP = resolve(__dirname, "../../scripts/ci/docker-up.sh");

function dockerUp(): { status: number | null; exports: Map<string, string>; stdout: string; stderr: string } {
  const r = spawnSync("bash", [DOCKER_UP], { encoding: "utf8", timeout: 600_000 });
  // Evaluate the lines the way `eval` would and read the values back.
  const evaluated = spawnSync("bash", ["-c", `set -e; ${r.stdout}\nenv -0`], { encoding: "utf8", env: {} });
  const exports = new Map(
    evaluated.stdout
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as [string, string]),
  );
  return { status: r.status, exports, stdout: r.stdout, stderr: r.stderr };
}

describeWithDocker(
  "scripts/ci/docker-up.sh",
  () => {
    it("prints only export lines: an engine, a BuildKit CLI, the registry and base images by digest; a rerun gives the same", () => {
      const first = dockerUp();
      expect(first.status, first.stderr).toBe(0);
      for (const line of first.stdout.trim().split("\n")) expect(line).toMatch(/^export [A-Z_]+=\S+$/);
      const env = first.exports;
      expect(env.get("DOCKER_HOST")).toMatch(/^(unix|tcp):\/\//);
      expect(env.get("DOCKER_BUILDKIT")).toBe("1");
      expect(env.get("LOCAL_REGISTRY")).toBe("127.0.0.1:5000");
      for (const name of ["NODE_BUILD_IMAGE", "NODE_RUNTIME_IMAGE"])
        expect(env.get(name), name).toMatch(/@sha256:[0-9a-f]{64}$/);

      const engine = spawnSync(env.get("DOCKER")!, ["version", "--format", "{{.Server.Version}}"], {
        encoding: "utf8",
        env: { ...process.env, DOCKER_HOST: env.get("DOCKER_HOST") },
      });
      expect(engine.status, engine.stderr).toBe(0);

      const second = dockerUp();
      expect(second.status, second.stderr).toBe(0);
      expect(second.stdout).toBe(first.stdout);
      expect(second.stderr).not.toMatch(/starting|installing|building/);
    }, 600_000);

    it("base images it exports are present in the engine, and local stand-ins are in the registry by that digest", async () => {
      const { exports: env } = dockerUp();
      for (const name of ["NODE_BUILD_IMAGE", "NODE_RUNTIME_IMAGE"]) {
        const ref = env.get(name)!;
        expect(() => docker(["image", "inspect", ref])).not.toThrow();
        const local = /^127\.0\.0\.1:5000\/(.+)@(sha256:[0-9a-f]{64})$/.exec(ref);
        if (local) {
          const tags = await fetch(`http://127.0.0.1:5000/v2/${local[1]}/tags/list`).then(
            (r) => r.json() as Promise<{ tags: string[] }>,
          );
          const digests = await Promise.all(tags.tags.map((tag) => manifestDigest("127.0.0.1:5000", local[1]!, tag)));
          expect(digests).toContain(local[2]);
        }
      }
      const runtime = JSON.parse(
        docker(["image", "inspect", "--format", "{{json .Config}}", env.get("NODE_RUNTIME_IMAGE")!]),
      ) as { User: string; Entrypoint: string[] };
      expect(runtime).toMatchObject({ User: "65532", Entrypoint: ["/nodejs/bin/node"] });
    }, 600_000);
  },
  { needsRegistry: true },
);
