import { describe, expect, it } from "vitest";
import { wifAttributeCondition } from "../../policy/identity";
import { runPolicies } from "../../policy/run";
import { resource } from "./fixtures";

const provider = (props: Record<string, unknown>) =>
  resource("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "github", {
    workloadIdentityPoolId: "github",
    workloadIdentityPoolProviderId: "github-oidc",
    attributeMapping: { "google.subject": "assertion.sub", "attribute.repository_id": "assertion.repository_id" },
    oidc: { issuerUri: "https://token.actions.githubusercontent.com" },
    ...props,
  });

describe("wif-attribute-condition", () => {
  it("passes a GitHub provider bound to the repository id (and environment)", async () => {
    const condition = 'assertion.repository_id == "812345678" && assertion.environment == "production"';
    expect(await runPolicies([wifAttributeCondition], [provider({ attributeCondition: condition })])).toEqual([]);
  });

  it("rejects a provider without an attribute condition", async () => {
    for (const attributeCondition of [undefined, "  "]) {
      const violations = await runPolicies([wifAttributeCondition], [provider({ attributeCondition })]);
      expect(violations.map((v) => v.message)).toEqual([
        expect.stringMatching(/"github-oidc" has no attributeCondition/),
      ]);
    }
  });

  it("rejects a GitHub provider that only checks the owner", async () => {
    const violations = await runPolicies(
      [wifAttributeCondition],
      [provider({ attributeCondition: "assertion.repository_owner == 'acme'" })],
    );
    expect(violations.map((v) => v.message)).toEqual([expect.stringMatching(/does not bind the repository id/)]);
  });

  it("accepts any non-empty condition for other issuers", async () => {
    const other = provider({
      oidc: { issuerUri: "https://gitlab.com" },
      attributeCondition: "assertion.project_path == 'acme/app'",
    });
    expect(await runPolicies([wifAttributeCondition], [other])).toEqual([]);
  });
});
