// The Kubernetes provider every workload of the stack uses: the ambient kubeconfig (and its
// current context) unless the stack config holds a kubeconfig secret and/or a context name.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface ClusterArgs {
  /** Kubeconfig contents (secret); unset: the ambient kubeconfig. */
  kubeconfig?: pulumi.Input<string>;
  /** Context inside the kubeconfig; unset: its current context. */
  context?: string;
}

export function kubernetesProvider(
  name: string,
  cluster: ClusterArgs,
  opts?: pulumi.CustomResourceOptions,
): k8s.Provider {
  return new k8s.Provider(
    name,
    {
      ...(cluster.kubeconfig !== undefined ? { kubeconfig: cluster.kubeconfig } : {}),
      ...(cluster.context !== undefined ? { context: cluster.context } : {}),
    },
    opts,
  );
}
