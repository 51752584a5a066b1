// RegistryAccess under mocks: one non-authoritative member grant per principal.
import * as gcp from "@pulumi/gcp";
import { describe, expect, it } from "vitest";
import {
  configuredGrants,
  REGISTRY_READER,
  REGISTRY_WRITER,
  RegistryAccess,
} from "../../../components/registry/registryAccess";
import { runProgram } from "../../support/program";

const where = { project: "x402-facilitator-staging", location: "europe-west1", repositoryId: "facilitator" };
const MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";

describe("configuredGrants", () => {
  it("one grant per distinct member, sorted, with an id readable from the member", () => {
    const nodes = [
      "serviceAccount:gke-nodes@x402-facilitator-staging.iam.gserviceaccount.com",
      "group:releasers@example.com",
    ];
    expect(configuredGrants(REGISTRY_READER, [...nodes, nodes[0]!])).toEqual([
      { id: "reader-releasers-example-com", role: REGISTRY_READER, member: nodes[1] },
      { id: "reader-gke-nodes-x402-facilitator-staging", role: REGISTRY_READER, member: nodes[0] },
    ]);
  });
});

describe("RegistryAccess", () => {
  it("grants each member on its own (RepositoryIamMember), never an authoritative binding", async () => {
    const result = await runProgram(() => {
      const ci = new gcp.serviceaccount.Account("ci", { accountId: "ci-deploy-staging", project: where.project });
      new RegistryAccess("registry", {
        ...where,
        grants: [
          { id: "ci-deployer", role: REGISTRY_WRITER, member: ci.member },
          ...configuredGrants(REGISTRY_READER, [
            "serviceAccount:gke-nodes@x402-facilitator-staging.iam.gserviceaccount.com",
          ]),
        ],
      });
      return {};
    });
    expect(result.resources.filter((r) => /Iam(Binding|Policy)/.test(r.type))).toEqual([]);
    expect(
      result
        .ofType(MEMBER)
        .map((m) => [m.name, m.inputs["role"], m.inputs["member"]])
        .sort(),
    ).toEqual([
      [
        "registry-ci-deployer",
        REGISTRY_WRITER,
        "serviceAccount:ci-deploy-staging@x402-facilitator-staging.iam.gserviceaccount.com",
      ],
      [
        "registry-reader-gke-nodes-x402-facilitator-staging",
        REGISTRY_READER,
        "serviceAccount:gke-nodes@x402-facilitator-staging.iam.gserviceaccount.com",
      ],
    ]);
    for (const m of result.ofType(MEMBER))
      expect(m.inputs).toMatchObject({
        project: where.project,
        location: where.location,
        repository: where.repositoryId,
      });
  });

  it("refuses two grants with one id", async () => {
    const twice = { id: "same", role: REGISTRY_READER, member: "group:a@example.com" } as const;
    await expect(
      runProgram(() => (new RegistryAccess("registry", { ...where, grants: [twice, twice] }), {})),
    ).rejects.toThrow(/grant id "same" is used twice/);
  });
});
