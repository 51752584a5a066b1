// In production a single pod is a single point of failure: a node drain or a rollout would
// take the facilitator down. Prod workloads run ≥ 2 replicas behind a PodDisruptionBudget.
import * as k8s from "@pulumi/kubernetes";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { resourcesOfType, stackOfUrn, type ResourceClass } from "./resources";
import type { ObjectMeta } from "./workloads";

/** Stack names treated as production. */
export const PRODUCTION_STACKS = ["prod", "production"];
export const MIN_PROD_REPLICAS = 2;

type Pdb = Unwrap<k8s.policy.v1.PodDisruptionBudgetArgs>;
interface Workload {
  metadata?: ObjectMeta;
  spec?: { replicas?: number; template?: { metadata?: ObjectMeta } };
}

/** Whether a PDB selects pods with these labels (matchLabels only; an empty selector selects all). */
function selects(pdb: Pdb, labels: Record<string, string>): boolean {
  const matchLabels = pdb.spec?.selector?.matchLabels ?? {};
  return Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
}

function percent(value: string): number | undefined {
  const match = /^(\d+)%$/.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** Whether a PDB keeps at least one of `replicas` pods up during voluntary disruptions. */
export function protectsPods(pdb: Pdb, replicas: number): boolean {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (minAvailable !== undefined) {
    return typeof minAvailable === "number" ? minAvailable >= 1 : (percent(minAvailable) ?? 0) > 0;
  }
  if (maxUnavailable !== undefined) {
    return typeof maxUnavailable === "number" ? maxUnavailable < replicas : (percent(maxUnavailable) ?? 100) < 100;
  }
  return false;
}

/** What a production workload lacks, given the stack's PDBs. */
export function availabilityProblems(workload: Workload, pdbs: Pdb[]): string[] {
  const problems: string[] = [];
  const replicas = workload.spec?.replicas ?? 1;
  if (replicas < MIN_PROD_REPLICAS)
    problems.push(`runs ${replicas} replica(s) (set facilitator:replicas to at least ${MIN_PROD_REPLICAS})`);
  const namespace = workload.metadata?.namespace;
  const labels = workload.spec?.template?.metadata?.labels ?? {};
  const covering = pdbs.filter((pdb) => pdb.metadata?.namespace === namespace && selects(pdb, labels));
  if (covering.length === 0) {
    problems.push(
      "has no PodDisruptionBudget selecting its pods (add one with minAvailable: 1 and the pod labels as selector)",
    );
  } else if (!covering.some((pdb) => protectsPods(pdb, replicas))) {
    problems.push("has a PodDisruptionBudget that allows every pod to be evicted (set minAvailable: 1)");
  }
  return problems;
}

const workloadKinds: ResourceClass[] = [k8s.apps.v1.Deployment, k8s.apps.v1.StatefulSet];

export const prodAvailability: StackValidationPolicy = {
  name: "prod-availability",
  description: `In the ${PRODUCTION_STACKS.join("/")} stack, Deployments and StatefulSets run at least ${MIN_PROD_REPLICAS} replicas and a PodDisruptionBudget covers them.`,
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, reportViolation) => {
    const isProd = (r: PolicyResource) => PRODUCTION_STACKS.includes(stackOfUrn(r.urn));
    const pdbs = resourcesOfType<Pdb>(args.resources, k8s.policy.v1.PodDisruptionBudget).map((p) => p.props);
    for (const kind of workloadKinds) {
      for (const { resource, props } of resourcesOfType<Workload>(args.resources.filter(isProd), kind)) {
        for (const problem of availabilityProblems(props, pdbs))
          reportViolation(`${resource.name} ${problem}.`, resource.urn);
      }
    }
  },
};
