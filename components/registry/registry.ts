// The Artifact Registry repository the facilitator images live in. Owned by the stack that builds
// (staging); other stacks only read it. Tags are immutable, so a release tag can never be re-pointed.
// Who may read or push it is granted separately, by each stack for its own principals (registryAccess.ts).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface RegistryArgs {
  project: pulumi.Input<string>;
  location: pulumi.Input<string>;
  repositoryId: pulumi.Input<string>;
  /** Untagged versions older than this many days are deleted. */
  untaggedRetentionDays: pulumi.Input<number>;
}

/** Cleanup: keep every release (semver-tagged) image; delete untagged versions after `days`. */
export function cleanupPolicies(days: number): gcp.types.input.artifactregistry.RepositoryCleanupPolicy[] {
  return [
    { id: "keep-releases", action: "KEEP", condition: { tagState: "TAGGED", tagPrefixes: ["v"] } },
    { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: `${days * 86400}s` } },
  ];
}

export class Registry extends pulumi.ComponentResource {
  /** projects/<project>/locations/<location>/repositories/<id> */
  public readonly repositoryName: pulumi.Output<string>;
  /** `<location>-docker.pkg.dev/<project>/<id>` */
  public readonly registryUri: pulumi.Output<string>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:Registry", name, {}, opts);

    const repository = new gcp.artifactregistry.Repository(
      name,
      {
        project: args.project,
        location: args.location,
        repositoryId: args.repositoryId,
        format: "DOCKER",
        description: "x402 facilitator images: immutable release tags, deployed by digest",
        dockerConfig: { immutableTags: true },
        cleanupPolicyDryRun: false,
        cleanupPolicies: pulumi.output(args.untaggedRetentionDays).apply(cleanupPolicies),
        // INHERITED = scanned whenever the project's Container Scanning API is on (docs/pulumi.md, "Set up a stack", enables it).
        vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
        labels: { app: "x402-facilitator", "managed-by": "pulumi" },
      },
      // Every release image lives here: deleting it must be a deliberate, separate act.
      { parent: this, protect: true },
    );

    this.repositoryName = repository.name;
    this.registryUri = repository.registryUri;
    this.registerOutputs({ repositoryName: this.repositoryName, registryUri: this.registryUri });
  }
}
