// open-settlement-not-exposed: real settlement without API keys on a stack reachable from outside is
// refused unless facilitator:allowOpenSettlement marks the workload. Over hand-built resources, then
// over the committed stacks as the program registers them (with a public route added where needed).
// Sources for "reachable": Service types https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types
// (NodePort/LoadBalancer expose outside the cluster, ClusterIP does not); Docker: "Publishing container
// ports is insecure by default … If you include the localhost IP address (127.0.0.1) … only the Docker
// host can access the published container port" (https://docs.docker.com/engine/network/#published-ports),
// and @pulumi/docker's ContainerPort.ip "Defaults to `0.0.0.0`" (docker/types/input.d.ts).
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/config/configReader";
import { parseConfig } from "../../components/config/config";
import {
  OPEN_SETTLEMENT_ALLOWED,
  OPEN_SETTLEMENT_ANNOTATION as PROGRAM_ANNOTATION,
} from "../../components/runtime/openSettlement";
import { policies } from "../../policy/index";
import {
  OPEN_SETTLEMENT_ANNOTATION,
  OPEN_SETTLEMENT_LABEL,
  SECRET_ENV_LABEL,
  openSettlementNotExposed,
} from "../../policy/openSettlement";
import { runPolicies, type ResourceUnderTest } from "../../policy/run";
import type { PodSpec } from "../../policy/workloads";
import { runLocalStack } from "../local/support/stack";
import { releasedImages, runStack, stackConfig } from "../support/stack";
import { asPolicyInput, runCommittedStack } from "./committedStacks";
import { deployment, dockerContainer, main, resource } from "./fixtures";

const FAKE_API_KEYS = "fake-api-key-0123456789abcdef";
const API_KEYS_REF = {
  name: "FACILITATOR_API_KEYS",
  valueFrom: { secretKeyRef: { name: "facilitator-env-1a2b3c", key: "FACILITATOR_API_KEYS" } },
};

function settling(pod: PodSpec): void {
  main(pod).env = (main(pod).env ?? []).map((e) => (e.name === "REAL_SETTLE" ? { name: e.name, value: "true" } : e));
}

function withAnnotation(workload: ResourceUnderTest): ResourceUnderTest {
  const metadata = workload.props["metadata"] as Record<string, unknown>;
  workload.props["metadata"] = { ...metadata, annotations: { [OPEN_SETTLEMENT_ANNOTATION]: "allowed" } };
  return workload;
}

const service = (type: string) =>
  resource("kubernetes:core/v1:Service", `facilitator-${type}`, { spec: { type, ports: [{ port: 5401 }] } });
const ingress = (stack = "staging") =>
  resource(
    "kubernetes:networking.k8s.io/v1:Ingress",
    "facilitator-public",
    {
      spec: {
        rules: [
          {
            host: "facilitator.example.com",
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "facilitator", port: { number: 5401 } } },
                },
              ],
            },
          },
        ],
      },
    },
    stack,
  );

async function found(...resources: ResourceUnderTest[]): Promise<string[]> {
  return (await runPolicies([openSettlementNotExposed], resources)).map((v) => v.message);
}

