// Monitoring on Google Cloud: the Monitoring component (monitoring.ts) and the alert queries and
// dashboard it is built from (monitoringQueries.ts).
export { Monitoring } from "./monitoring";
export type { MonitoringArgs } from "./monitoring";
export { polToWei } from "./monitoringQueries";
export type { AlertThresholds } from "./monitoringQueries";
