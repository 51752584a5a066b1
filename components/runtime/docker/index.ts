// facilitator:target docker: one hardened container on a Docker host, and the engine's provider.
export { DockerDeployment, dockerProvider } from "./dockerDeployment";
export type { DockerDeploymentArgs, DockerHostArgs } from "./dockerDeployment";
