import * as gcp from "@pulumi/gcp";
import { validateResourceOfType, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { runPolicies } from "../../policy/run";
import { resource } from "./fixtures";

const repository = resource("gcp:artifactregistry/repository:Repository", "facilitator", {
  repositoryId: "facilitator",
  format: "DOCKER",
});
const service = resource("kubernetes:core/v1:Service", "facilitator", {});

const flagRepositories: ResourceValidationPolicy = {
  name: "flag-repositories",
  description: "test policy",
  validateResource: validateResourceOfType(gcp.artifactregistry.Repository, (repo, _args, report) =>
    report(`saw ${repo.repositoryId}`),
  ),
};

describe("runPolicies", () => {
  it("matches resources to SDK classes by their real type token and skips the rest as not applicable", async () => {
    expect(await runPolicies([flagRepositories], [repository, service])).toEqual([
      { policy: "flag-repositories", message: "saw facilitator", urn: repository.urn },
    ]);
  });

  it("runs every validation of a policy and skips disabled policies", async () => {
    const twice: ResourceValidationPolicy = {
      ...flagRepositories,
      validateResource: [(_a, r) => r("one"), (_a, r) => r("two")],
    };
    expect((await runPolicies([twice], [service])).map((v) => v.message)).toEqual(["one", "two"]);
    expect(await runPolicies([{ ...twice, enforcementLevel: "disabled" }], [service])).toEqual([]);
  });

  it("propagates a policy that throws, instead of reporting a clean run", async () => {
    const broken: ResourceValidationPolicy = {
      name: "broken",
      description: "test",
      validateResource: () => {
        throw new Error("bug in policy");
      },
    };
    await expect(runPolicies([broken], [service])).rejects.toThrow("bug in policy");
  });

  it("gives stack policies every resource, typed, and keeps the URN they report", async () => {
    const stackPolicy: StackValidationPolicy = {
      name: "count",
      description: "test",
      validateStack: (args, report) => {
        report(
          `${args.resources.filter((r) => r.isType(gcp.artifactregistry.Repository)).length} of ${args.resources.length}`,
        );
        report("pointed", service.urn);
      },
    };
    expect(await runPolicies([stackPolicy], [repository, service])).toEqual([
      { policy: "count", message: "1 of 2", urn: "" },
      { policy: "count", message: "pointed", urn: service.urn },
    ]);
  });
});
