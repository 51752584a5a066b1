// Pulumi mocks for the delivery components: record every registered resource (inputs as sent,
// secrets still marked) and give the computed outputs the shared mocks' real GCP shapes.
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { mockProviderOutputs } from "../support/mocks";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Provider reference (`<urn>::<id>`) when the resource uses an explicit provider. */
  provider?: string;
}

// The computed outputs are the shared mocks' (test/support/mocks.ts): one source of provider shapes.
export { FAKE_PROJECT_NUMBER } from "../support/mocks";

/** Installs the mocks and returns the live list of registered resources. Call before importing components. */
export function installMocks(project = "facilitator-deploy", stack = "staging"): Registered[] {
  const registered: Registered[] = [];
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown>, provider: args.provider });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...mockProviderOutputs(args.type, args.name, args.inputs as Record<string, unknown>) } };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    false,
  );
  return registered;
}

/** The shared helper: it also settles (rejects) when an output failed, where apply() would hang. */
export { promiseOf } from "../support/promise-of";

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
