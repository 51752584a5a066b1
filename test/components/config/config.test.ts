// The config contract: parseConfig is pure, so these tests need no mocks.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, ConfigReader } from "../../../components/config/configReader";
import { CONFIG_NAMESPACE, parseConfig, readConfig } from "../../../components/config/config";
import { ANVIL_DEV_KEY_0, ANVIL_DEV_KEY_1, ANVIL_DEV_KEY_2, FAKE_RPC_URL } from "../../support/fakes";
import { promiseOf } from "../../support/promiseOf";
import { REPO_ROOT, stackConfig, type StackRunOptions } from "../../support/stack";

function parseStack(options: StackRunOptions) {
  const { values, secretKeys } = stackConfig(options);
  return parseConfig(options.stack, values, secretKeys);
}

/** The problems parseConfig reports for a stack with these overrides. */
function problems(options: StackRunOptions): string[] {
  try {
    parseStack(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

interface ProjectSchema {
  type: string;
  description?: string;
  default?: unknown;
  secret?: boolean;
}
const projectConfig = (
  parse(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, ProjectSchema> }
).config;

describe("the committed stacks parse into typed config", () => {
  it("staging builds, owns the registry and runs one replica", async () => {
    const cfg = parseStack({ stack: "staging" });
    expect(cfg.stack).toBe("staging");
    expect(cfg.image).toMatchObject({ tag: "v1.2.3", name: "x402-facilitator-amoy", build: true });
    expect(cfg.registry).toMatchObject({
      project: "x402-facilitator-staging",
      location: "europe-west1",
      repository: "facilitator",
      create: true,
    });
    expect(cfg.registry.readers).toEqual(["serviceAccount:gke-nodes@x402-facilitator-staging.iam.gserviceaccount.com"]);
    expect(cfg.kubernetes).toMatchObject({ namespace: "facilitator-staging", replicas: 1, rpcPort: 443 });
    expect(cfg.app).toMatchObject({ usdcAddress: "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582", realSettle: false });
  });

  it("prod never builds, reads staging's registry and runs two replicas", () => {
    const cfg = parseStack({ stack: "prod" });
    expect(cfg.image.build).toBe(false);
    expect(cfg.registry).toMatchObject({ project: "x402-facilitator-staging", create: false });
    expect(cfg.kubernetes.replicas).toBe(2);
    expect(cfg.app.realSettle).toBe(true);
  });

  it("secrets come out as secret Outputs, never as plain strings", async () => {
    const cfg = parseStack({ stack: "prod" });
    expect(await pulumi.isSecret(cfg.app.privateKey!)).toBe(true);
    expect(await pulumi.isSecret(cfg.app.rpcUrl)).toBe(true);
    expect(await promiseOf(cfg.app.privateKey!)).toBe(ANVIL_DEV_KEY_0); // anvil dev key
    expect(await promiseOf(cfg.app.rpcUrl)).toBe(FAKE_RPC_URL);
    expect(cfg.kubernetes.kubeconfig).toBeUndefined();
    expect(cfg.image.ghcr).toBeUndefined();
    // The service's optional settings stay unset, so it applies its own defaults.
    expect(cfg.app.signerKeys).toBeUndefined();
    expect(cfg.app.apiKeys).toBeUndefined();
    expect(cfg.app.minSignerBalanceWei).toBeUndefined();
  });

  it("a signer pool replaces the single key; API keys and the balance floor are picked up when set", async () => {
    // anvil dev keys #1 and #2, with the spaces an operator might type
    const pool = ` ${ANVIL_DEV_KEY_1} , ${ANVIL_DEV_KEY_2}`;
    const cfg = parseStack({
      stack: "prod",
      config: { privateKey: undefined, minSignerBalanceWei: "50000000000000000" },
      secrets: { signerKeys: pool, apiKeys: "fake-api-key-0123456789abcdef,fake-api-key-fedcba9876543210" },
    });
    expect(cfg.app.privateKey).toBeUndefined();
    expect(await pulumi.isSecret(cfg.app.signerKeys!)).toBe(true);
    expect(await promiseOf(cfg.app.signerKeys!)).toBe(
      pool
        .split(",")
        .map((k) => k.trim())
        .join(","),
    );
    expect(await pulumi.isSecret(cfg.app.apiKeys!)).toBe(true);
    expect(await promiseOf(cfg.app.apiKeys!)).toBe("fake-api-key-0123456789abcdef,fake-api-key-fedcba9876543210");
    expect(cfg.app.minSignerBalanceWei).toBe("50000000000000000");
  });

  it("local runs on docker with its own limits, read from the keys the Kubernetes target's limits come from", () => {
    const cfg = parseStack({ stack: "local" });
    expect(cfg.target).toBe("docker");
    expect(cfg.docker.resources).toEqual({ cpuLimit: "1", memoryLimit: "256Mi" });
    expect(cfg.kubernetes.resources).toMatchObject(cfg.docker.resources);
  });

  it("an optional kubeconfig secret and GHCR push are picked up when set", async () => {
    const kubeconfig = "apiVersion: v1\nclusters: []\ncontexts: []\n";
    const cfg = parseStack({
      stack: "staging",
      config: { "ghcr.owner": "Acme-Org" },
      secrets: { "ghcr.token": "ghp_fake", kubeconfig },
    });
    expect(cfg.image.ghcr?.owner).toBe("acme-org");
    expect(await pulumi.isSecret(cfg.image.ghcr!.token)).toBe(true);
    expect(await promiseOf(cfg.kubernetes.kubeconfig!)).toBe(kubeconfig);
  });
});

describe("every bad value names the key, what was expected and the exact fix", () => {
  const cases: [key: string, value: string, expected: string, fix: string][] = [
    [
      "imageTag",
      "1.2.3",
      "a semver release tag like v1.2.3",
      "pulumi config set --stack staging facilitator:imageTag v1.2.3",
    ],
    [
      "imageTag",
      "latest",
      "a semver release tag like v1.2.3",
      "pulumi config set --stack staging facilitator:imageTag v1.2.3",
    ],
    ["imageTag", "v1.2", "a semver release tag like v1.2.3", "facilitator:imageTag v1.2.3"],
    [
      "usdcAddress",
      "0x1234",
      "0x followed by 40 hex digits",
      "facilitator:usdcAddress 0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582",
    ],
    ["replicas", "0", "an integer from 1 to 50", "pulumi config set --stack staging facilitator:replicas 2"],
    ["replicas", "two", "an integer from 1 to 50", "facilitator:replicas 2"],
    ["replicas", "1.5", "an integer from 1 to 50", "facilitator:replicas 2"],
    ["build", "yes", "true or false", "pulumi config set --stack staging facilitator:build false"],
    ["realSettle", "1", "true or false", "facilitator:realSettle false"],
    ["registryProject", "X402_Staging", "the GCP project id", "facilitator:registryProject x402-facilitator-staging"],
    ["registryLocation", "Europe West", "an Artifact Registry location", "facilitator:registryLocation europe-west1"],
    ["namespace", "Facilitator_Staging", "a Kubernetes namespace name", "facilitator:namespace facilitator-staging"],
    ["cpuRequest", "lots", "a CPU quantity", "facilitator:cpuRequest 250m"],
    ["memoryLimit", "512MB", "a memory quantity", "facilitator:memoryLimit 512Mi"],
    ["untaggedRetentionDays", "0", "an integer from 1 to 365", "facilitator:untaggedRetentionDays 14"],
    ["rpcPort", "70000", "an integer from 1 to 65535", "facilitator:rpcPort 443"],
    [
      "registryReaders",
      '["alice@example.com"]',
      "a list of IAM members",
      "pulumi config set --stack staging --path 'facilitator:registryReaders[0]' serviceAccount:",
    ],
    ["rpcEgressCidrs", '"0.0.0.0/0"', "a list of CIDRs", "--path 'facilitator:rpcEgressCidrs[0]' 0.0.0.0/0"],
    [
      "ingressNamespaces",
      '["Ingress Nginx"]',
      "a list of namespace names",
      "--path 'facilitator:ingressNamespaces[0]' ingress-nginx",
    ],
  ];
  it.each(cases)("%s = %s", (key, value, expected, fix) => {
    const found = problems({ stack: "staging", config: { [key]: value } });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^facilitator:${key.replace(".", "\\.")}: expected `));
    expect(found[0]).toContain(expected);
    expect(found[0]).toContain("; got "); // what was found (the bad items, for a list)
    expect(found[0]).toContain(". Fix: pulumi config set --stack staging ");
    expect(found[0]).toContain(fix);
  });

  it("a missing required key says it is not set", () => {
    const [problem] = problems({ stack: "prod", config: { imageTag: undefined } });
    expect(problem).toBe(
      "facilitator:imageTag: expected a semver release tag like v1.2.3; it is not set. Fix: pulumi config set --stack prod facilitator:imageTag v1.2.3",
    );
  });

  it("a missing secret gives the --secret command", () => {
    const found = problems({ stack: "prod", config: { privateKey: undefined, rpcUrl: undefined } });
    expect(found).toEqual([
      expect.stringContaining(
        "Fix: pulumi config set --stack prod --secret facilitator:privateKey  (prompts for the 0x… key)",
      ),
      expect.stringContaining(
        "Fix: pulumi config set --stack prod --secret facilitator:rpcUrl  (prompts for the https://… URL)",
      ),
    ]);
  });

  it("a malformed secret is reported without echoing its value", () => {
    const found = problems({
      stack: "prod",
      secrets: { privateKey: "0xdeadbeef", rpcUrl: "ftp://rpc.example.invalid/secret-token-123" },
    });
    expect(found).toHaveLength(2);
    expect(found[0]).toContain(
      "facilitator:privateKey: expected the facilitator signer's private key, 0x followed by 64 hex digits; the value does not match (value not shown)",
    );
    expect(found[1]).toContain("facilitator:rpcUrl: expected the Polygon Amoy JSON-RPC URL");
    expect(found.join("\n")).not.toMatch(/deadbeef|secret-token-123/);
  });

  it("a secret stored in plain text in the stack file is refused, without echoing it", () => {
    const found = problems({ stack: "prod", config: { privateKey: ANVIL_DEV_KEY_0 } }); // anvil dev key, as a plain value
    expect(found).toEqual([
      "facilitator:privateKey: expected the facilitator signer's private key, 0x followed by 64 hex digits; it is stored in plain text in the stack file; " +
        "remove it and set it again as a secret. Fix: pulumi config set --stack prod --secret facilitator:privateKey  (prompts for the 0x… key)",
    ]);
  });

  it("the single key and the signer pool together are refused (the service refuses both), without echoing either", () => {
    const pool = `${ANVIL_DEV_KEY_0.replace(/.$/, "1")},${ANVIL_DEV_KEY_0.replace(/.$/, "2")}`; // variants of the anvil dev key
    const found = problems({ stack: "prod", secrets: { signerKeys: pool } }); // privateKey is set too (the fake secrets)
    expect(found).toEqual([
      "facilitator:signerKeys: expected only one of facilitator:privateKey (one signer) and facilitator:signerKeys (a pool); " +
        "both are set, and the facilitator refuses to start with both. Fix: pulumi config rm --stack prod facilitator:privateKey  " +
        "(for the pool; or pulumi config rm --stack prod facilitator:signerKeys for the single key)",
    ]);
    expect(found.join("\n")).not.toContain(ANVIL_DEV_KEY_0.slice(2, 40));
  });

  it("neither the single key nor a pool: the key is missing, and the pool is named as the alternative", () => {
    const found = problems({ stack: "prod", config: { privateKey: undefined } });
    expect(found).toEqual([
      "facilitator:privateKey: expected the facilitator signer's private key, 0x followed by 64 hex digits; it is not set (for a signer pool, set facilitator:signerKeys instead). " +
        "Fix: pulumi config set --stack prod --secret facilitator:privateKey  (prompts for the 0x… key)",
    ]);
  });

  it.each([
    ["a malformed entry", `${ANVIL_DEV_KEY_0},0xdeadbeef`],
    ["the same key twice", `${ANVIL_DEV_KEY_0},${ANVIL_DEV_KEY_0.toUpperCase().replace("0X", "0x")}`],
    ["an empty entry", `${ANVIL_DEV_KEY_0},`],
  ])("a signer pool with %s is refused, without echoing it", (_what, pool) => {
    const found = problems({ stack: "prod", config: { privateKey: undefined }, secrets: { signerKeys: pool } }); // anvil dev key
    expect(found).toEqual([
      "facilitator:signerKeys: expected a signer pool: distinct private keys, comma-separated, each 0x followed by 64 hex digits; the value does not match (value not shown). " +
        "Fix: pulumi config set --stack prod --secret facilitator:signerKeys  (prompts for the 0x…,0x… keys)",
    ]);
    expect(found.join("\n")).not.toMatch(/deadbeef|ac0974bec39a17e36ba4a6b4d238ff944bacb478/i);
  });

  it("API keys the service would refuse are refused here, without echoing them; in plain text they are refused too", () => {
    const [short] = problems({ stack: "prod", secrets: { apiKeys: "fake-api-key-0123456789abcdef,too-short" } });
    expect(short).toBe(
      "facilitator:apiKeys: expected API keys for /verify and /settle, comma-separated, each 16 to 256 printable characters without spaces (openssl rand -hex 32); " +
        "the value does not match (value not shown). Fix: pulumi config set --stack prod --secret facilitator:apiKeys  (prompts for the keys)",
    );
    expect(short).not.toMatch(/too-short|fake-api-key/);
    const [plain] = problems({ stack: "prod", config: { apiKeys: "fake-api-key-0123456789abcdef" } });
    expect(plain).toContain("facilitator:apiKeys: expected API keys");
    expect(plain).toContain("it is stored in plain text in the stack file; remove it and set it again as a secret");
    expect(plain).not.toContain("fake-api-key");
  });

  it("a signer balance floor that is not a whole number of wei is refused", () => {
    const [problem] = problems({ stack: "prod", config: { minSignerBalanceWei: "0.5" } });
    expect(problem).toBe(
      'facilitator:minSignerBalanceWei: expected a whole number of wei (10000000000000000 = 0.01 POL), or empty for the service\'s default; got "0.5". ' +
        "Fix: pulumi config set --stack prod facilitator:minSignerBalanceWei 10000000000000000",
    );
  });

  it("prod may not be configured to build", () => {
    const [problem] = problems({ stack: "prod", config: { build: "true" } });
    expect(problem).toContain("facilitator:build: expected false; stack prod never builds");
    expect(problem).toContain("Fix: pulumi config set --stack prod facilitator:build false");
  });

  it("a GHCR owner without its token is incomplete", () => {
    const [problem] = problems({ stack: "staging", config: { "ghcr.owner": "acme" } });
    expect(problem).toContain(
      "facilitator:ghcr.token: expected a GitHub token with write:packages; it is not set but facilitator:ghcr.owner is",
    );
    expect(problem).toContain(
      "Fix: pulumi config set --stack staging --secret facilitator:ghcr.token  (prompts for the token)",
    );
  });

  it("a kubeconfig that is not one is refused, with the from-file command", () => {
    const [problem] = problems({ stack: "staging", secrets: { kubeconfig: "not a kubeconfig" } });
    expect(problem).toContain(
      "Fix: pulumi config set --stack staging --secret facilitator:kubeconfig < kubeconfig.yaml",
    );
  });

  it("reports every problem at once, in one error listing each", () => {
    const { values, secretKeys } = stackConfig({
      stack: "staging",
      config: { imageTag: "latest", replicas: "0", usdcAddress: "nope" },
    });
    expect(() => parseConfig("staging", values, secretKeys)).toThrow(
      /Stack configuration is invalid \(3 problems\):\n {2}- facilitator:imageTag: .*\n {2}- facilitator:usdcAddress: .*\n {2}- facilitator:replicas: /,
    );
  });
});

describe("Pulumi.yaml declares the whole contract", () => {
  it("the project is named after the config namespace (so the schema applies to facilitator:* keys), TypeScript on Node.js", () => {
    const project = parse(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
      name: string;
      runtime: { name: string; options: Record<string, unknown> };
    };
    expect(project.name).toBe(CONFIG_NAMESPACE);
    expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: true, packagemanager: "npm" } });
  });

  it("every key the program reads is declared, and every declared key is read", () => {
    const { values, secretKeys } = stackConfig({ stack: "staging" });
    const reader = new ConfigReader(CONFIG_NAMESPACE, "staging", values, new Set(secretKeys));
    readConfig(reader, "staging");
    expect(reader.readKeys).toEqual(Object.keys(projectConfig).sort());
  });

  it("every key has a type and a description; secrets are declared secret or say --secret", () => {
    for (const [key, schema] of Object.entries(projectConfig)) {
      expect(["string", "integer", "boolean", "array"], key).toContain(schema.type);
      expect(schema.description?.length ?? 0, key).toBeGreaterThan(10);
    }
    expect(projectConfig["rpcUrl"]).toMatchObject({ secret: true });
    expect(projectConfig["rpcUrl"]?.default).toBeUndefined();
    // Optional secrets have a default (""), which the CLI does not allow on a `secret: true` key
    // (pulumi/pulumi#21865); their description says --secret, and the program refuses plain text.
    // privateKey is one of them: a signer pool (signerKeys) replaces it.
    for (const optionalSecret of ["privateKey", "signerKeys", "apiKeys", "kubeconfig", "ghcr.token"]) {
      expect(projectConfig[optionalSecret], optionalSecret).toMatchObject({ type: "string", default: "" });
      expect(projectConfig[optionalSecret]?.description, optionalSecret).toMatch(/^Secret \(set with --secret/);
    }
    expect(projectConfig["minSignerBalanceWei"]).toMatchObject({ type: "string", default: "" });
    expect(projectConfig["minSignerBalanceWei"]?.secret).toBeUndefined();
  });

  it.each(["staging", "prod"])("Pulumi.%s.yaml holds no secret values", (stack) => {
    const text = readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");
    const config = (parse(text) as { config: Record<string, unknown> }).config;
    for (const key of [
      "facilitator:privateKey",
      "facilitator:signerKeys",
      "facilitator:apiKeys",
      "facilitator:rpcUrl",
      "facilitator:kubeconfig",
      "facilitator:ghcr.token",
    ]) {
      expect(config[key], key).toBeUndefined();
    }
    expect(text).not.toMatch(/secure:|0x[0-9a-fA-F]{64}/);
  });
});
