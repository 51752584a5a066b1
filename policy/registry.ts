// Artifact Registry Docker repositories have immutable tags, so a released tag can never be
// re-pointed at other bits (docs/architecture.md, release flow step 2).
import * as gcp from "@pulumi/gcp";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";

export const registryImmutableTags: ResourceValidationPolicy = {
  name: "registry-immutable-tags",
  description: "Artifact Registry Docker repositories are created with dockerConfig.immutableTags: true.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: validateResourceOfType(gcp.artifactregistry.Repository, (repository, _args, reportViolation) => {
    const isDocker = repository.format?.toUpperCase() === "DOCKER";
    // Remote and virtual repositories hold no pushed tags of their own.
    const isStandard = (repository.mode ?? "STANDARD_REPOSITORY") === "STANDARD_REPOSITORY";
    if (isDocker && isStandard && repository.dockerConfig?.immutableTags !== true) {
      reportViolation(
        `Docker repository "${repository.repositoryId}" has mutable tags: set dockerConfig: { immutableTags: true }.`,
      );
    }
  }),
};
