// Pure parts of monitoring: the metric names the facilitator exports (the contract with the
// service: its src/metrics/metrics.ts), the PromQL of each alert and the dashboard JSON.
// No resources here, so all of it is unit-tested without mocks.
import { SERVICE_METRICS } from "../service";

/** Prometheus metric names the facilitator exports on its /metrics (the service's contract.json). */
export const METRICS = SERVICE_METRICS;

/**
 * `outcome` of a valid payment the facilitator could not settle (RPC error, revert, no gas). Rejected
 * payments are `invalid` and never alert: a client sending bad payments must not page on-call.
 */
export const SETTLE_FAILURE_OUTCOME = "failure";

const WEI_PER_POL = 10n ** 18n;

/** "0.5" POL → "500000000000000000" wei, exactly (no float rounding). */
export function polToWei(pol: string): string {
  const match = /^(\d+)(?:\.(\d{1,18}))?$/.exec(pol.trim());
  if (!match) throw new Error(`"${pol}" is not an amount of POL: use a decimal number like 0.5 (at most 18 decimals).`);
  const [, whole = "0", fraction = ""] = match;
  return (BigInt(whole) * WEI_PER_POL + BigInt(fraction.padEnd(18, "0"))).toString();
}

export interface AlertThresholds {
  /** Fraction of responses that are 5xx over 5 minutes above which to alert (0.05 = 5%). */
  errorRatio: number;
  /** Failed settlements within 15 minutes above which to alert. */
  settleFailures: number;
  /** Signer balance in POL (decimal string) below which to alert. */
  minSignerBalancePol: string;
}

export interface AlertRule {
  /** Short stable id (resource name suffix and Prometheus alert name). */
  id: string;
  title: string;
  severity: "CRITICAL" | "ERROR" | "WARNING";
  query: string;
  /** How long the query must hold before the alert fires. */
  duration: string;
  /** What the on-call engineer should look at first (markdown). */
  runbook: string;
}

function selector(namespace: string, extra = ""): string {
  return `{namespace="${namespace}"${extra}}`;
}

/** Where the facilitator of one stack runs. */
export interface Workload {
  namespace: string;
  /** Labels of its pods, for the kubectl commands in the runbooks. */
  podSelector: Record<string, string>;
  /** Desired replicas: fewer ready pods than this alerts. */
  replicas: number;
}

/** The four alert rules of one stack, with thresholds filled in. */
export function alertRules({ namespace, podSelector, replicas }: Workload, t: AlertThresholds): AlertRule[] {
  const ns = selector(namespace);
  const pods = `-n ${namespace} -l ${Object.entries(podSelector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",")}`;
  const percent = `${+(t.errorRatio * 100).toFixed(2)}%`;
  return [
    {
      id: "http-5xx-ratio",
      title: `5xx responses above ${percent}`,
      severity: "ERROR",
      query:
        `sum(rate(${METRICS.httpRequests}${selector(namespace, ',status=~"5.."')}[5m]))` +
        ` / sum(rate(${METRICS.httpRequests}${ns}[5m])) > ${t.errorRatio}`,
      duration: "300s",
      runbook:
        `More than ${percent} of the facilitator's responses in namespace \`${namespace}\` were 5xx for 5 minutes.\n\n` +
        `Check the dashboard's errors-by-route chart, then the pod logs (\`kubectl logs ${pods}\`). ` +
        "RPC outages show up as 5xx on /verify and /settle together.",
    },
    {
      id: "settle-failures",
      title: `More than ${t.settleFailures} failed settlements in 15 minutes`,
      severity: "ERROR",
      query: `sum(increase(${METRICS.settlements}${selector(namespace, `,outcome="${SETTLE_FAILURE_OUTCOME}"`)}[15m])) > ${t.settleFailures}`,
      duration: "0s",
      runbook:
        `Settlements are failing on chain or at the RPC in namespace \`${namespace}\`.\n\n` +
        "The dashboard's settlements-by-outcome chart splits failures by `reason`; a low signer balance or a nonce problem shows there first.",
    },
    {
      id: "readiness",
      title: `Fewer than ${replicas} facilitator pod(s) ready`,
      severity: "CRITICAL",
      // `or vector(0)`: no ready pod at all (or no scrape) counts as zero instead of "no data".
      query: `(count(${METRICS.ready}${ns} == 1) or vector(0)) < ${replicas}`,
      duration: "300s",
      runbook:
        `Fewer than ${replicas} pod(s) in namespace \`${namespace}\` have reported ready for 5 minutes.\n\n` +
        `Readiness is the process only (started, not draining): pods are crashing, pending or failing to start. \`kubectl describe pods ${pods}\` shows why.`,
    },
    {
      id: "dependencies",
      title: "The RPC or the signers' funds are unhealthy",
      severity: "CRITICAL",
      // Every replica shares the RPC and the signers, so this is one alert, not one per pod; no scrape counts as unhealthy.
      query: `(min(${METRICS.dependenciesHealthy}${ns}) or vector(0)) < 1`,
      duration: "180s",
      runbook:
        `The facilitator in namespace \`${namespace}\` reports an unhealthy dependency for 3 minutes: the Polygon Amoy RPC does not answer, serves another chain, or a signer is below its minimum balance. ` +
        "Pods stay ready and answer 503 with Retry-After meanwhile.\n\n" +
        `\`kubectl port-forward -n ${namespace} deploy/facilitator 5401\`, then \`curl localhost:5401/status\` names each problem and its fix.`,
    },
    {
      id: "signer-balance",
      title: `Signer gas balance below ${t.minSignerBalancePol} POL`,
      severity: "WARNING",
      query: `min by (signer) (${METRICS.signerBalance}${ns}) < ${polToWei(t.minSignerBalancePol)}`,
      duration: "300s",
      runbook:
        `The facilitator signer in namespace \`${namespace}\` holds less than ${t.minSignerBalancePol} POL for gas.\n\n` +
        "Fund the signer address (the `signer` label) before settlements start failing; below the service's own minimum the dependencies alert fires too.",
    },
  ];
}

