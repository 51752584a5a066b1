// The Artifact Registry repository the images live in, and who may read or push them.
export { Registry } from "./registry";
export type { RegistryArgs } from "./registry";
export { REGISTRY_READER, REGISTRY_WRITER, RegistryAccess, configuredGrants } from "./registryAccess";
export type { RegistryAccessArgs, RegistryGrant } from "./registryAccess";
