import { describe, expect, it } from "vitest";
import {
  alertRules,
  dashboardJson,
  METRICS,
  polToWei,
  sortedJson,
  type AlertThresholds,
} from "../../../components/monitoring/monitoringQueries";

const thresholds: AlertThresholds = { errorRatio: 0.05, settleFailures: 3, minSignerBalancePol: "0.5" };

describe("polToWei", () => {
  it.each([
    ["0.5", "500000000000000000"],
    ["1", "1000000000000000000"],
    ["12.000000000000000001", "12000000000000000001"],
    [" 0.05 ", "50000000000000000"],
  ])("%s POL is %s wei", (pol, wei) => {
    expect(polToWei(pol)).toBe(wei);
  });

  it.each(["-1", "1e18", "0.0000000000000000001", "", "one"])("rejects %j with the fix", (pol) => {
    expect(() => polToWei(pol)).toThrow(/is not an amount of POL: use a decimal number like 0\.5/);
  });
});

describe("alert rules", () => {
  const rules = alertRules(
    {
      namespace: "facilitator-prod",
      podSelector: { "app.kubernetes.io/name": "x402-facilitator", "app.kubernetes.io/instance": "prod" },
      replicas: 2,
    },
    thresholds,
  );

  it("are the five signals, each scoped to the stack's namespace", () => {
    expect(rules.map((r) => r.id)).toEqual([
      "http-5xx-ratio",
      "settle-failures",
      "readiness",
      "dependencies",
      "signer-balance",
    ]);
    for (const rule of rules) expect(rule.query).toContain('namespace="facilitator-prod"');
  });

  it("put the thresholds into the PromQL", () => {
    const [errors, settles, readiness, dependencies, balance] = rules;
    expect(errors?.query).toBe(
      `sum(rate(${METRICS.httpRequests}{namespace="facilitator-prod",status=~"5.."}[5m])) / sum(rate(${METRICS.httpRequests}{namespace="facilitator-prod"}[5m])) > 0.05`,
    );
    expect(errors?.title).toBe("5xx responses above 5%");
    expect(settles?.query).toBe(
      `sum(increase(${METRICS.settlements}{namespace="facilitator-prod",outcome="failure"}[15m])) > 3`,
    );
    expect(readiness?.query).toBe(`(count(${METRICS.ready}{namespace="facilitator-prod"} == 1) or vector(0)) < 2`);
    // Shared dependencies are one signal for the stack, not a readiness matter (pods stay ready and answer 503).
    expect(dependencies?.query).toBe(
      `(min(${METRICS.dependenciesHealthy}{namespace="facilitator-prod"}) or vector(0)) < 1`,
    );
    expect(dependencies?.runbook).toContain("/status");
    expect(balance?.query).toBe(
      `min by (signer) (${METRICS.signerBalance}{namespace="facilitator-prod"}) < 500000000000000000`,
    );
  });

  it("carry a runbook that tells the on-call where to look", () => {
    for (const rule of rules) expect(rule.runbook).toMatch(/facilitator-prod/);
    // The kubectl commands select the stack's pods by their real labels.
    expect(rules[0]?.runbook).toContain(
      "kubectl logs -n facilitator-prod -l app.kubernetes.io/name=x402-facilitator,app.kubernetes.io/instance=prod",
    );
  });
});

describe("dashboard JSON", () => {
  const json = dashboardJson("prod", "facilitator-prod", thresholds);
  const dashboard = JSON.parse(json) as {
    displayName: string;
    mosaicLayout: {
      columns: number;
      tiles: {
        xPos?: number;
        yPos?: number;
        width: number;
        widget: {
          title: string;
          xyChart: { dataSets: { timeSeriesQuery: { prometheusQuery: string } }[]; thresholds?: { value: number }[] };
        };
      }[];
    };
  };
  const byTitle = Object.fromEntries(dashboard.mosaicLayout.tiles.map((t) => [t.widget.title, t.widget.xyChart]));
  const queries = (title: string) => (byTitle[title]?.dataSets ?? []).map((d) => d.timeSeriesQuery.prometheusQuery);

  it("is deterministic: sorted keys, same bytes every run", () => {
    expect(json).toBe(sortedJson(JSON.parse(json)));
    expect(dashboardJson("prod", "facilitator-prod", thresholds)).toBe(json);
    expect(json.indexOf('"displayName"')).toBeLessThan(json.indexOf('"mosaicLayout"'));
  });

  it("shows requests and errors by route, latency, settlements by outcome and the signer balance", () => {
    expect(dashboard.displayName).toBe("Facilitator (prod)");
    expect(queries("Requests by route (per second)")).toEqual([
      `sum by (route) (rate(${METRICS.httpRequests}{namespace="facilitator-prod"}[5m]))`,
    ]);
    expect(queries("Errors by route and status (per second)")[0]).toContain("sum by (route, status)");
    expect(queries("Verify latency (seconds)")).toHaveLength(3);
    expect(queries("Verify latency (seconds)")[1]).toBe(
      `histogram_quantile(0.95, sum by (le) (rate(${METRICS.verifyDuration}_bucket{namespace="facilitator-prod"}[5m])))`,
    );
    expect(queries("Settle latency (seconds)")[2]).toContain(`${METRICS.settleDuration}_bucket`);
    expect(queries("Settlements by outcome (per minute)")[0]).toContain("sum by (outcome, reason)");
    expect(queries("Signer gas balance (POL)")).toEqual([
      `min by (signer) (${METRICS.signerBalance}{namespace="facilitator-prod"}) / 1e18`,
    ]);
    expect(byTitle["Signer gas balance (POL)"]?.thresholds?.[0]?.value).toBe(0.5);
  });

  it("lays tiles out on the 48-column grid without overlap (an absent position is 0)", () => {
    const cells = dashboard.mosaicLayout.tiles.map((t) => `${t.xPos ?? 0},${t.yPos ?? 0}`);
    expect(new Set(cells).size).toBe(cells.length);
    for (const tile of dashboard.mosaicLayout.tiles)
      expect((tile.xPos ?? 0) + tile.width).toBeLessThanOrEqual(dashboard.mosaicLayout.columns);
  });

  // Cloud Monitoring answers with proto3 JSON, which leaves out fields holding their default value
  // (0, false, "", empty lists): a tile sent with xPos: 0 reads back without it, and the provider
  // shows a diff on every preview. Sources: hashicorp/terraform-provider-google#16173,
  // GoogleCloudPlatform/magic-modules#18515; https://protobuf.dev/programming-guides/json/ ("fields
  // with default values are omitted"). Map entries (labels) are not fields and are kept.
  it("is what the API returns, so the next preview after an up is empty", () => {
    expect(sortedJson(apiReadBack(JSON.parse(json)))).toBe(json);
  });
});

/** A dashboard as Cloud Monitoring returns it: proto3 JSON without default-valued fields (labels are a map). */
function apiReadBack(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => apiReadBack(v));
  if (value === null || typeof value !== "object" || key === "labels") return value;
  const kept = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) => v !== 0 && v !== false && v !== "" && !(Array.isArray(v) && v.length === 0),
  );
  return Object.fromEntries(kept.map(([k, v]) => [k, apiReadBack(v, k)]));
}

describe("sortedJson", () => {
  it("sorts keys at every depth and keeps array order", () => {
    expect(sortedJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
});
