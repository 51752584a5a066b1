// Who may read or push the facilitator's images, granted member by member on the repository.
//
// Non-authoritative on purpose: two stacks grant roles on one repository (staging owns it and
// pushes; prod's identities and nodes read it). An authoritative binding in one stack would have to
// name the other stack's service accounts, which do not exist on a fresh setup (IAM refuses a
// policy naming a missing service account: "Service account ... does not exist", 400) and which
// that stack's destroy would leave dangling. Each stack grants only the principals it creates or
// that exist before any stack (the clusters' node service accounts).
// https://cloud.google.com/iam/docs/troubleshooting-access#service-account-not-found
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export const REGISTRY_READER = "roles/artifactregistry.reader" as const;
export const REGISTRY_WRITER = "roles/artifactregistry.writer" as const;

export interface RegistryGrant {
  /** Stable resource-name suffix (the member is often an Output, unknown at name time). */
  id: string;
  role: typeof REGISTRY_READER | typeof REGISTRY_WRITER;
  member: pulumi.Input<string>;
}

export interface RegistryAccessArgs {
  project: pulumi.Input<string>;
  location: pulumi.Input<string>;
  repositoryId: pulumi.Input<string>;
  grants: RegistryGrant[];
}

/** Grants for members named in config: the id is derived from the role and the member itself. */
export function configuredGrants(role: RegistryGrant["role"], members: readonly string[]): RegistryGrant[] {
  const verb = role === REGISTRY_WRITER ? "writer" : "reader";
  return [...new Set(members)].sort().map((member) => ({ id: `${verb}-${slug(member)}`, role, member }));
}

/** `serviceAccount:gke-nodes@p.iam.gserviceaccount.com` → `gke-nodes-p` (a readable, unique-enough name). */
function slug(member: string): string {
  const principal = member.replace(/^[a-zA-Z]+:/, "").replace(/\.iam\.gserviceaccount\.com$/, "");
  return principal
    .replace(/[^a-zA-Z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
}

export class RegistryAccess extends pulumi.ComponentResource {
  constructor(name: string, args: RegistryAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:RegistryAccess", name, {}, opts);
    const ids = args.grants.map((g) => g.id);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate)
      throw new Error(`RegistryAccess: grant id "${duplicate}" is used twice; each member needs its own id`);
    for (const grant of args.grants) {
      new gcp.artifactregistry.RepositoryIamMember(
        `${name}-${grant.id}`,
        {
          project: args.project,
          location: args.location,
          repository: args.repositoryId,
          role: grant.role,
          member: grant.member,
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
