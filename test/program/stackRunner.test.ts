// The stack-under-mocks runner itself: it reproduces what the Pulumi CLI hands the program.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { FACILITATOR_REPOSITORY, releasedImages, runStack, stackConfig } from "../support/stack";

describe("stackConfig", () => {
  it("layers Pulumi.yaml defaults, the stack file, fake secrets and overrides", () => {
    const { values, secretKeys } = stackConfig({ stack: "prod", config: { replicas: "3", cpuLimit: undefined } });
    expect(values["facilitator:imageName"]).toBe("x402-facilitator-amoy"); // Pulumi.yaml default
    expect(values["facilitator:namespace"]).toBe("facilitator-prod"); // stack file over default
    expect(values["facilitator:replicas"]).toBe("3"); // override over stack file
    expect(values["facilitator:cpuLimit"]).toBeUndefined(); // unset by override
    expect(values["facilitator:rpcEgressCidrs"]).toBe('["0.0.0.0/0"]'); // lists as JSON, as the CLI passes them
    expect(secretKeys).toEqual(["facilitator:privateKey", "facilitator:rpcUrl"]);
  });

  it("a plain override of a secret key is no longer marked secret", () => {
    const { secretKeys } = stackConfig({ stack: "prod", config: { privateKey: "0x00" } });
    expect(secretKeys).toEqual(["facilitator:rpcUrl"]);
  });
});

describe("runStack", () => {
  it("runs index.ts for a stack and returns its resources and outputs", async () => {
    const run = await runStack({ stack: "prod", registry: releasedImages(["v1.2.3"]) });
    expect(run.outputs["imageRepository"]).toBe(FACILITATOR_REPOSITORY);
    expect(run.one("kubernetes:apps/v1:Deployment").name).toBe("facilitator");
    expect(run.invokes.map((i) => i.token)).toContain("gcp:artifactregistry/getDockerImages:getDockerImages");
  });

  it("a bad stack config stops the program with a RunError (Pulumi prints it without a stack trace)", async () => {
    const error: unknown = await runStack({
      stack: "prod",
      config: { replicas: "0" },
      registry: releasedImages(["v1.2.3"]),
    }).catch((e: unknown) => e);
    expect(pulumi.RunError.isInstance(error as Error)).toBe(true);
    expect((error as Error).message).toContain("Fix: pulumi config set --stack prod facilitator:replicas 2");
  });

  it("rejects with the program's error", async () => {
    await expect(runStack({ stack: "prod", registry: [] })).rejects.toThrow(/Image tag v1\.2\.3 is not in/);
  });
});
