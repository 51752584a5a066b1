// Runs any Pulumi program function under FacilitatorMocks and waits until it fully settled.
// Used for single components and (through runStack) for the whole index.ts.
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import {
  FacilitatorMocks,
  type InvokeHandler,
  type RecordedInvoke,
  type RecordedResource,
  type RegistryImage,
} from "./mocks";
import { promiseOf } from "./promiseOf";

export interface ProgramRun {
  resources: RecordedResource[];
  /** The program's returned values, Outputs awaited. */
  outputs: Record<string, unknown>;
  invokes: RecordedInvoke[];
  /** The resources of a type token, e.g. `kubernetes:apps/v1:Deployment`. */
  ofType(type: string): RecordedResource[];
  /** The one resource of a type token (throws unless exactly one). */
  one(type: string): RecordedResource;
}

export interface ProgramRunOptions {
  project?: string;
  stack?: string;
  /** Full config keys → values (what the CLI would pass); keys in `secretKeys` are secrets. */
  config?: Readonly<Record<string, string>>;
  secretKeys?: readonly string[];
  registry?: readonly RegistryImage[];
  invokes?: Readonly<Record<string, InvokeHandler>>;
}

/**
 * Installs fresh mocks and config, runs `program`, awaits every returned Output and every pending
 * registration. Rejects with the program's first error once everything has settled.
 */
export async function runProgram(
  program: () => Promise<Record<string, unknown>> | Record<string, unknown>,
  options: ProgramRunOptions = {},
): Promise<ProgramRun> {
  const mocks = new FacilitatorMocks(options.registry ?? [], options.invokes ?? {});
  await mocks.install(options.project ?? "facilitator", options.stack ?? "test");
  pulumi.runtime.setAllConfig({ ...(options.config ?? {}) }, [...(options.secretKeys ?? [])]);

  const outputs: Record<string, unknown> = {};
  const settled = await Promise.allSettled([
    (async () => {
      const exported = await program();
      await Promise.all(
        Object.entries(exported).map(async ([name, value]) => {
          outputs[name] = pulumi.Output.isInstance(value) ? await promiseOf(value) : value;
        }),
      );
    })(),
  ]);
  // waitForRPCs is the SDK's own "all registrations done" (marked @internal).
  await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) throw failure.reason;

  const ofType = (type: string): RecordedResource[] => mocks.ofType(type);
  return {
    resources: mocks.resources,
    outputs,
    invokes: mocks.invokes,
    ofType,
    one(type) {
      const found = ofType(type);
      if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
      return found[0]!;
    },
  };
}
