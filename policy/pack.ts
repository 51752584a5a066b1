// Entry point of the policy pack (`pulumi preview --policy-pack policy`). Constructing the
// PolicyPack starts the policy server, so nothing else imports this file; tests use ./index.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./index";

new PolicyPack("facilitator-policies", { policies, enforcementLevel: "mandatory" });
