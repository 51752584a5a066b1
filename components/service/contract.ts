// What the facilitator service guarantees the deployment, read from the service's own
// src/contract.json (its port, HTTP paths, shutdown timing, metric and env names). The service
// reads the same file, so a renamed metric or path changes both sides at once.
import contract from "../../demo/a2a/facilitator-amoy/src/contract.json";

/** The facilitator listens here (the image's EXPOSE); fixed so probes, Service and policy agree. */
export const FACILITATOR_PORT: number = contract.port;
/**
 * SHUTDOWN_GRACE_MS, set on both targets: after SIGTERM the service finishes in-flight settlements
 * for this long and exits at most SHUTDOWN_EXIT_MARGIN_MS later. The pod's termination grace and the
 * container's stop timeout are sized to cover it (tests check the sums).
 */
export const SHUTDOWN_GRACE_MS = contract.shutdown.graceMs;
/** The service's own margin between the end of the grace period and its forced exit. */
export const SHUTDOWN_EXIT_MARGIN_MS = contract.shutdown.exitMarginMs;
export const SERVICE_PATHS = contract.paths;
export const SERVICE_METRICS = contract.metrics;
export const SERVICE_ENV = contract.env;
