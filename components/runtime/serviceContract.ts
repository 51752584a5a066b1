// What the facilitator service guarantees the deployment, read from the service's own
// src/contract.json (its port, HTTP paths, shutdown timing, metric and env names). The service
// reads the same file, so a renamed metric or path changes both sides at once.
import contract from "../../demo/a2a/facilitator-amoy/src/contract.json";

export const SERVICE_PORT: number = contract.port;
export const SERVICE_PATHS = contract.paths;
export const SERVICE_SHUTDOWN = contract.shutdown;
export const SERVICE_METRICS = contract.metrics;
export const SERVICE_ENV = contract.env;
