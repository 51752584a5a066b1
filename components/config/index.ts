// The stack config: every `facilitator:*` key read once, validated and typed (config.ts), through a
// reader that reports every problem with its fix (configReader.ts).
export { CONFIG_NAMESPACE, DEPLOY_TARGETS, PROMOTE_ONLY_STACKS, loadConfig, parseConfig } from "./config";
export type {
  AppConfig,
  ContainerResources,
  DeliveryConfig,
  DeployTarget,
  DockerConfig,
  FacilitatorConfig,
  ImageConfig,
  KubernetesConfig,
  MonitoringConfig,
  RegistryConfig,
} from "./config";
export { ConfigError } from "./configReader";
export type { RawConfig } from "./configReader";
