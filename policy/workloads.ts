// Where the things the policies inspect live inside each resource type's inputs.
// Policies see plain (unwrapped) resource inputs; these helpers give them names and types
// from the real provider SDKs, so a policy reads `podSpec.containers`, not `props.spec.template…`.
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import type { ResourceValidationArgs } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import type { ResourceClass } from "./resources";

export type PodSpec = Unwrap<k8s.types.input.core.v1.PodSpec>;
export type Container = Unwrap<k8s.types.input.core.v1.Container>;
export type ObjectMeta = Unwrap<k8s.types.input.meta.v1.ObjectMeta>;
export type DockerContainer = Unwrap<docker.ContainerArgs>;

/** What both resource and stack policies can tell about a resource. */
export interface TypedResource {
  isType: ResourceValidationArgs["isType"];
  props: Record<string, unknown>;
}

/** Workload kinds whose pod template sits at `spec.template`. */
const templatedWorkloads: ResourceClass[] = [
  k8s.apps.v1.Deployment,
  k8s.apps.v1.StatefulSet,
  k8s.apps.v1.DaemonSet,
  k8s.apps.v1.ReplicaSet,
  k8s.batch.v1.Job,
];

interface Templated {
  spec?: { template?: { spec?: PodSpec } };
}

/** The pod spec a Kubernetes workload runs, or undefined for anything that runs no pods. */
export function podSpecOf(resource: TypedResource): PodSpec | undefined {
  if (resource.isType(k8s.core.v1.Pod)) {
    return (resource.props as Unwrap<k8s.core.v1.PodArgs>).spec;
  }
  if (resource.isType(k8s.batch.v1.CronJob)) {
    return (resource.props as Unwrap<k8s.batch.v1.CronJobArgs>).spec?.jobTemplate?.spec?.template?.spec;
  }
  if (templatedWorkloads.some((kind) => resource.isType(kind))) {
    return (resource.props as Templated).spec?.template?.spec;
  }
  return undefined;
}

export interface NamedContainer {
  /** e.g. `container "facilitator"` or `initContainer "migrate"`, for messages. */
  label: string;
  container: Container;
}

/** Every container a pod runs: regular, init and ephemeral. */
export function containersOf(spec: PodSpec): NamedContainer[] {
  const groups: [string, Container[] | undefined][] = [
    ["container", spec.containers],
    ["initContainer", spec.initContainers],
    ["ephemeralContainer", spec.ephemeralContainers as Container[] | undefined],
  ];
  return groups.flatMap(([kind, list]) =>
    (list ?? []).map((container) => ({ label: `${kind} "${container.name}"`, container })),
  );
}

/** The props of a `@pulumi/docker` Container, else undefined. */
export function dockerContainerOf(resource: TypedResource): DockerContainer | undefined {
  return resource.isType(docker.Container) ? (resource.props as DockerContainer) : undefined;
}
