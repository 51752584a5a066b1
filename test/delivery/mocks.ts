// Pulumi mocks for the delivery components: record every registered resource and give the
// computed outputs real GCP/GitHub shapes, so tests assert on what the engine would receive.
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Provider reference (`<urn>::<id>`) when the resource uses an explicit provider. */
  provider?: string;
}

export const FAKE_PROJECT_NUMBER = "123456789012";

function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
      return { name: `projects/${FAKE_PROJECT_NUMBER}/locations/global/workloadIdentityPools/${String(inputs.workloadIdentityPoolId)}` };
    case "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
      return {
        name: `projects/${FAKE_PROJECT_NUMBER}/locations/global/workloadIdentityPools/${String(inputs.workloadIdentityPoolId)}/providers/${String(inputs.workloadIdentityPoolProviderId)}`,
      };
    case "gcp:serviceaccount/account:Account": {
      const email = `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`;
      return { email, member: `serviceAccount:${email}`, name: `projects/${String(inputs.project)}/serviceAccounts/${email}` };
    }
    case "gcp:serviceaccount/key:Key":
      // Fake key material, shaped like the real thing (base64 of a JSON key file); not a credential.
      return { privateKey: Buffer.from(JSON.stringify({ type: "service_account", private_key_id: `fake-${name}` })).toString("base64") };
    default:
      return {};
  }
}

/** Installs the mocks and returns the live list of registered resources. Call before importing components. */
export function installMocks(project = "facilitator-deploy", stack = "staging"): Registered[] {
  const registered: Registered[] = [];
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown>, provider: args.provider });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computedState(args.type, args.name, args.inputs) } };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    false,
  );
  return registered;
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Waits until every pending registration reached the mock monitor (the SDK's own wait, marked @internal). */
export async function settle(): Promise<void> {
  await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

export function ofType(registered: Registered[], type: string): Registered[] {
  return registered.filter((r) => r.type === type);
}

// How the Pulumi runtime hands a secret input to the mock monitor (rpc serialization signature).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The plain value of an input, and whether it was sent as a secret. */
export function unwrapInput(value: unknown): { secret: boolean; value: unknown } {
  if (typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) {
    return { secret: true, value: (value as Record<string, unknown>).value };
  }
  return { secret: false, value };
}