function nonZero<K extends string>(key: K, value: number): Partial<Record<K, number>> {
  return value === 0 ? {} : ({ [key]: value } as Record<K, number>);
}

/** JSON with object keys sorted at every level, so equal content is byte-identical (no preview diff). */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

interface Chart {
  title: string;
  yLabel: string;
  /** A legend is set only for series without labels (quantiles, totals); labelled series show their labels. */
  series: { query: string; legend?: string }[];
  threshold?: { value: number; label: string };
}

function quantiles(metric: string, ns: string): Chart["series"] {
  return [0.5, 0.95, 0.99].map((q) => ({
    query: `histogram_quantile(${q}, sum by (le) (rate(${metric}_bucket${ns}[5m])))`,
    legend: `p${q * 100}`,
  }));
}

/** The on-call dashboard of one stack: traffic, errors, latency, settlements, signer balance. */
export function dashboardJson(stack: string, namespace: string, t: AlertThresholds): string {
  const ns = selector(namespace);
  const charts: Chart[] = [
    {
      title: "Requests by route (per second)",
      yLabel: "req/s",
      series: [{ query: `sum by (route) (rate(${METRICS.httpRequests}${ns}[5m]))` }],
    },
    {
      title: "Errors by route and status (per second)",
      yLabel: "req/s",
      series: [
        {
          query: `sum by (route, status) (rate(${METRICS.httpRequests}${selector(namespace, ',status=~"4..|5.."')}[5m]))`,
        },
      ],
    },
    { title: "Verify latency (seconds)", yLabel: "s", series: quantiles(METRICS.verifyDuration, ns) },
    { title: "Settle latency (seconds)", yLabel: "s", series: quantiles(METRICS.settleDuration, ns) },
    {
      title: "Settlements by outcome (per minute)",
      yLabel: "settlements/min",
      series: [
        { query: `sum by (outcome, reason) (rate(${METRICS.settlements}${ns}[5m])) * 60` },
        { query: `sum(${METRICS.settlementsInFlight}${ns})`, legend: "in flight" },
      ],
    },
    {
      title: "Signer gas balance (POL)",
      yLabel: "POL",
      series: [{ query: `min by (signer) (${METRICS.signerBalance}${ns}) / 1e18` }],
      threshold: { value: Number(t.minSignerBalancePol), label: "alert threshold" },
    },
    {
      title: "Ready pods and healthy dependencies",
      yLabel: "pods",
      series: [
        { query: `sum(${METRICS.ready}${ns})`, legend: "ready" },
        { query: `min(${METRICS.dependenciesHealthy}${ns})`, legend: "dependencies healthy" },
      ],
    },
  ];
  const width = 24;
  const height = 16;
  const tiles = charts.map((chart, i) => ({
    // Cloud Monitoring returns a dashboard without zero-valued fields (proto3 JSON), so a tile sent
    // with xPos: 0 reads back without it and every preview shows a diff: send only what it returns.
    ...nonZero("xPos", (i % 2) * width),
    ...nonZero("yPos", Math.floor(i / 2) * height),
    width,
    height,
    widget: {
      title: chart.title,
      xyChart: {
        chartOptions: { mode: "COLOR" },
        dataSets: chart.series.map((s) => ({
          plotType: "LINE",
          targetAxis: "Y1",
          timeSeriesQuery: { prometheusQuery: s.query },
          ...(s.legend ? { legendTemplate: s.legend } : {}),
        })),
        ...(chart.threshold
          ? {
              thresholds: [
                {
                  label: chart.threshold.label,
                  value: chart.threshold.value,
                  color: "RED",
                  direction: "BELOW",
                  targetAxis: "Y1",
                },
              ],
            }
          : {}),
        yAxis: { label: chart.yLabel, scale: "LINEAR" },
      },
    },
  }));
  return sortedJson({
    displayName: `Facilitator (${stack})`,
    labels: { facilitator: "", [`stack-${stack}`]: "" },
    mosaicLayout: { columns: 48, tiles },
  });
}
