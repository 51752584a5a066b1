// facilitator:allowOpenSettlement, made visible on the workload: the policy pack sees resources, not
// stack config (policy/openSettlement.ts reads these markers).
import * as pulumi from "@pulumi/pulumi";

/** Annotation on the Kubernetes Deployment, and label on the docker container. */
export const OPEN_SETTLEMENT_ANNOTATION = "x402.facilitator/open-settlement";
export const OPEN_SETTLEMENT_LABEL = "x402.facilitator.open-settlement";
export const OPEN_SETTLEMENT_ALLOWED = "allowed";
/** Docker label naming the secret env entries (names only): the policy pack cannot read the env file. */
export const SECRET_ENV_LABEL = "x402.facilitator.secret-env";

type Metadata = { annotations?: Record<string, string> } & Record<string, unknown>;

/**
 * Annotates every Deployment of the component it is set on. Only the Deployment's own metadata
 * changes, not the pod template, so setting or clearing the allowance does not restart pods.
 */
export const markOpenSettlementAllowed: pulumi.ResourceTransformation = ({ type, props, opts }) => {
  if (type !== "kubernetes:apps/v1:Deployment") return undefined;
  const metadata = pulumi.output((props["metadata"] ?? {}) as pulumi.Input<Metadata>).apply((m) => ({
    ...m,
    annotations: { ...(m.annotations ?? {}), [OPEN_SETTLEMENT_ANNOTATION]: OPEN_SETTLEMENT_ALLOWED },
  }));
  return { props: { ...props, metadata }, opts };
};
