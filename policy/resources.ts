// Small helpers for stack policies, which look at all of a stack's resources at once.
import type { PolicyResource } from "@pulumi/policy";

/** A provider SDK resource class, e.g. `k8s.apps.v1.Deployment`. */
export type ResourceClass = Parameters<PolicyResource["isType"]>[0];

/** The resources of one type with their inputs typed as that type's (unwrapped) args. */
export function resourcesOfType<TProps>(
  resources: PolicyResource[],
  kind: ResourceClass,
): { resource: PolicyResource; props: TProps }[] {
  return resources.filter((r) => r.isType(kind)).map((resource) => ({ resource, props: resource.props as TProps }));
}

/** Stack name from a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOfUrn(urn: string): string {
  return urn.split("::")[0]?.split(":")[2] ?? "";
}
