import { describe, expect, it } from "vitest";
import { prodAvailability } from "../../policy/availability";
import { runPolicies } from "../../policy/run";
import { deployment, pdb } from "./fixtures";

async function problems(...resources: ReturnType<typeof deployment>[]): Promise<string[]> {
  return (await runPolicies([prodAvailability], resources)).map((v) => v.message);
}

describe("prod-availability", () => {
  it("passes prod with 2 replicas and a PodDisruptionBudget selecting the pods", async () => {
    expect(
      await problems(
        deployment(undefined, { stack: "prod", replicas: 2 }),
        pdb({ minAvailable: 1 }, { stack: "prod" }),
      ),
    ).toEqual([]);
    expect(
      await problems(
        deployment(undefined, { stack: "prod", replicas: 3 }),
        pdb({ maxUnavailable: 1 }, { stack: "prod" }),
      ),
    ).toEqual([]);
  });

  it("rejects a single prod replica", async () => {
    expect(
      await problems(deployment(undefined, { stack: "prod", replicas: 1 }), pdb(undefined, { stack: "prod" })),
    ).toEqual([expect.stringMatching(/facilitator runs 1 replica\(s\) .*at least 2/)]);
  });

  it("rejects prod without a PodDisruptionBudget, or with one in another namespace", async () => {
    expect(await problems(deployment(undefined, { stack: "prod" }))).toEqual([
      expect.stringMatching(/has no PodDisruptionBudget/),
    ]);
    expect(
      await problems(deployment(undefined, { stack: "prod" }), pdb(undefined, { stack: "prod", namespace: "other" })),
    ).toEqual([expect.stringMatching(/has no PodDisruptionBudget/)]);
  });

  it("rejects a PodDisruptionBudget that protects nothing", async () => {
    for (const spec of [
      { minAvailable: 0 },
      { maxUnavailable: "100%" },
      { maxUnavailable: 2 },
      { minAvailable: undefined },
    ]) {
      expect(await problems(deployment(undefined, { stack: "prod" }), pdb(spec, { stack: "prod" }))).toEqual([
        expect.stringMatching(/allows every pod to be evicted/),
      ]);
    }
  });

  it("does not apply to staging", async () => {
    expect(await problems(deployment(undefined, { stack: "staging", replicas: 1 }))).toEqual([]);
  });
});
