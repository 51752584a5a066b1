// The facts the Pulumi program relies on (port, paths, shutdown timing, metric and env names),
// defined once in contract.json, which the program imports too.
import contract from "./contract.json" with { type: "json" };

export const SERVICE_PORT: number = contract.port;
export const PATHS = contract.paths;
export const SHUTDOWN = contract.shutdown;
export const METRIC_NAMES = contract.metrics;
export const ENV_NAMES = contract.env;
