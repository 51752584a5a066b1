// The policy pack over every committed stack, as the program registers it under mocks: each
// stack must be clean. Then a deliberately broken copy of prod (image by tag, a literal key,
// a root pod) must produce exactly the expected violations, so "clean" means something.
// The pack runs over everything a stack registers, so resources added by later components are
// checked without changes here; the last tests prove it reaches the GitHub, WIF and registry ones.
import { describe, expect, it } from "vitest";
import { policies } from "../../policy/index";
import { runPolicies, type Violation } from "../../policy/run";
import type { PodSpec } from "../../policy/workloads";
import { asPolicyInput, committedStacks, configOf, runCommittedStack as run } from "./committedStacks";

const STACKS = committedStacks();

function summary(violations: Violation[]): string[] {
  return violations.map((v) => `${v.policy}: ${v.message} (${v.urn})`);
}

describe("policy pack over the committed stacks", () => {
  it("finds the stack files", () => {
    expect(STACKS).toEqual(expect.arrayContaining(["prod", "staging"]));
  });

  it.each(STACKS)("stack %s has zero violations", async (stack) => {
    const resources = asPolicyInput(await run(stack));
    // Guard against a vacuous pass: the facilitator workload the policies are about is really there
    // (a Kubernetes Deployment, or a Docker container on the docker target).
    const workloads = resources.filter(
      (r) => r.type === "kubernetes:apps/v1:Deployment" || r.type === "docker:index/container:Container",
    );
    expect(workloads).toHaveLength(1);
    expect(summary(await runPolicies(policies, resources))).toEqual([]);
  });
});

describe("policy pack over a deliberately broken copy of prod", () => {
  it("reports the image by tag, the literal key and the root pod, and nothing else", async () => {
    const resources = asPolicyInput(await run("prod"));
    const broken = structuredClone(resources);
    const deployment = broken.find((r) => r.type === "kubernetes:apps/v1:Deployment");
    const pod = (deployment?.props as { spec: { template: { spec: PodSpec } } } | undefined)?.spec.template.spec;
    const container = pod?.containers[0];
    if (!pod || !container) throw new Error("prod registers no Deployment with a container");

    container.image = "europe-west1-docker.pkg.dev/x402-facilitator-staging/facilitator/x402-facilitator-amoy:v1.2.3";
    // A literal private key where the secretKeyRef was (randomly generated, never a real key).
    const key = `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex")}`;
    // (FACILITATOR_PRIVATE_KEY, or FACILITATOR_PRIVATE_KEYS for a signer pool.)
    container.env = (container.env ?? []).map((env) =>
      env.name.startsWith("FACILITATOR_PRIVATE_KEY") ? { name: env.name, value: key } : env,
    );
    // Root at pod level, with nothing at container level to override it.
    pod.securityContext = { ...pod.securityContext, runAsUser: 0, runAsNonRoot: false };
    container.securityContext = { ...container.securityContext, runAsUser: undefined, runAsNonRoot: undefined };

    const violations = await runPolicies(policies, broken);
    expect(violations.every((v) => v.urn === deployment?.urn)).toBe(true);
    expect(violations.map((v) => [v.policy, v.message])).toEqual([
      ["images-by-digest", expect.stringMatching(/references .*:v1\.2\.3 by tag, not by digest/)],
      [
        "no-literal-secrets",
        expect.stringMatching(/env FACILITATOR_PRIVATE_KEYS? holds a literal value that looks like a hex private key/),
      ],
      [
        "secrets-via-secret-key-ref",
        expect.stringMatching(/env FACILITATOR_PRIVATE_KEYS? is a secret but is not read from a Kubernetes Secret/),
      ],
      ["pod-hardening", expect.stringMatching(/may run as root/)],
      ["pod-hardening", expect.stringMatching(/runs as uid 0/)],
    ]);
    expect(violations.map((v) => v.message).join("\n")).not.toContain(key.slice(2));
  });
});

describe("policy pack over broken copies of what the other components create", () => {
  it.runIf(configOf("prod", "githubManage") === "true")(
    "prod: a production environment without reviewers and a WIF provider without condition are caught",
    async () => {
      const broken = structuredClone(asPolicyInput(await run("prod")));
      const environments = broken.filter(
        (r) =>
          r.type === "github:index/repositoryEnvironment:RepositoryEnvironment" &&
          r.props["environment"] === "production",
      );
      const providers = broken.filter(
        (r) => r.type === "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
      );
      expect(environments).toHaveLength(1);
      expect(providers.length).toBeGreaterThan(0);
      for (const environment of environments) environment.props["reviewers"] = [];
      for (const provider of providers) delete provider.props["attributeCondition"];

      const violations = await runPolicies(policies, broken);
      expect(violations.map((v) => [v.policy, v.urn])).toEqual([
        ["production-environment-protected", environments[0]?.urn],
        ...providers.map((p) => ["wif-attribute-condition", p.urn]),
      ]);
    },
  );

  it.runIf(committedStacks().includes("local"))(
    "local: a root, writable container pulled by tag is caught",
    async () => {
      const broken = structuredClone(asPolicyInput(await run("local")));
      const remoteImage = broken.find((r) => r.type === "docker:index/remoteImage:RemoteImage");
      const container = broken.find((r) => r.type === "docker:index/container:Container");
      if (!remoteImage || !container) throw new Error("local registers no RemoteImage and Container");
      remoteImage.props["name"] = "127.0.0.1:5000/x402-facilitator-amoy:latest";
      container.props["user"] = "0";
      container.props["readOnly"] = false;

      const violations = await runPolicies(policies, broken);
      expect(violations.map((v) => [v.policy, v.urn, v.message])).toEqual([
        ["images-by-digest", remoteImage.urn, expect.stringMatching(/uses the "latest" tag/)],
        ["images-by-digest", remoteImage.urn, expect.stringMatching(/by tag, not by digest/)],
        ["docker-container-hardening", container.urn, expect.stringMatching(/runs as user 0/)],
        ["docker-container-hardening", container.urn, expect.stringMatching(/writable root filesystem/)],
      ]);
    },
  );

  it("staging: a registry repository with mutable tags is caught", async () => {
    const broken = structuredClone(asPolicyInput(await run("staging")));
    const repositories = broken.filter((r) => r.type === "gcp:artifactregistry/repository:Repository");
    expect(repositories).toHaveLength(1);
    for (const repository of repositories) repository.props["dockerConfig"] = { immutableTags: false };
    expect((await runPolicies(policies, broken)).map((v) => v.policy)).toEqual(["registry-immutable-tags"]);
  });
});
