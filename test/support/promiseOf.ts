import type * as pulumi from "@pulumi/pulumi";

/**
 * Awaits an Output's value. Uses the SDK's own promise (marked @internal) rather than apply(),
 * because apply() never settles for an output that failed: a failing program must fail the test.
 */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return (output as unknown as { promise(): Promise<T> }).promise();
}
