// The hand-written pages keep up with what the code declares: every component, workflow, composite
// action, route, metric, reason code and npm script is documented where a reader looks for it.
// (The config, env, alert and policy references are generated: reference.test.ts.)
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { METRICS } from "../../components/monitoring/monitoringQueries";
import * as reasons from "../../demo/a2a/facilitator-amoy/src/x402/reasons.js";
import { REPO_ROOT, readRepoFile } from "../../scripts/docs/reference";

const page = (path: string) => readRepoFile(path);
const missingFrom = (text: string, names: readonly string[]) => names.filter((name) => !text.includes(name));

describe("docs/pulumi.md", () => {
  it("lists every component of components/ with its type token", () => {
    const tokens = readdirSync(join(REPO_ROOT, "components"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) =>
        [...readRepoFile(`components/${f}`).matchAll(/super\(\s*"(facilitator:index:\w+)"/g)].map((m) => `\`${m[1]}\``),
      );
    expect(tokens.length).toBeGreaterThanOrEqual(10);
    expect(missingFrom(page("docs/pulumi.md"), tokens)).toEqual([]);
  });
});

describe("docs/facilitator.md", () => {
  const text = page("docs/facilitator.md");

  it("documents every route the service serves", () => {
    const server = readRepoFile("demo/a2a/facilitator-amoy/src/http/server.ts");
    // A path is a literal, or a name from the service's contract (src/contract.json: "paths").
    const contractFile = join(REPO_ROOT, "demo/a2a/facilitator-amoy/src/contract.json");
    const paths: Record<string, string> = existsSync(contractFile)
      ? (JSON.parse(readFileSync(contractFile, "utf8")) as { paths: Record<string, string> }).paths
      : {};
    const routes = [...server.matchAll(/app\.(get|post)(?:<[^>]*>)?\(\s*(?:"([^"]+)"|PATHS\.(\w+))/g)].map(
      (m) => `${m[1]!.toUpperCase()} ${m[2] ?? paths[m[3]!] ?? `PATHS.${m[3]}`}`,
    );
    expect(routes.length).toBeGreaterThanOrEqual(7);
    expect(routes).toContain("GET /status");
    expect(
      missingFrom(
        text,
        routes.map((r) => `\`${r}\``),
      ),
    ).toEqual([]);
  });

  it("documents every metric the monitoring component relies on", () => {
    expect(
      missingFrom(
        text,
        Object.values(METRICS).map((m) => `\`${m}\``),
      ),
    ).toEqual([]);
  });

  it("documents every reason code", () => {
    const codes: string[] = Object.values(reasons as Record<string, unknown>).filter(
      (v): v is string => typeof v === "string",
    );
    expect(codes.length).toBeGreaterThan(25);
    // A code may be written in full or as the suffix of a pair ("…_valid_before` / `_valid_after").
    const undocumented = codes.filter(
      (code) => !text.includes(`\`${code}\``) && !text.includes(`\`_${code.split("_").slice(-2).join("_")}\``),
    );
    expect(undocumented).toEqual([]);
  });
});

describe("docs/delivery.md", () => {
  it("describes every workflow and composite action", () => {
    const workflows = readdirSync(join(REPO_ROOT, ".github/workflows")).filter((f) => /\.ya?ml$/.test(f));
    const actions = readdirSync(join(REPO_ROOT, ".github/actions"));
    expect(workflows.length).toBeGreaterThan(0);
    const text = page("docs/delivery.md");
    expect(
      missingFrom(text, [
        ...workflows.map((w) => `(../.github/workflows/${w})`),
        ...actions.map((a) => `(../.github/actions/${a}/`),
      ]),
    ).toEqual([]);
  });
});

describe("npm scripts", () => {
  const docs = [
    "README.md",
    ...readdirSync(join(REPO_ROOT, "docs")).map((f) => `docs/${f}`),
    "demo/a2a/facilitator-amoy/README.md",
  ]
    .filter((f) => f.endsWith(".md"))
    .map(page)
    .join("\n");
  const mentioned = (script: string) =>
    new RegExp(`npm (run )?${script.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(docs);

  it.each([
    ["the root", "package.json"],
    ["the service", "demo/a2a/facilitator-amoy/package.json"],
  ])("every script of %s package.json is documented", (_, file) => {
    const scripts = Object.keys((JSON.parse(readRepoFile(file)) as { scripts: Record<string, string> }).scripts).filter(
      (s) => s !== "postinstall",
    );
    expect(scripts.filter((s) => !mentioned(s))).toEqual([]);
  });
});
