// The generated configuration references match their sources: Pulumi.yaml for the stack keys, the
// service's env schema for its variables. On a difference: `npm run docs`, then commit both.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { plainEnv, secretEnv } from "../../components/runtime/facilitatorEnv";
import { alertRules } from "../../components/monitoring/monitoringQueries";
import { policies } from "../../policy/index";
import { ENV_DOCS, envSchema } from "../../demo/a2a/facilitator-amoy/src/config/config.js";
import {
  ALERTS_PAGE,
  CONFIG_REFERENCE_PAGE,
  POLICIES_PAGE,
  alertsPage,
  policiesPage,
  ENV_REFERENCE_PAGE,
  REPO_ROOT,
  configReferencePage,
  envReferencePage,
  readEnvVars,
  readRepoFile,
  readStackKeys,
  type ProgramEnv,
} from "../../scripts/docs/reference";

const FIX = "the page is generated: run `npm run docs` and commit the result";

/** Every variable the program can set, with every optional setting on. */
function programEnv(): ProgramEnv {
  const all = {
    privateKey: "k",
    signerKeys: "k,k",
    rpcUrl: "u",
    apiKeys: "a",
    usdcAddress: "0x",
    realSettle: true,
    minSignerBalanceWei: "1",
  };
  return { secret: Object.keys(secretEnv(all)), plain: plainEnv(all).map(([name]) => name) };
}

describe("docs/config-reference.md", () => {
  const pulumiYaml = readRepoFile("Pulumi.yaml");

  it("is generated from Pulumi.yaml as committed", async () => {
    await expect(configReferencePage(pulumiYaml)).toMatchFileSnapshot(join(REPO_ROOT, CONFIG_REFERENCE_PAGE), FIX);
  });

  it("lists every key of Pulumi.yaml with its type, default, secrecy and description", () => {
    const page = readRepoFile(CONFIG_REFERENCE_PAGE);
    const keys = readStackKeys(pulumiYaml);
    expect(keys.length).toBeGreaterThan(60);
    for (const key of keys) expect(page, key.name).toContain(`| \`${key.name}\` | ${key.type} |`);
  });

  it("marks secret exactly the keys the program reads as secrets", () => {
    // components/config/ reads secrets with r.secret / r.optionalSecret and refuses them in plain text.
    const program = readdirSync(join(REPO_ROOT, "components/config"))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => readRepoFile(`components/config/${f}`))
      .join("\n");
    const readAsSecret = [...program.matchAll(/\br\.(?:optionalSecret|secret)\(\s*"([^"]+)"/g)].map((m) => m[1]).sort();
    const marked = readStackKeys(pulumiYaml)
      .filter((k) => k.secret)
      .map((k) => k.name)
      .sort();
    expect(readAsSecret.length).toBeGreaterThan(0);
    expect(marked).toEqual(readAsSecret);
  });
});

describe("docs/facilitator-env.md", () => {
  const vars = readEnvVars(envSchema.shape, ENV_DOCS);

  it("is generated from the service's env schema as committed", async () => {
    await expect(envReferencePage(vars, programEnv())).toMatchFileSnapshot(join(REPO_ROOT, ENV_REFERENCE_PAGE), FIX);
  });

  it("documents every variable of the schema, with the schema's defaults", () => {
    expect(vars.map((v) => v.name)).toEqual(Object.keys(envSchema.shape));
    expect(vars.find((v) => v.name === "AMOY_RPC_URL")).toMatchObject({ required: true, secret: true });
    expect(vars.find((v) => v.name === "MIN_PRIORITY_FEE_GWEI")).toMatchObject({ default: "25", required: false });
    expect(vars.find((v) => v.name === "PORT")).toMatchObject({ default: "5401" });
    expect(vars.find((v) => v.name === "FACILITATOR_API_KEYS")).toMatchObject({ required: false, secret: true });
    expect(vars.find((v) => v.name === "FACILITATOR_API_KEYS")?.default).toBeUndefined();
  });

  it("marks secret exactly what the Pulumi program passes as secrets, and sets only variables the service reads", () => {
    const program = programEnv();
    expect(
      vars
        .filter((v) => v.secret)
        .map((v) => v.name)
        .sort(),
    ).toEqual([...program.secret].sort());
    for (const name of [...program.secret, ...program.plain])
      expect(Object.keys(envSchema.shape), name).toContain(name);
  });

  it("refuses a schema variable without a description, and a description of no variable", () => {
    const shape = envSchema.shape as Record<string, unknown>;
    expect(() => readEnvVars({ ...shape, NEW_SETTING: shape["PORT"] }, ENV_DOCS)).toThrow(/undocumented NEW_SETTING/);
    expect(() => readEnvVars(shape, { ...ENV_DOCS, GONE: { text: "x" } })).toThrow(/not in the schema GONE/);
  });
});

describe("docs/alerts.md", () => {
  it("is generated from the alert rules, with Pulumi.yaml's default thresholds", async () => {
    const defaults = Object.fromEntries(readStackKeys(readRepoFile("Pulumi.yaml")).map((k) => [k.name, k.default]));
    const thresholds = {
      errorRatio: Number(defaults["monitoringErrorRatio"]),
      settleFailures: Number(defaults["monitoringSettleFailures"]),
      minSignerBalancePol: String(defaults["monitoringMinSignerBalance"]),
    };
    const replicas = Number(defaults["replicas"]);
    const namespace = String(defaults["namespace"]);
    const rules = alertRules(
      {
        namespace,
        podSelector: { "app.kubernetes.io/name": "x402-facilitator", "app.kubernetes.io/instance": "<stack>" },
        replicas,
      },
      thresholds,
    );
    const shown = `the defaults of Pulumi.yaml (replicas ${replicas}, monitoringErrorRatio ${thresholds.errorRatio}, monitoringSettleFailures ${thresholds.settleFailures}, monitoringMinSignerBalance ${thresholds.minSignerBalancePol})`;
    await expect(alertsPage(rules, { namespace, stack: "<stack>", thresholds: shown })).toMatchFileSnapshot(
      join(REPO_ROOT, ALERTS_PAGE),
      FIX,
    );
  });
});

describe("docs/policies.md", () => {
  it("is generated from the policy pack's list", async () => {
    await expect(policiesPage(policies)).toMatchFileSnapshot(join(REPO_ROOT, POLICIES_PAGE), FIX);
  });
});
