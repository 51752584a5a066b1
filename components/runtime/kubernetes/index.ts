// facilitator:target kubernetes: the cluster provider, the hardened Deployment with its Service and
// NetworkPolicy, and the public HTTPS endpoint in front of it.
export { kubernetesProvider } from "./cluster";
export type { ClusterArgs } from "./cluster";
export { FacilitatorDeployment } from "./deployment";
export type { FacilitatorDeploymentArgs } from "./deployment";
export { PublicEndpoint } from "./publicEndpoint";
export type { PublicEndpointArgs } from "./publicEndpoint";
export { GOOGLE_LB_SOURCE_RANGES } from "./publicEndpointPlan";
export type { DnsRecord, GatewayEndpoint, IngressEndpoint, PublicEndpointConfig } from "./publicEndpointPlan";
