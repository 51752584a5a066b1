// Monitoring as the program wires it, per committed stack (Pulumi.<stack>.yaml as written).
import { describe, expect, it } from "vitest";
import { polToWei } from "../../../components/monitoring/monitoringQueries";
import { committedStacks, configOf as at, runCommittedStack as run } from "../../policy/committedStacks";

const MONITORING = "facilitator:index:Monitoring";
const POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring";
const ALERT = "gcp:monitoring/alertPolicy:AlertPolicy";
const DASHBOARD = "gcp:monitoring/dashboard:Dashboard";
const SCRAPE_POLICY = "facilitator-metrics-scrape";

function queryOf(alert: { inputs: Record<string, unknown> }): string {
  const [condition] = alert.inputs["conditions"] as { conditionPrometheusQueryLanguage: { query: string } }[];
  return condition?.conditionPrometheusQueryLanguage.query ?? "";
}

const MONITORED_STACKS = committedStacks().filter((stack) => at(stack, "monitoringEnabled") !== "false");

describe.each(MONITORED_STACKS)("monitoring of stack %s", (stack) => {
  it("scrapes exactly the Deployment's pods, in its namespace, through the stack's cluster", async () => {
    const result = await run(stack);
    const deployment = result.one("kubernetes:apps/v1:Deployment").inputs as {
      metadata: { namespace: string };
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    const scrape = result.one(POD_MONITORING);
    expect(scrape.inputs).toMatchObject({
      metadata: { namespace: deployment.metadata.namespace },
      spec: {
        selector: { matchLabels: deployment.spec.selector.matchLabels },
        endpoints: [{ port: 5401, path: "/metrics" }],
      },
    });
    const component = result.one(MONITORING);
    expect(scrape.parent).toBe(component.urn);
    expect(scrape.provider).toContain("pulumi:providers:kubernetes");
    const netpol = result
      .ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .find((p) => (p.inputs["metadata"] as { name?: string }).name === SCRAPE_POLICY);
    expect((netpol?.inputs["spec"] as { podSelector: unknown }).podSelector).toEqual({
      matchLabels: deployment.spec.selector.matchLabels,
    });
  });

  it("alerts the stack's channels with its own thresholds", async () => {
    const result = await run(stack);
    const alerts = result.ofType(ALERT);
    expect(alerts).toHaveLength(5);
    const channels = JSON.parse(at(stack, "monitoringNotificationChannels")) as string[];
    expect(channels.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      expect(alert.inputs["notificationChannels"]).toEqual(channels);
      expect(alert.parent).toBe(result.one(MONITORING).urn);
      expect(queryOf(alert)).toContain(`namespace="${at(stack, "namespace")}"`);
    }
    const balance = alerts.find((a) => a.name.endsWith("signer-balance"));
    expect(queryOf(balance!)).toMatch(new RegExp(`< ${polToWei(at(stack, "monitoringMinSignerBalance"))}$`));
    const readiness = alerts.find((a) => a.name.endsWith("readiness"));
    expect(queryOf(readiness!)).toMatch(new RegExp(`< ${at(stack, "replicas")}$`));
    expect(result.one(DASHBOARD).inputs["dashboardJson"]).toContain(`Facilitator (${stack})`);
  });

  it("is gone when facilitator:monitoringEnabled is false, and nothing else changes", async () => {
    const on = await run(stack);
    const off = await run(stack, { monitoringEnabled: "false", monitoringNotificationChannels: "[]" });
    for (const type of [MONITORING, POD_MONITORING, ALERT, DASHBOARD]) expect(off.ofType(type)).toEqual([]);
    const monitoringUrn = on.one(MONITORING).urn;
    const withoutMonitoring = on.resources.filter((r) => r.urn !== monitoringUrn && r.parent !== monitoringUrn);
    expect(off.resources.map((r) => r.urn).sort()).toEqual(withoutMonitoring.map((r) => r.urn).sort());
  });
});

describe("monitoring config", () => {
  it("is on in the committed staging and prod stacks", () => {
    expect(MONITORED_STACKS).toEqual(expect.arrayContaining(["prod", "staging"]));
  });

  it("refuses monitoring without a notification channel, with both fixes", async () => {
    await expect(run("prod", { monitoringNotificationChannels: "[]" })).rejects.toThrow(
      /facilitator:monitoringEnabled: expected false, or at least one notification channel; .*--path 'facilitator:monitoringNotificationChannels\[0\]'.*Fix: pulumi config set --stack prod facilitator:monitoringEnabled false/,
    );
  });

  it("refuses a balance alert at or below the service's own floor, accepts one above it", async () => {
    await expect(run("prod", { minSignerBalanceWei: "1000000000000000000" })).rejects.toThrow(
      /facilitator:monitoringMinSignerBalance: expected more POL than the service's floor facilitator:minSignerBalanceWei \(1000000000000000000 wei\); got 1, so the low-balance warning would only come after the dependencies alert/,
    );
    const above = await run("prod", { minSignerBalanceWei: "10000000000000000" });
    expect(above.ofType(ALERT)).toHaveLength(5);
  });

  it("refuses a malformed threshold, naming the key and the fix", async () => {
    await expect(run("staging", { monitoringErrorRatio: "5%", monitoringMinSignerBalance: "lots" })).rejects.toThrow(
      /facilitator:monitoringErrorRatio: expected a fraction between 0 and 1.*Fix: pulumi config set --stack staging facilitator:monitoringErrorRatio 0\.05[\s\S]*facilitator:monitoringMinSignerBalance: expected an amount of POL/,
    );
  });
});
