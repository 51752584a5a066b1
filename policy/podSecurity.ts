// The pod security settings of docs/architecture.md ("Security model"): the Kubernetes "restricted"
// Pod Security Standard plus a fixed non-root uid and no service-account token.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  containersOf,
  dockerContainerOf,
  podSpecOf,
  type Container,
  type DockerContainer,
  type PodSpec,
} from "./workloads";

/** The uid of the distroless `nonroot` user the image runs as. */
export const NONROOT_UID = 65532;

type SecurityContext = NonNullable<Container["securityContext"]>;

/** Every hardening setting a pod or one of its containers is missing, as "what (fix)" lines. */
export function podHardeningProblems(spec: PodSpec): string[] {
  const problems: string[] = [];
  if (spec.automountServiceAccountToken !== false) {
    problems.push("pod mounts a service-account token (set automountServiceAccountToken: false)");
  }
  for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
    if (spec[field] === true) problems.push(`pod shares the node's namespace (remove ${field}: true)`);
  }
  const pod = spec.securityContext ?? {};
  for (const { label, container } of containersOf(spec)) {
    const own: SecurityContext = container.securityContext ?? {};
    // A container-level setting overrides the pod-level one.
    const runAsNonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
    const runAsUser = own.runAsUser ?? pod.runAsUser;
    const runAsGroup = own.runAsGroup ?? pod.runAsGroup;
    const seccomp = own.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (runAsNonRoot !== true) problems.push(`${label} may run as root (set securityContext.runAsNonRoot: true)`);
    if (runAsUser !== NONROOT_UID) {
      problems.push(
        `${label} runs as uid ${runAsUser ?? "from the image"} (set securityContext.runAsUser: ${NONROOT_UID})`,
      );
    }
    if (runAsGroup === 0) problems.push(`${label} runs with gid 0 (set securityContext.runAsGroup: ${NONROOT_UID})`);
    if (seccomp !== "RuntimeDefault") {
      problems.push(
        `${label} has seccomp profile ${seccomp ?? "unset"} (set securityContext.seccompProfile.type: RuntimeDefault)`,
      );
    }
    if (own.readOnlyRootFilesystem !== true) {
      problems.push(
        `${label} has a writable root filesystem (set securityContext.readOnlyRootFilesystem: true; mount an emptyDir for scratch space)`,
      );
    }
    if (own.allowPrivilegeEscalation !== false) {
      problems.push(`${label} allows privilege escalation (set securityContext.allowPrivilegeEscalation: false)`);
    }
    if (own.privileged === true) problems.push(`${label} is privileged (remove securityContext.privileged)`);
    if (!(own.capabilities?.drop ?? []).includes("ALL")) {
      problems.push(`${label} keeps Linux capabilities (set securityContext.capabilities.drop: ["ALL"])`);
    }
    const added = own.capabilities?.add ?? [];
    if (added.length > 0)
      problems.push(`${label} adds capabilities ${added.join(", ")} (remove securityContext.capabilities.add)`);
  }
  return problems;
}

export const podHardening: ResourceValidationPolicy = {
  name: "pod-hardening",
  description: `Pods run as uid ${NONROOT_UID}, non-root, read-only root fs, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, no service-account token.`,
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    const podSpec = podSpecOf(args);
    if (podSpec) podHardeningProblems(podSpec).forEach((problem) => reportViolation(`${problem}.`));
  },
};

/** The same settings for a `@pulumi/docker` Container, in Docker's vocabulary. */
export function dockerHardeningProblems(container: DockerContainer): string[] {
  const problems: string[] = [];
  const [uid, gid] = (container.user ?? "").split(":");
  if (uid !== String(NONROOT_UID))
    problems.push(`runs as user ${container.user ?? "from the image"} (set user: "${NONROOT_UID}:${NONROOT_UID}")`);
  if (gid === "0") problems.push(`runs with gid 0 (set user: "${NONROOT_UID}:${NONROOT_UID}")`);
  if (container.readOnly !== true)
    problems.push("has a writable root filesystem (set readOnly: true; use tmpfs for scratch space)");
  if (container.privileged === true) problems.push("is privileged (remove privileged: true)");
  if (!(container.capabilities?.drops ?? []).includes("ALL"))
    problems.push('keeps Linux capabilities (set capabilities.drops: ["ALL"])');
  const added = container.capabilities?.adds ?? [];
  if (added.length > 0) problems.push(`adds capabilities ${added.join(", ")} (remove capabilities.adds)`);
  const opts = container.securityOpts ?? [];
  if (!opts.some((opt) => /^no-new-privileges([:=]true)?$/.test(opt))) {
    problems.push('allows privilege escalation (add "no-new-privileges:true" to securityOpts)');
  }
  if (opts.some((opt) => /^seccomp[:=]unconfined$/.test(opt)))
    problems.push("disables seccomp (remove seccomp=unconfined from securityOpts)");
  return problems;
}

export const dockerContainerHardening: ResourceValidationPolicy = {
  name: "docker-container-hardening",
  description: `Docker containers run as uid ${NONROOT_UID}, read-only, unprivileged, with all capabilities dropped, no-new-privileges and seccomp on.`,
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    const container = dockerContainerOf(args);
    if (container)
      dockerHardeningProblems(container).forEach((problem) => reportViolation(`docker container ${problem}.`));
  },
};
