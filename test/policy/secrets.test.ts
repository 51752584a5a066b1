import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { runPolicies } from "../../policy/run";
import { isSecretName, noLiteralSecrets, secretLookingValue, secretsViaSecretKeyRef } from "../../policy/secrets";
import { deployment, dockerContainer, main, resource } from "./fixtures";

// Secret-looking values are generated here, never committed: a random 32-byte key stands in for
// a private key (same shape as an anvil dev key), tokens are assembled from harmless parts.
const privateKey = `0x${randomBytes(32).toString("hex")}`;
const apiKey = `${randomBytes(12).toString("hex")}Zq`; // 26 chars, letters and digits
const githubToken = `ghp_${"A1b2C3d4E5".repeat(4)}`;

describe("secret-looking values", () => {
  it.each([
    [privateKey, "a hex private key"],
    [privateKey.slice(2), "a hex private key"],
    [`${privateKey},${privateKey.slice(2)}`, "a list of hex private keys"], // a signer pool
    [`https://polygon-amoy.g.alchemy.com/v2/${apiKey}`, "an API key in a URL path"],
    [`https://rpc.example.com/?apikey=${apiKey}`, 'a "apikey" query parameter in a URL'],
    ["https://user:hunter2@rpc.example.com", "credentials in a URL"],
    [githubToken, "a GitHub token"],
    // A truncated, fake PEM (no key material), assembled so no key-shaped literal sits in the repo.
    [["BEGIN", "END"].map((edge) => `-----${edge} EC PRIVATE ${"KEY"}-----`).join("\nMHcC\n"), "a PEM private key"],
    [Array.from({ length: 12 }, () => "abandon").join(" "), "a mnemonic seed phrase"],
  ])("recognises %s as %s", (value, what) => {
    expect(secretLookingValue(value)).toBe(what);
  });

  it.each([
    "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582", // USDC on Amoy: an address, not a key
    `repo@sha256:${"ab".repeat(32)}`, // an image digest
    "https://rpc-amoy.polygon.technology",
    "https://amoy.polygonscan.com/address/0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582",
    "5401",
    "false",
    "info",
  ])("leaves %s alone", (value) => {
    expect(secretLookingValue(value)).toBeUndefined();
  });

  it.each([
    ["FACILITATOR_PRIVATE_KEY", true],
    ["FACILITATOR_PRIVATE_KEYS", true], // the signer pool
    ["FACILITATOR_API_KEYS", true],
    ["AMOY_RPC_URL", true],
    ["GITHUB_TOKEN", true],
    ["API_KEY", true],
    ["PRIVATE_KEY_FILE", false],
    ["AMOY_USDC_ADDRESS", false],
    ["REAL_SETTLE", false],
    ["TOKENIZER_MODE", false],
  ])("env name %s is secret: %s", (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });
});

describe("no-literal-secrets", () => {
  it("passes a Deployment whose secrets come from secretKeyRef", async () => {
    expect(await runPolicies([noLiteralSecrets], [deployment()])).toEqual([]);
  });

  it("rejects a literal private key in any env var, without echoing it", async () => {
    const violations = await runPolicies(
      [noLiteralSecrets],
      [deployment((pod) => main(pod).env?.push({ name: "SIGNER", value: privateKey }))],
    );
    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toMatch(
      /container "facilitator" env SIGNER holds a literal value that looks like a hex private key/,
    );
    expect(violations[0]?.message).not.toContain(privateKey.slice(2, 20));
  });

  it("rejects a key-bearing URL under a non-secret name in a docker Container's env", async () => {
    const violations = await runPolicies(
      [noLiteralSecrets],
      [dockerContainer((c) => (c.envs = [`UPSTREAM=https://polygon-amoy.g.alchemy.com/v2/${apiKey}`]))],
    );
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/docker container env UPSTREAM .* API key in a URL path/),
    ]);
    expect(await runPolicies([noLiteralSecrets], [dockerContainer()])).toEqual([]);
  });

  it("lets a docker Container receive its secrets as secret-named env (Docker has no secret references)", async () => {
    const envs = [
      `FACILITATOR_PRIVATE_KEY=${privateKey}`,
      `AMOY_RPC_URL=https://polygon-amoy.g.alchemy.com/v2/${apiKey}`,
    ];
    expect(await runPolicies([noLiteralSecrets], [dockerContainer((c) => (c.envs = envs))])).toEqual([]);
  });

  it("rejects a key in a GitHub Actions variable, passes an ordinary one", async () => {
    const variable = (value: string) =>
      resource("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable", "var", {
        repository: "r",
        environment: "production",
        variableName: "SIGNER",
        value,
      });
    expect(
      await runPolicies(
        [noLiteralSecrets],
        [variable("projects/123/locations/global/workloadIdentityPools/github/providers/github")],
      ),
    ).toEqual([]);
    const violations = await runPolicies([noLiteralSecrets], [variable(privateKey)]);
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/GitHub Actions variable SIGNER holds a literal value that looks like a hex private key/),
    ]);
  });

  it("rejects a token in a ConfigMap", async () => {
    const configMap = (data: Record<string, string>) => resource("kubernetes:core/v1:ConfigMap", "settings", { data });
    expect(await runPolicies([noLiteralSecrets], [configMap({ LOG_LEVEL: "info" })])).toEqual([]);
    expect(await runPolicies([noLiteralSecrets], [configMap({ GH: githubToken })])).toHaveLength(1);
  });
});

describe("secrets-via-secret-key-ref", () => {
  it("passes secret env vars read through secretKeyRef", async () => {
    expect(await runPolicies([secretsViaSecretKeyRef], [deployment()])).toEqual([]);
  });

  it("rejects a secret env var given as a literal value, even a harmless-looking one", async () => {
    const violations = await runPolicies(
      [secretsViaSecretKeyRef],
      [deployment((pod) => (main(pod).env = [{ name: "AMOY_RPC_URL", value: "https://rpc-amoy.polygon.technology" }]))],
    );
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/env AMOY_RPC_URL is a secret but is not read from a Kubernetes Secret/),
    ]);
  });

  it("rejects a secret read from a ConfigMap", async () => {
    const violations = await runPolicies(
      [secretsViaSecretKeyRef],
      [
        deployment(
          (pod) =>
            (main(pod).env = [
              { name: "FACILITATOR_PRIVATE_KEY", valueFrom: { configMapKeyRef: { name: "settings", key: "k" } } },
            ]),
        ),
      ],
    );
    expect(violations).toHaveLength(1);
  });

  it("rejects envFrom.secretRef and Secret volumes", async () => {
    const violations = await runPolicies(
      [secretsViaSecretKeyRef],
      [
        deployment((pod) => {
          main(pod).envFrom = [{ secretRef: { name: "facilitator-env" } }];
          pod.volumes = [{ name: "keys", secret: { secretName: "facilitator-env" } }];
        }),
      ],
    );
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/imports every key of Secret "facilitator-env" with envFrom/),
      expect.stringMatching(/volume "keys" mounts a Secret as files/),
    ]);
  });
});
