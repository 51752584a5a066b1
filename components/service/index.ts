// What the facilitator service guarantees the deployment (contract.ts, from its contract.json).
export {
  FACILITATOR_PORT,
  SERVICE_ENV,
  SERVICE_METRICS,
  SERVICE_PATHS,
  SHUTDOWN_EXIT_MARGIN_MS,
  SHUTDOWN_GRACE_MS,
} from "./contract";