describe("open-settlement-not-exposed over Kubernetes resources", () => {
  it("refuses real settlement without API keys behind a LoadBalancer, naming both fixes", async () => {
    expect(await found(deployment(settling), service("LoadBalancer"))).toEqual([
      "facilitator settles for real (REAL_SETTLE=true) with no API keys, and is reachable from outside: a LoadBalancer Service (facilitator-LoadBalancer). " +
        "Anyone who reaches it can have it broadcast settlements paid from its signer's gas. " +
        "Set API keys (pulumi config set --stack staging --secret facilitator:apiKeys), or accept open settlement explicitly (pulumi config set --stack staging facilitator:allowOpenSettlement true).",
    ]);
  });

  it.each([
    ["a NodePort Service", [service("NodePort")]],
    ["an Ingress (a public hostname)", [ingress()]],
    [
      "a Gateway API route",
      [
        resource("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "facilitator", {
          spec: { hostnames: ["facilitator.example.com"] },
        }),
      ],
    ],
    [
      "a DNS record",
      [resource("gcp:dns/recordSet:RecordSet", "facilitator", { name: "facilitator.example.com.", type: "A" })],
    ],
    [
      "a GKE managed certificate",
      [
        resource("kubernetes:networking.gke.io/v1:ManagedCertificate", "facilitator", {
          spec: { domains: ["facilitator.example.com"] },
        }),
      ],
    ],
  ] as [string, ResourceUnderTest[]][])("counts %s as reachable", async (_what, routes) => {
    expect(await found(deployment(settling), ...routes)).toHaveLength(1);
  });

  it("counts the node's network and host ports as reachable", async () => {
    expect(
      await found(
        deployment((pod) => {
          settling(pod);
          pod.hostNetwork = true;
        }),
      ),
    ).toEqual([expect.stringContaining("the pod uses the node's network")]);
    expect(
      await found(
        deployment((pod) => {
          settling(pod);
          main(pod).ports = [{ containerPort: 5401, hostPort: 5401 }];
        }),
      ),
    ).toEqual([expect.stringContaining('container "facilitator" binds host port 5401')]);
  });

  it("passes API keys, the explicit allowance, simulated settlement and a cluster-internal Service", async () => {
    const withKeys = deployment((pod) => {
      settling(pod);
      main(pod).env = [...(main(pod).env ?? []), API_KEYS_REF];
    });
    expect(await found(withKeys, service("LoadBalancer"))).toEqual([]);
    expect(await found(withAnnotation(deployment(settling)), service("LoadBalancer"))).toEqual([]);
    expect(await found(deployment(), service("LoadBalancer"), ingress())).toEqual([]);
    expect(await found(deployment(settling), service("ClusterIP"))).toEqual([]);
  });
});

describe("open-settlement-not-exposed over docker containers", () => {
  const settlingContainer = (edit: (props: Record<string, unknown>) => void = () => {}) =>
    dockerContainer((props) => {
      props["envs"] = ["PORT=5401", "REAL_SETTLE=true"];
      props["labels"] = [{ label: SECRET_ENV_LABEL, value: "AMOY_RPC_URL,FACILITATOR_PRIVATE_KEY" }];
      props["ports"] = [{ internal: 5401, external: 5401, ip: "127.0.0.1", protocol: "tcp" }];
      edit(props);
    });

  it("passes a port published on loopback only", async () => {
    expect(await found(settlingContainer())).toEqual([]);
  });

  it("refuses a port published on every address (also when no ip is given) and the host network", async () => {
    expect(
      await found(
        settlingContainer((p) => {
          p["ports"] = [{ internal: 5401, external: 8080, ip: "0.0.0.0" }];
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^docker container .* is reachable from outside: port 8080 is published on 0\.0\.0\.0\./),
    ]);
    expect(
      await found(
        settlingContainer((p) => {
          p["ports"] = [{ internal: 5401, external: 5401 }];
        }),
      ),
    ).toHaveLength(1);
    expect(
      await found(
        settlingContainer((p) => {
          p["networkMode"] = "host";
          delete p["ports"];
        }),
      ),
    ).toEqual([expect.stringContaining("uses the host's network")]);
    // a public hostname in front of a loopback port (a tunnel or a DNS record) counts too
    expect(
      await found(
        settlingContainer(),
        resource("gcp:dns/recordSet:RecordSet", "facilitator", { name: "facilitator.example.com." }),
      ),
    ).toHaveLength(1);
  });

  it("sees API keys in the secret-env label and the allowance in its label", async () => {
    const published = (labels: { label: string; value: string }[]) =>
      settlingContainer((p) => {
        p["ports"] = [{ internal: 5401, external: 5401, ip: "0.0.0.0" }];
        p["labels"] = labels;
      });
    expect(
      await found(
        published([{ label: SECRET_ENV_LABEL, value: "AMOY_RPC_URL,FACILITATOR_API_KEYS,FACILITATOR_PRIVATE_KEY" }]),
      ),
    ).toEqual([]);
    expect(await found(published([{ label: OPEN_SETTLEMENT_LABEL, value: "allowed" }]))).toEqual([]);
    expect(await found(published([]))).toHaveLength(1); // no label: keys unknown, treated as open
  });
});

describe("open-settlement-not-exposed over the committed stacks", () => {
  const PROD_RELEASE = releasedImages(["v1.2.3"]);
  const violationsOf = async (resources: ResourceUnderTest[]) =>
    (await runPolicies(policies, resources))
      .filter((v) => v.policy === "open-settlement-not-exposed")
      .map((v) => v.message);

  it("the program's marker is the one the pack reads", () => {
    expect(PROGRAM_ANNOTATION).toBe(OPEN_SETTLEMENT_ANNOTATION);
    expect(OPEN_SETTLEMENT_ALLOWED).toBe("allowed");
  });

  it("prod as committed settles for real in open mode (no apiKeys in the test secrets) but has no way in: clean", async () => {
    const resources = asPolicyInput(await runCommittedStack("prod"));
    const pod = (
      resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")?.props as {
        spec: { template: { spec: PodSpec } };
      }
    ).spec.template.spec;
    const env = main(pod).env ?? [];
    expect(env).toContainEqual({ name: "REAL_SETTLE", value: "true" });
    expect(env.map((e) => e.name)).not.toContain("FACILITATOR_API_KEYS");
    expect(await violationsOf(resources)).toEqual([]);
  });

  it("prod with a public route (the hostname to come) is refused; API keys or the allowance make it pass", async () => {
    const exposed = (resources: ResourceUnderTest[]) => [...resources, ingress("prod")];
    expect(await violationsOf(exposed(asPolicyInput(await runCommittedStack("prod"))))).toEqual([
      expect.stringMatching(
        /^facilitator settles for real \(REAL_SETTLE=true\) with no API keys, and is reachable from outside: an Ingress \(facilitator-public\)\. .*pulumi config set --stack prod facilitator:allowOpenSettlement true/,
      ),
    ]);
    const withKeys = await runStack({ stack: "prod", registry: PROD_RELEASE, secrets: { apiKeys: FAKE_API_KEYS } });
    expect(await violationsOf(exposed(asPolicyInput(withKeys)))).toEqual([]);
    const allowed = await runCommittedStack("prod", { allowOpenSettlement: "true" });
    const annotations = (
      allowed.one("kubernetes:apps/v1:Deployment").inputs["metadata"] as { annotations?: Record<string, string> }
    ).annotations;
    expect(annotations).toEqual({ [OPEN_SETTLEMENT_ANNOTATION]: "allowed" });
    expect(await violationsOf(exposed(asPolicyInput(allowed)))).toEqual([]);
  });

  it("local (docker) with real settlement published on 0.0.0.0 is refused; loopback, API keys or the allowance pass", async () => {
    const local = async (config: Record<string, string>, secrets: Record<string, string> = {}) =>
      violationsOf(asPolicyInput(await runLocalStack({ config: { realSettle: "true", ...config }, secrets })));
    expect(await local({ dockerPublishAddress: "0.0.0.0" })).toEqual([
      expect.stringMatching(
        /^docker container facilitator-local settles for real .* port 5401 is published on 0\.0\.0\.0\. .*--stack local/,
      ),
    ]);
    expect(await local({})).toEqual([]); // committed: 127.0.0.1
    expect(await local({ dockerPublishAddress: "0.0.0.0" }, { apiKeys: FAKE_API_KEYS })).toEqual([]);
    expect(await local({ dockerPublishAddress: "0.0.0.0", allowOpenSettlement: "true" })).toEqual([]);
  });
});

