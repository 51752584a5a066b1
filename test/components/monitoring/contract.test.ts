// One contract between the service and the program: every metric an alert or the dashboard
// queries is one the running service exports, and the probe paths the deployment uses answer.
// Runs the real service (TypeScript source) against anvil, makes a verification and a settlement,
// then scrapes /metrics: a renamed metric fails here instead of silently disabling an alert.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  facilitatorBody,
  requirementsV2,
  signPaymentV2,
  startFacilitator,
  startTestChain,
  usdc,
  type FacilitatorProcess,
  type TestChain,
} from "../../../demo/a2a/facilitator-amoy/test/support/index.js";
import { alertRules, dashboardJson, type AlertThresholds } from "../../../components/monitoring/monitoringQueries";
import { SERVICE_PATHS } from "../../../components/service/contract";

const thresholds: AlertThresholds = { errorRatio: 0.05, settleFailures: 3, minSignerBalancePol: "0.5" };
const workload = { namespace: "facilitator-staging", podSelector: { app: "x402-facilitator" }, replicas: 1 };

let chain: TestChain;
let service: FacilitatorProcess;

beforeAll(async () => {
  chain = await startTestChain();
  service = await startFacilitator({ env: chain.facilitatorEnv(), entry: "source", startTimeoutMs: 60_000 });
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await chain?.stop();
});

/** Metric families in Prometheus text format, histogram series folded into their family. */
function exportedFamilies(text: string): Set<string> {
  const names = text
    .split("\n")
    .filter((line) => line.startsWith("# TYPE "))
    .map((line) => line.split(" ")[2]!);
  return new Set(names);
}

/** The facilitator_* metric names a PromQL text refers to, without histogram suffixes. */
function queriedFamilies(promql: string): string[] {
  return [...promql.matchAll(/\bfacilitator_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ""));
}

describe("the service exports what monitoring queries", () => {
  it("after a verification and a settlement, every alert and dashboard metric is on /metrics", async () => {
    const presented = requirementsV2({
      asset: chain.token.address,
      payTo: chain.seller.account.address,
      amount: usdc(1),
    });
    const body = JSON.stringify(facilitatorBody(await signPaymentV2(chain.buyer.account, presented), presented));
    const post = (path: string) =>
      fetch(`${service.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(await (await post(SERVICE_PATHS.verify)).json()).toMatchObject({ isValid: true });
    expect(await (await post(SERVICE_PATHS.settle)).json()).toMatchObject({ success: true });

    const exported = exportedFamilies(await (await fetch(`${service.url}${SERVICE_PATHS.metrics}`)).text());
    const queries = [
      ...alertRules(workload, thresholds).map((r) => r.query),
      dashboardJson("staging", workload.namespace, thresholds),
    ];
    const queried = [...new Set(queries.flatMap(queriedFamilies))].sort();
    expect(queried.length).toBeGreaterThan(5);
    expect(queried.filter((name) => !exported.has(name))).toEqual([]);
  });

  it("the probe paths the deployment uses answer 200", async () => {
    for (const path of [SERVICE_PATHS.live, SERVICE_PATHS.ready])
      expect((await fetch(`${service.url}${path}`)).status, path).toBe(200);
  });
});
