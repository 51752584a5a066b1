// Where the facilitator runs: on Kubernetes (kubernetes/) or in one container on a Docker host
// (docker/). Both targets give the service the same environment (facilitatorEnv.ts) and mark an
// allowed open settlement for the policy pack (openSettlement.ts).
export { plainEnv, secretEnv } from "./facilitatorEnv";
export type { FacilitatorEnvArgs } from "./facilitatorEnv";
export {
  OPEN_SETTLEMENT_ALLOWED,
  OPEN_SETTLEMENT_ANNOTATION,
  OPEN_SETTLEMENT_LABEL,
  SECRET_ENV_LABEL,
  markOpenSettlementAllowed,
} from "./openSettlement";
export { FacilitatorDeployment, GOOGLE_LB_SOURCE_RANGES, PublicEndpoint, kubernetesProvider } from "./kubernetes";
export type {
  ClusterArgs,
  DnsRecord,
  FacilitatorDeploymentArgs,
  GatewayEndpoint,
  IngressEndpoint,
  PublicEndpointArgs,
  PublicEndpointConfig,
} from "./kubernetes";
export { DockerDeployment, dockerProvider } from "./docker";
export type { DockerDeploymentArgs, DockerHostArgs } from "./docker";
