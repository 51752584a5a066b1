// The pack as `pulumi preview --policy-pack policy` runs it: Pulumi's own policy-pack runner
// (@pulumi/pulumi cmd/run-policy-pack: its ts-node, type-checking on, cwd policy/, package.json
// main) starts the real policy server, and the engine's Analyzer gRPC calls get the verdicts.
// Only the CLI itself is missing (it cannot be installed here); this is the process it would start.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policy/index";
import type { ResourceUnderTest } from "../../policy/run";
import { REPO_ROOT } from "../support/stack";
import { deployment, main, pdb } from "./fixtures";

let child: ChildProcess | undefined;
let client: AnalyzerClient;

/** Starts the pack the way the CLI does and resolves with the port it prints. */
function startPack(): Promise<number> {
  const env = { ...process.env };
  delete env["PULUMI_NODEJS_TRANSPILE_ONLY"]; // type-check, as `pulumi preview` does by default
  const runner = path.join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
  const proc = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: path.join(REPO_ROOT, "policy"), env });
  child = proc;
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /^(\d+)\s*$/m.exec(stdout)?.[1];
      if (port) resolve(Number(port));
    });
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on("exit", (code) =>
      reject(new Error(`the policy pack exited (${code}) before serving:\n${stderr}${stdout}`)),
    );
  });
}

function options(): analyzer.AnalyzerResourceOptions {
  return new analyzer.AnalyzerResourceOptions()
    .setProtect(false)
    .setIgnorechangesList([])
    .setAliasesList([])
    .setAdditionalsecretoutputsList([]);
}

function analyze(resource: ResourceUnderTest): Promise<analyzer.AnalyzeDiagnostic[]> {
  const request = new analyzer.AnalyzeRequest()
    .setType(resource.type)
    .setName(resource.name)
    .setUrn(resource.urn)
    .setProperties(Struct.fromJavaScript(resource.props as never))
    .setOptions(options());
  return new Promise((resolve, reject) =>
    client.analyze(request, (err, res) => (err ? reject(err) : resolve(res.getDiagnosticsList()))),
  );
}

function analyzeStack(resources: ResourceUnderTest[]): Promise<analyzer.AnalyzeDiagnostic[]> {
  const request = new analyzer.AnalyzeStackRequest().setResourcesList(
    resources.map((r) =>
      new analyzer.AnalyzerResource()
        .setType(r.type)
        .setName(r.name)
        .setUrn(r.urn)
        .setProperties(Struct.fromJavaScript(r.props as never))
        .setOptions(options()),
    ),
  );
  return new Promise((resolve, reject) =>
    client.analyzeStack(request, (err, res) => (err ? reject(err) : resolve(res.getDiagnosticsList()))),
  );
}

const summary = (diagnostics: analyzer.AnalyzeDiagnostic[]) =>
  diagnostics.map((d) => ({
    policy: d.getPolicyname(),
    mandatory: d.getEnforcementlevel() === analyzer.EnforcementLevel.MANDATORY,
    message: d.getMessage(),
  }));

beforeAll(async () => {
  const port = await startPack();
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 600_000);

afterAll(() => {
  client?.close();
  child?.kill();
});

describe("the policy pack under Pulumi's policy runtime", () => {
  it("serves every policy of policy/index.ts under the pack's name and version", async () => {
    const info = await new Promise<analyzer.AnalyzerInfo>((resolve, reject) =>
      client.getAnalyzerInfo(new Empty(), (err, res) => (err ? reject(err) : resolve(res))),
    );
    expect(info.getName()).toBe("facilitator-policies");
    expect(info.getVersion()).toBe("0.1.0");
    expect(info.getPoliciesList().map((p) => p.getName())).toEqual(policies.map((p) => p.name));
  });

  it("passes a hardened Deployment and fails one by tag, as root, as mandatory violations", async () => {
    expect(await analyze(deployment())).toEqual([]);
    const broken = deployment((pod) => {
      main(pod).image = "europe-west1-docker.pkg.dev/p/r/facilitator:v1.2.3";
      pod.securityContext = { ...pod.securityContext, runAsUser: 0 };
    });
    expect(summary(await analyze(broken))).toEqual([
      { policy: "images-by-digest", mandatory: true, message: expect.stringMatching(/by tag, not by digest/) },
      { policy: "pod-hardening", mandatory: true, message: expect.stringMatching(/runs as uid 0/) },
    ]);
  });

  it("runs the stack policies: a single prod replica without a PodDisruptionBudget", async () => {
    expect(await analyzeStack([deployment(undefined, { stack: "prod" }), pdb(undefined, { stack: "prod" })])).toEqual(
      [],
    );
    expect(summary(await analyzeStack([deployment(undefined, { stack: "prod", replicas: 1 })]))).toEqual([
      { policy: "prod-availability", mandatory: true, message: expect.stringMatching(/runs 1 replica\(s\)/) },
      { policy: "prod-availability", mandatory: true, message: expect.stringMatching(/has no PodDisruptionBudget/) },
    ]);
  });
});
