// Prometheus metrics (prom-client), named in contract.json, which the monitoring component's alerts
// and dashboard read too. One registry per app, so several in-process instances (tests) never share counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { METRIC_NAMES } from "../contract.js";

export interface DependencySample {
  readonly healthy: boolean;
  readonly balances: readonly { signer: string; wei: bigint }[];
}

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: METRIC_NAMES.httpRequests,
    help: "HTTP responses by route pattern, method and status code",
    labelNames: ["route", "method", "status"] as const,
    registers: [this.registry],
  });

  readonly verifyDuration = new Histogram({
    name: METRIC_NAMES.verifyDuration,
    help: "Time to handle POST /verify",
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly settleDuration = new Histogram({
    name: METRIC_NAMES.settleDuration,
    help: "Time to handle POST /settle, including waiting for the receipt",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
    registers: [this.registry],
  });

  readonly settlements = new Counter({
    name: METRIC_NAMES.settlements,
    help: "POST /settle outcomes: success, failure, invalid, duplicate, pending, simulated; reason is the errorReason code",
    labelNames: ["outcome", "reason"] as const,
    registers: [this.registry],
  });

  /**
   * `sample` runs on each scrape (the caller caches it), so the gauges are never older than the scrape;
   * `ready` is this process's readiness; `inFlight` counts settlements broadcast and not yet final.
   */
  constructor(sample: () => Promise<DependencySample>, ready: () => boolean, inFlight: () => number) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: METRIC_NAMES.settlementsInFlight,
      help: "Settlements submitted (broadcast) and not yet final",
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    new Gauge({
      name: METRIC_NAMES.signerBalance,
      help: "Native (POL) balance of each signer, in wei",
      labelNames: ["signer"] as const,
      registers: [this.registry],
      async collect() {
        const { balances } = await sample();
        for (const { signer, wei } of balances) this.set({ signer }, Number(wei));
      },
    });
    new Gauge({
      name: METRIC_NAMES.ready,
      help: "1 when /readyz answers 200 (this process is started and not draining), else 0",
      registers: [this.registry],
      collect() {
        this.set(ready() ? 1 : 0);
      },
    });
    new Gauge({
      name: METRIC_NAMES.dependenciesHealthy,
      help: "1 when the shared dependencies are healthy (RPC reachable, chain id 80002, signers funded; GET /status), else 0",
      registers: [this.registry],
      async collect() {
        this.set((await sample()).healthy ? 1 : 0);
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