describe("facilitator:allowOpenSettlement in the config", () => {
  const problems = (config: Record<string, string>, secrets: Record<string, string> = {}): string[] => {
    const { values, secretKeys } = stackConfig({ stack: "prod", config, secrets });
    try {
      parseConfig("prod", values, secretKeys);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    }
  };

  it("defaults to false and parses true", () => {
    const { values, secretKeys } = stackConfig({ stack: "prod", config: { allowOpenSettlement: "true" } });
    expect(parseConfig("prod", values, secretKeys).allowOpenSettlement).toBe(true);
    const committed = stackConfig({ stack: "prod" });
    expect(parseConfig("prod", committed.values, committed.secretKeys).allowOpenSettlement).toBe(false);
  });

  it("refuses a value that is not a boolean, with the fix", () => {
    expect(problems({ allowOpenSettlement: "yes" })).toEqual([
      'facilitator:allowOpenSettlement: expected true or false; got "yes". Fix: pulumi config set --stack prod facilitator:allowOpenSettlement true',
    ]);
  });

  it("refuses the allowance while API keys are set (it would apply unnoticed once they are removed)", () => {
    expect(problems({ allowOpenSettlement: "true" }, { apiKeys: FAKE_API_KEYS })).toEqual([
      expect.stringMatching(
        /^facilitator:allowOpenSettlement: expected false while facilitator:apiKeys is set; .*Fix: pulumi config rm --stack prod facilitator:allowOpenSettlement$/,
      ),
    ]);
  });
});
