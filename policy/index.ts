// The facilitator's policy pack: the invariants of docs/architecture.md ("Security model" and the
// release flow) as code. This module only lists the policies, so tests and tools can run them without
// the policy server; `pack.ts` hands the same array to `new PolicyPack`.
import type { Policies } from "@pulumi/policy";
import { prodAvailability } from "./availability";
import { githubSecretsOnEnvironments, productionEnvironmentProtected, releaseTagsProtected } from "./github";
import { wifAttributeCondition } from "./identity";
import { imagesByDigest } from "./images";
import { openSettlementNotExposed } from "./openSettlement";
import { dockerContainerHardening, podHardening } from "./podSecurity";
import { publicEndpointHttpsOnly } from "./publicEndpoint";
import { registryImmutableTags } from "./registry";
import { noLiteralSecrets, secretsViaSecretKeyRef } from "./secrets";

export const policies: Policies = [
  imagesByDigest,
  noLiteralSecrets,
  secretsViaSecretKeyRef,
  podHardening,
  dockerContainerHardening,
  registryImmutableTags,
  productionEnvironmentProtected,
  releaseTagsProtected,
  githubSecretsOnEnvironments,
  wifAttributeCondition,
  prodAvailability,
  openSettlementNotExposed,
  publicEndpointHttpsOnly,
];
