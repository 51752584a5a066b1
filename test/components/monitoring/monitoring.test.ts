// The Monitoring component under Pulumi mocks: what it registers is what the engine would create.
import { beforeAll, describe, expect, it } from "vitest";
import { Monitoring, type MonitoringArgs } from "../../../components/monitoring/monitoring";
import type { RecordedResource } from "../../support/mocks";
import { runProgram } from "../../support/program";

const CHANNELS = [
  "projects/x402-facilitator-prod/notificationChannels/111",
  "projects/x402-facilitator-prod/notificationChannels/222",
];
const args: MonitoringArgs = {
  stack: "prod",
  namespace: "facilitator-prod",
  podSelector: { "app.kubernetes.io/name": "facilitator" },
  metricsPort: 5401,
  replicas: 2,
  notificationChannels: CHANNELS,
  thresholds: { errorRatio: 0.02, settleFailures: 5, minSignerBalancePol: "1.5" },
  project: "x402-facilitator-prod",
};

let ofType: (type: string) => RecordedResource[];
let outputs: { dashboardId: string; alertPolicyNames: string[] };

beforeAll(async () => {
  const run = await runProgram(
    () => {
      const monitoring = new Monitoring("monitoring", args);
      return { dashboardId: monitoring.dashboardId, alertPolicyNames: monitoring.alertPolicyNames };
    },
    { stack: "prod" },
  );
  ofType = run.ofType;
  outputs = run.outputs as typeof outputs;
});

describe("Monitoring", () => {
  it("registers itself as facilitator:index:Monitoring", () => {
    expect(ofType("facilitator:index:Monitoring").map((r) => r.name)).toEqual(["monitoring"]);
  });

  it("scrapes /metrics on 5401 of the facilitator pods with a GMP PodMonitoring in the namespace", () => {
    const [scrape, ...others] = ofType("kubernetes:monitoring.googleapis.com/v1:PodMonitoring");
    expect(others).toEqual([]);
    expect(scrape?.inputs).toMatchObject({
      apiVersion: "monitoring.googleapis.com/v1",
      kind: "PodMonitoring",
      metadata: { name: "facilitator", namespace: "facilitator-prod" },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": "facilitator" } },
        endpoints: [{ port: 5401, path: "/metrics", interval: "30s" }],
      },
    });
  });

  it("lets only the GMP collector pods in on the metrics port", () => {
    const [policy] = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(policy?.inputs).toMatchObject({
      metadata: { namespace: "facilitator-prod" },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "facilitator" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gmp-system" } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "collector" } },
              },
            ],
            ports: [{ port: 5401, protocol: "TCP" }],
          },
        ],
      },
    });
  });

  it("creates the five alert policies with PromQL conditions, thresholds and the configured channels", () => {
    const alerts = ofType("gcp:monitoring/alertPolicy:AlertPolicy");
    expect(alerts.map((a) => a.name)).toEqual([
      "monitoring-http-5xx-ratio",
      "monitoring-settle-failures",
      "monitoring-readiness",
      "monitoring-dependencies",
      "monitoring-signer-balance",
    ]);
    for (const alert of alerts) {
      expect(alert.inputs).toMatchObject({
        project: "x402-facilitator-prod",
        combiner: "OR",
        notificationChannels: CHANNELS,
      });
      const [condition] = alert.inputs.conditions as {
        conditionPrometheusQueryLanguage: { query: string; disableMetricValidation: boolean };
      }[];
      expect(condition?.conditionPrometheusQueryLanguage.query).toContain('namespace="facilitator-prod"');
      expect(condition?.conditionPrometheusQueryLanguage.disableMetricValidation).toBe(true);
    }
    const query = (i: number) =>
      (alerts[i]?.inputs.conditions as { conditionPrometheusQueryLanguage: { query: string } }[])[0]
        ?.conditionPrometheusQueryLanguage.query;
    expect(query(0)).toMatch(/> 0\.02$/);
    expect(query(1)).toMatch(/outcome="failure".*> 5$/);
    expect(query(2)).toMatch(/< 2$/);
    expect(query(3)).toMatch(
      /^\(min\(facilitator_dependencies_healthy\{namespace="facilitator-prod"\}\) or vector\(0\)\) < 1$/,
    );
    expect(query(4)).toMatch(/< 1500000000000000000$/);
    expect(alerts.map((a) => a.inputs.severity)).toEqual(["ERROR", "ERROR", "CRITICAL", "CRITICAL", "WARNING"]);
    expect(alerts[0]?.inputs.displayName).toBe("Facilitator prod: 5xx responses above 2%");
  });

  it("creates the dashboard from deterministic JSON", () => {
    const [dashboard, ...others] = ofType("gcp:monitoring/dashboard:Dashboard");
    expect(others).toEqual([]);
    expect(dashboard?.inputs.project).toBe("x402-facilitator-prod");
    const json = dashboard?.inputs.dashboardJson as string;
    expect((JSON.parse(json) as { displayName: string }).displayName).toBe("Facilitator (prod)");
    expect(json).toContain("facilitator_signer_balance_wei");
  });

  it("exports the dashboard id and the alert policy names", () => {
    expect(outputs.dashboardId).toBe("monitoring-dashboard-id");
    expect(outputs.alertPolicyNames).toHaveLength(5);
    expect(outputs.alertPolicyNames[0]).toBe("projects/x402-facilitator-prod/alertPolicies/monitoring-http-5xx-ratio");
  });
});
