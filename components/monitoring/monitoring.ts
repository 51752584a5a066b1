// Monitoring of one stack's facilitator on Google Cloud: Managed Prometheus scrapes /metrics,
// Cloud Monitoring alerts on the four signals an on-call engineer must hear about, and a
// dashboard shows the picture to open first. Queries and dashboard JSON are built in
// ./monitoringQueries (pure); this component only creates the resources.
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { alertRules, dashboardJson, type AlertThresholds } from "./monitoringQueries";

export interface MonitoringArgs {
  /** Stack name, shown in alert and dashboard titles. */
  stack: string;
  /**
   * Namespace the facilitator runs in; the PodMonitoring lives there and queries filter on it.
   * Pass `dependsOn` the component that creates it.
   */
  namespace: string;
  /** Labels of the facilitator pods (the Deployment's selector). */
  podSelector: Record<string, string>;
  /** The port serving /metrics (the facilitator's 5401). */
  metricsPort: number;
  /** Desired replicas: fewer ready pods than this for 5 minutes alerts. */
  replicas: number;
  /** Cloud Monitoring notification channels (`projects/<p>/notificationChannels/<id>`). */
  notificationChannels: string[];
  thresholds: AlertThresholds;
  /** GCP project for the alert policies and dashboard; unset: the gcp provider's project. */
  project?: pulumi.Input<string>;
  /** Namespace of the Managed Prometheus collectors (pods labelled GMP_COLLECTOR_LABELS) allowed to scrape the pods. */
  collectorNamespace?: string;
}

/** How often Managed Prometheus scrapes; alerts evaluate at the same pace. */
export const SCRAPE_INTERVAL = "30s";
export const GMP_COLLECTOR_NAMESPACE = "gmp-system";
/** Labels of the managed collector DaemonSet's pods (GoogleCloudPlatform/prometheus-engine manifests). */
export const GMP_COLLECTOR_LABELS = { "app.kubernetes.io/name": "collector" };

export class Monitoring extends pulumi.ComponentResource {
  /** Dashboard resource id (`projects/<number>/dashboards/<id>`). */
  public readonly dashboardId: pulumi.Output<string>;
  /** Alert policy resource names, in rule order. */
  public readonly alertPolicyNames: pulumi.Output<string[]>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:Monitoring", name, {}, opts);
    const labels = { ...args.podSelector, "app.kubernetes.io/component": "monitoring" };
    const namespace = args.namespace;

    new k8s.apiextensions.CustomResource(
      `${name}-scrape`,
      {
        apiVersion: "monitoring.googleapis.com/v1",
        kind: "PodMonitoring",
        metadata: { name: "facilitator", namespace, labels },
        spec: {
          selector: { matchLabels: args.podSelector },
          endpoints: [{ port: args.metricsPort, path: "/metrics", interval: SCRAPE_INTERVAL }],
        },
      },
      { parent: this },
    );

    // The deployment's NetworkPolicy admits only the configured namespaces; policies add up,
    // so this one lets the collectors in on the metrics port for as long as monitoring is on.
    new k8s.networking.v1.NetworkPolicy(
      `${name}-scrape`,
      {
        metadata: { name: "facilitator-metrics-scrape", namespace, labels },
        spec: {
          podSelector: { matchLabels: args.podSelector },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": args.collectorNamespace ?? GMP_COLLECTOR_NAMESPACE },
                  },
                  podSelector: { matchLabels: GMP_COLLECTOR_LABELS },
                },
              ],
              ports: [{ protocol: "TCP", port: args.metricsPort }],
            },
          ],
        },
      },
      { parent: this },
    );

    const policies = alertRules(
      { namespace, podSelector: args.podSelector, replicas: args.replicas },
      args.thresholds,
    ).map(
      (rule) =>
        new gcp.monitoring.AlertPolicy(
          `${name}-${rule.id}`,
          {
            project: args.project,
            displayName: `Facilitator ${args.stack}: ${rule.title}`,
            combiner: "OR",
            severity: rule.severity,
            conditions: [
              {
                displayName: rule.title,
                conditionPrometheusQueryLanguage: {
                  query: rule.query,
                  duration: rule.duration,
                  evaluationInterval: "60s",
                  alertRule: rule.id.replace(/-/g, "_"),
                  ruleGroup: "facilitator",
                  // The metrics appear only after the first scrape of a new stack.
                  disableMetricValidation: true,
                },
              },
            ],
            notificationChannels: args.notificationChannels,
            documentation: { mimeType: "text/markdown", content: rule.runbook },
            alertStrategy: { autoClose: "1800s" },
            userLabels: { app: "facilitator", stack: args.stack },
          },
          { parent: this },
        ),
    );

    const dashboard = new gcp.monitoring.Dashboard(
      `${name}-dashboard`,
      { project: args.project, dashboardJson: dashboardJson(args.stack, namespace, args.thresholds) },
      { parent: this },
    );

    this.dashboardId = dashboard.id;
    this.alertPolicyNames = pulumi.all(policies.map((p) => p.name));
    this.registerOutputs({ dashboardId: this.dashboardId, alertPolicyNames: this.alertPolicyNames });
  }
}
