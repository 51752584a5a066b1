// Types of scripts/ciPlan.mjs for the TypeScript tests that import it.

export interface PlannedChange {
  urn: string;
  type: string;
  name: string;
  /** Step operations (apitype.OpType), deduplicated. */
  ops: string[];
}

export interface Scope {
  may: string[];
  except: string[];
}

export interface DeployerGrants {
  projectRoles: string[];
  registryWriter: boolean;
  scopes: (Scope & { role: string })[];
}

export interface StackSettings {
  projectRoles: string[];
  registryWriter: boolean;
  imageRepository: string;
  imageTag: string;
}

export const NO_CHANGE_OPS: readonly string[];
export const ROLE_SCOPES: Readonly<Record<string, Scope>>;
export const REGISTRY_WRITER_SCOPE: Readonly<Scope>;
export const STATE_ONLY_TYPES: readonly string[];

export function parseUrn(urn: string): { type: string; name: string };
export function plannedChanges(document: unknown): PlannedChange[];
export function deployerGrants(args: { projectRoles: readonly string[]; registryWriter: boolean }): DeployerGrants;
export function mayChange(grants: DeployerGrants, change: PlannedChange): boolean;
export function classify(
  changes: readonly PlannedChange[],
  grants: DeployerGrants,
): { inside: PlannedChange[]; outside: PlannedChange[] };
export function neededRights(type: string): string;
export function operatorCommand(stack: string): string;
export function outsideMessage(stack: string, outside: readonly PlannedChange[], grants: DeployerGrants): string;
export function previewNote(stack: string, changes: readonly PlannedChange[], grants: DeployerGrants): string;
export function stackSettings(root: string, stack: string): StackSettings;
