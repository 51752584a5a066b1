import { describe, expect, it } from "vitest";
import { dockerContainerHardening, podHardening } from "../../policy/podSecurity";
import { runPolicies } from "../../policy/run";
import type { PodSpec } from "../../policy/workloads";
import { deployment, dockerContainer, main, resource } from "./fixtures";

async function podProblems(edit: (pod: PodSpec) => void): Promise<string[]> {
  return (await runPolicies([podHardening], [deployment(edit)])).map((v) => v.message);
}

describe("pod-hardening", () => {
  it("passes the hardened pod of the security model (docs/architecture.md)", async () => {
    expect(await podProblems(() => {})).toEqual([]);
  });

  it.each<[string, (pod: PodSpec) => void, RegExp]>([
    [
      "runAsNonRoot off",
      (pod) => (pod.securityContext = { ...pod.securityContext, runAsNonRoot: false }),
      /may run as root/,
    ],
    [
      "another uid",
      (pod) => (pod.securityContext = { ...pod.securityContext, runAsUser: 1000 }),
      /runs as uid 1000 .*runAsUser: 65532/,
    ],
    ["gid 0", (pod) => (pod.securityContext = { ...pod.securityContext, runAsGroup: 0 }), /runs with gid 0/],
    [
      "a writable root filesystem",
      (pod) => (main(pod).securityContext = { ...main(pod).securityContext, readOnlyRootFilesystem: false }),
      /writable root filesystem/,
    ],
    [
      "privilege escalation",
      (pod) => delete main(pod).securityContext?.allowPrivilegeEscalation,
      /allows privilege escalation/,
    ],
    [
      "kept capabilities",
      (pod) => (main(pod).securityContext = { ...main(pod).securityContext, capabilities: { drop: ["NET_RAW"] } }),
      /keeps Linux capabilities/,
    ],
    [
      "added capabilities",
      (pod) =>
        (main(pod).securityContext = {
          ...main(pod).securityContext,
          capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] },
        }),
      /adds capabilities NET_ADMIN/,
    ],
    [
      "a privileged container",
      (pod) => (main(pod).securityContext = { ...main(pod).securityContext, privileged: true }),
      /is privileged/,
    ],
    [
      "no seccomp profile",
      (pod) => delete pod.securityContext?.seccompProfile,
      /seccomp profile unset .*RuntimeDefault/,
    ],
    [
      "an Unconfined seccomp profile",
      (pod) => (main(pod).securityContext = { ...main(pod).securityContext, seccompProfile: { type: "Unconfined" } }),
      /seccomp profile Unconfined/,
    ],
    [
      "a mounted service-account token",
      (pod) => delete pod.automountServiceAccountToken,
      /automountServiceAccountToken: false/,
    ],
    ["the host network", (pod) => (pod.hostNetwork = true), /hostNetwork/],
  ])("rejects %s with exactly one violation", async (_what, edit, message) => {
    const problems = await podProblems(edit);
    expect(problems).toEqual([expect.stringMatching(message)]);
  });

  it("rejects a root pod for both its uid and runAsNonRoot", async () => {
    const problems = await podProblems(
      (pod) => (pod.securityContext = { ...pod.securityContext, runAsUser: 0, runAsNonRoot: false }),
    );
    expect(problems).toEqual([expect.stringMatching(/may run as root/), expect.stringMatching(/runs as uid 0/)]);
  });

  it("lets a container-level setting override the pod's", async () => {
    expect(
      await podProblems((pod) => (main(pod).securityContext = { ...main(pod).securityContext, runAsUser: 0 })),
    ).toEqual([expect.stringMatching(/container "facilitator" runs as uid 0/)]);
  });

  it("checks init containers as strictly as the main one (pod-level settings still apply to them)", async () => {
    const problems = await podProblems((pod) => (pod.initContainers = [{ name: "init", image: "x" }]));
    expect(problems).toEqual([
      expect.stringMatching(/^initContainer "init" has a writable root filesystem/),
      expect.stringMatching(/^initContainer "init" allows privilege escalation/),
      expect.stringMatching(/^initContainer "init" keeps Linux capabilities/),
    ]);
  });

  it("covers bare Pods and StatefulSets", async () => {
    const bare = resource("kubernetes:core/v1:Pod", "debug", { spec: { containers: [{ name: "sh", image: "x" }] } });
    const statefulSet = resource("kubernetes:apps/v1:StatefulSet", "db", {
      spec: { template: { spec: { containers: [{ name: "db", image: "x" }] } } },
    });
    const violations = await runPolicies([podHardening], [bare, statefulSet]);
    expect(new Set(violations.map((v) => v.urn)).size).toBe(2);
  });
});

describe("docker-container-hardening", () => {
  async function dockerProblems(edit: (props: Record<string, unknown>) => void): Promise<string[]> {
    return (await runPolicies([dockerContainerHardening], [dockerContainer(edit)])).map((v) => v.message);
  }

  it("passes a container run as 65532, read-only, caps dropped, no-new-privileges", async () => {
    expect(await dockerProblems(() => {})).toEqual([]);
    expect(await dockerProblems((c) => (c.user = "65532"))).toEqual([]);
  });

  it.each<[string, (props: Record<string, unknown>) => void, RegExp]>([
    ["root", (c) => delete c.user, /runs as user from the image/],
    ["root group", (c) => (c.user = "65532:0"), /runs with gid 0/],
    ["a writable root filesystem", (c) => (c.readOnly = false), /writable root filesystem/],
    ["privileged", (c) => (c.privileged = true), /is privileged/],
    ["kept capabilities", (c) => delete c.capabilities, /keeps Linux capabilities/],
    ["missing no-new-privileges", (c) => (c.securityOpts = []), /no-new-privileges/],
    ["seccomp off", (c) => (c.securityOpts = ["no-new-privileges", "seccomp=unconfined"]), /disables seccomp/],
  ])("rejects %s", async (_what, edit, message) => {
    expect(await dockerProblems(edit)).toEqual([expect.stringMatching(message)]);
  });
});
