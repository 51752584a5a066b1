// Keyless CI: a workload identity provider without an attribute condition admits any
// identity its issuer vouches for (for GitHub: every repository on github.com).
import * as gcp from "@pulumi/gcp";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";

const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
/** The numeric repository id, immune to a deleted-and-recreated or renamed repository. */
const BINDS_REPOSITORY_ID = /\b(assertion|attribute)\.repository_id\b/;

export const wifAttributeCondition: ResourceValidationPolicy = {
  name: "wif-attribute-condition",
  description:
    "Every workload identity pool provider has an attribute condition; GitHub providers bind the repository by its numeric id.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: validateResourceOfType(gcp.iam.WorkloadIdentityPoolProvider, (provider, _args, reportViolation) => {
    const id = provider.workloadIdentityPoolProviderId;
    const condition = provider.attributeCondition?.trim() ?? "";
    if (condition === "") {
      reportViolation(
        `workload identity provider "${id}" has no attributeCondition, so any identity of its issuer may authenticate: set one (for GitHub: assertion.repository_id == "<id>").`,
      );
      return;
    }
    if (provider.oidc?.issuerUri === GITHUB_ISSUER && !BINDS_REPOSITORY_ID.test(condition)) {
      reportViolation(
        `workload identity provider "${id}" trusts GitHub but its attributeCondition does not bind the repository id: add assertion.repository_id == "<numeric id>".`,
      );
    }
  }),
};
