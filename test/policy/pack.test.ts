import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { policies } from "../../policy/index";

const policyDir = join(__dirname, "../../policy");

describe("policy pack", () => {
  afterEach(() => vi.restoreAllMocks());

  it("lists every policy once, mandatory and described", () => {
    const names = policies.map((p) => p.name);
    expect(names).toEqual([
      "images-by-digest",
      "no-literal-secrets",
      "secrets-via-secret-key-ref",
      "pod-hardening",
      "docker-container-hardening",
      "registry-immutable-tags",
      "production-environment-protected",
      "release-tags-protected",
      "github-secrets-on-environments",
      "wif-attribute-condition",
      "prod-availability",
      "open-settlement-not-exposed",
      "public-endpoint-https-only",
    ]);
    for (const policy of policies) {
      expect(policy.enforcementLevel).toBe("mandatory");
      expect(policy.description.length).toBeGreaterThan(20);
    }
  });

  it("is a nodejs policy project whose entry point is pack.ts, with a version", () => {
    const project = parse(readFileSync(join(policyDir, "PulumiPolicy.yaml"), "utf8")) as { runtime: string };
    expect(project.runtime).toBe("nodejs");
    const pkg = JSON.parse(readFileSync(join(policyDir, "package.json"), "utf8")) as { version: string; main: string };
    expect(pkg.main).toBe("pack.ts");
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    // The runner compiles the pack with policy/tsconfig.json: the root's checked settings.
    const tsconfig = JSON.parse(readFileSync(join(policyDir, "tsconfig.json"), "utf8")) as { extends: string };
    expect(tsconfig.extends).toBe("../tsconfig.json");
  });

  it("pack.ts serves exactly the exported policies (server start intercepted)", async () => {
    // The PolicyPack constructor reads ./package.json from the working directory and starts the
    // gRPC server; both are redirected so the real entry point can be loaded in a test.
    const server = createRequire(join(policyDir, "package.json"))("@pulumi/policy/server") as {
      serve: (...args: unknown[]) => void;
    };
    const serve = vi.spyOn(server, "serve").mockImplementation(() => {});
    vi.spyOn(process, "cwd").mockReturnValue(policyDir);
    await import("../../policy/pack.js");
    expect(serve).toHaveBeenCalledTimes(1);
    const [name, version, enforcementLevel, args] = serve.mock.calls[0] ?? [];
    expect([name, version, enforcementLevel]).toEqual(["facilitator-policies", "0.1.0", "mandatory"]);
    expect((args as { policies: unknown }).policies).toBe(policies);
  });
});
