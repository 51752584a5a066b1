// Runs the pack's policies over a list of resources in-process, the way the policy server
// would during `pulumi preview`, and returns the violations. Used by the tests (one resource,
// or every resource a stack registers under mocks) without starting the policy server.
import type {
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import type { ResourceClass } from "./resources";

/** A resource as a policy sees it: its type token, name, URN and (unwrapped) inputs. */
export interface ResourceUnderTest {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
}

export interface Violation {
  policy: string;
  message: string;
  /** The URN of the offending resource ("" for a stack-wide violation without one). */
  urn: string;
}

/** Thrown by `args.notApplicable()`, as in the policy server: the policy skips this resource. */
class NotApplicable extends Error {}

/** Same rule as the policy server: the class's `__pulumiType` token, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: ResourceClass): boolean {
  const token: unknown = Reflect.get(resourceClass, "__pulumiType");
  if (typeof token === "string" && token !== "") return token === type;
  const isInstance: unknown = Reflect.get(resourceClass, "isInstance");
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

const defaultOptions: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason);
}

function typed(resource: ResourceUnderTest) {
  const isType = (resourceClass: ResourceClass) => isTypeOf(resource.type, resourceClass);
  const asType = (resourceClass: ResourceClass) => (isType(resourceClass) ? resource.props : undefined);
  return { isType, asType };
}

/** Policy config as `--policy-pack-config` gives it: policy name → its properties. */
export type PolicyPackConfig = Readonly<Record<string, Record<string, unknown>>>;

function resourceArgs(resource: ResourceUnderTest, config: Record<string, unknown>): ResourceValidationArgs {
  const { isType, asType } = typed(resource);
  return {
    ...resource,
    opts: defaultOptions,
    stackTags: new Map(),
    isType,
    asType: asType as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

function stackArgs(resources: ResourceUnderTest[], config: Record<string, unknown>): StackValidationArgs {
  const policyResources: PolicyResource[] = resources.map((resource) => {
    const { isType, asType } = typed(resource);
    return {
      ...resource,
      opts: defaultOptions,
      dependencies: [],
      propertyDependencies: {},
      isType,
      asType: asType as PolicyResource["asType"],
    };
  });
  return {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/** Runs a validation, treating "not applicable" as no finding (any other error propagates). */
async function run(validation: () => Promise<void> | void): Promise<void> {
  try {
    await validation();
  } catch (error) {
    if (!(error instanceof NotApplicable)) throw error;
  }
}

/**
 * Every violation the given policies report for these resources (resource and stack policies).
 * `config` is the pack's config; like the policy server, a policy without any sees `{}`.
 */
export async function runPolicies(
  policies: Policies,
  resources: ResourceUnderTest[],
  config: PolicyPackConfig = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const policy of policies) {
    if (policy.enforcementLevel === "disabled") continue;
    const own = config[policy.name] ?? {};
    const reporter =
      (defaultUrn: string): ReportViolation =>
      (message, urn) =>
        violations.push({ policy: policy.name, message, urn: urn ?? defaultUrn });
    if ("validateStack" in policy) {
      const args = stackArgs(resources, own);
      await run(() => policy.validateStack(args, reporter("")));
      continue;
    }
    const validations: ResourceValidation[] = [policy.validateResource ?? []].flat();
    for (const resource of resources) {
      for (const validate of validations) {
        const args = resourceArgs(resource, own);
        await run(() => validate(args, reporter(resource.urn)));
      }
    }
  }
  return violations;
}

/** A URN as the engine would write it, for resources built by hand in tests. */
export function urnOf(stack: string, type: string, name: string, project = "facilitator-deploy"): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}
