#!/usr/bin/env node
// What the CI deployer may change, and whether a preview's planned changes stay inside it.
//
// The CI deployer (components/delivery/ciIdentity.ts, facilitator:ciDeployerRoles) may change the workload
// and push images; it may not change monitoring, IAM or GitHub settings. A deploy that needs those
// would fail half-way with a 403, so the deploy jobs read the preview's plan first and stop, naming
// the operator command, when any change is outside the deployer's rights.
//
//   node scripts/ciPlan.mjs check --stack staging --plan plan.json   deploy jobs: exit 1 when outside
//   node scripts/ciPlan.mjs note  --stack staging --plan plan.json   PR previews: markdown for the PR
//   node scripts/ciPlan.mjs image --stack prod                        the image the stack file selects
//
// --plan takes the file `pulumi preview --save-plan` writes (pulumi/actions' `plan:` input) or the
// document `pulumi preview --json` prints. The functions are pure and unit-tested
// (test/delivery/ciPlan.test.ts); only the CLI at the bottom reads files.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";

/**
 * Step operations that change nothing outside Pulumi's state. Every other op (create, update,
 * delete, replace, create-replacement, delete-replaced, import, import-replacement, and any op a
 * later CLI adds) is a change. The op names are apitype.OpType:
 * https://github.com/pulumi/pulumi/blob/master/sdk/go/common/apitype/core.go
 */
export const NO_CHANGE_OPS = Object.freeze([
  "same",
  "read",
  "refresh",
  "discard",
  "discard-replaced",
  "remove-pending-replace",
]);

/** `urn:pulumi:<stack>::<project>::<parent$…$type>::<name>` → `{ type, name }` (the type is the last `$` segment). */
export function parseUrn(urn) {
  const parts = String(urn).split("::");
  if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) throw new Error(`not a Pulumi URN: ${urn}`);
  const qualified = parts[2];
  return { type: qualified.slice(qualified.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

/**
 * The resources a preview would change, from either document the CLI writes:
 * - the update plan of `pulumi preview --save-plan` (apitype.DeploymentPlanV1: `resourcePlans`,
 *   each with `goal.type` and `steps`; a delete has no goal, so the type comes from the URN),
 *   https://github.com/pulumi/pulumi/blob/master/sdk/go/common/apitype/plan.go
 * - the output of `pulumi preview --json` (display.PreviewDigest: `steps`, each with `op` and `urn`),
 *   https://github.com/pulumi/pulumi/blob/master/sdk/go/common/display/json.go
 * Resources whose ops are all no-change ops are left out. Sorted by URN.
 */
export function plannedChanges(document) {
  const byUrn = new Map();
  const add = (urn, type, ops) => {
    const entry = byUrn.get(urn) ?? { urn, type: type || parseUrn(urn).type, name: parseUrn(urn).name, ops: [] };
    entry.ops.push(...ops);
    byUrn.set(urn, entry);
  };
  if (
    document &&
    typeof document === "object" &&
    document.resourcePlans &&
    typeof document.resourcePlans === "object"
  ) {
    for (const [urn, plan] of Object.entries(document.resourcePlans))
      add(urn, plan?.goal?.type, Array.isArray(plan?.steps) ? plan.steps : []);
  } else if (document && typeof document === "object" && Array.isArray(document.steps)) {
    for (const step of document.steps) add(step.urn, step.newState?.type ?? step.oldState?.type, [step.op]);
  } else {
    throw new Error(
      "not a Pulumi update plan (pulumi preview --save-plan) or preview document (pulumi preview --json)",
    );
  }
  return [...byUrn.values()]
    .map((c) => ({ ...c, ops: [...new Set(c.ops)] }))
    .filter((c) => c.ops.some((op) => !NO_CHANGE_OPS.includes(op)))
    .sort((a, b) => a.urn.localeCompare(b.urn));
}

/**
 * What each role the CI deployer can hold lets it change, as resource-type patterns (`*` matches
 * within the token). Roles not listed here grant no change (the check then names the operator).
 * - Kubernetes Engine Developer: "access to Kubernetes API objects inside clusters", but creating or
 *   binding RBAC roles needs container.roles.* / container.clusterRoles.*, which only Kubernetes
 *   Engine Admin has: https://cloud.google.com/iam/docs/roles-permissions/container
 * - Monitoring Editor / Admin: alert policies, dashboards, notification channels:
 *   https://cloud.google.com/iam/docs/roles-permissions/monitoring
 */
export const ROLE_SCOPES = Object.freeze({
  "roles/container.developer": { may: ["kubernetes:*"], except: ["kubernetes:rbac.authorization.k8s.io/*"] },
  "roles/container.admin": { may: ["kubernetes:*"], except: [] },
  "roles/monitoring.editor": { may: ["gcp:monitoring/*"], except: [] },
  "roles/monitoring.admin": { may: ["gcp:monitoring/*"], except: [] },
});

/** roles/artifactregistry.writer on the repository (registry access of a stack that builds): pushes images. */
export const REGISTRY_WRITER_SCOPE = Object.freeze({ may: ["docker-build:index:Image"], except: [] });

/**
 * Types whose changes call no cloud API: the stack, provider resources (configuration only) and
 * this program's component resources (grouping only).
 */
export const STATE_ONLY_TYPES = Object.freeze(["pulumi:pulumi:Stack", "pulumi:providers:*", "facilitator:*"]);

function globMatches(pattern, type) {
  const source = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${source}$`).test(type);
}

/**
 * The CI deployer's rights from what components/delivery/ciIdentity.ts grants it: its project roles
 * (facilitator:ciDeployerRoles) and, where the stack builds, roles/artifactregistry.writer on the
 * repository. State bucket and KMS roles (ciStateBucket, ciSecretsKmsKey) let it run Pulumi, not
 * change resources, so they add nothing here.
 */
export function deployerGrants({ projectRoles, registryWriter }) {
  const scopes = [...new Set(projectRoles)]
    .sort()
    .flatMap((role) => (ROLE_SCOPES[role] ? [{ role, ...ROLE_SCOPES[role] }] : []));
  if (registryWriter) scopes.push({ role: "roles/artifactregistry.writer (repository)", ...REGISTRY_WRITER_SCOPE });
  return { projectRoles: [...new Set(projectRoles)].sort(), registryWriter: Boolean(registryWriter), scopes };
}

/** Whether the deployer may make this change (every op a no-change op, a state-only type, or a type a role covers). */
export function mayChange(grants, change) {
  if (change.ops.every((op) => NO_CHANGE_OPS.includes(op))) return true;
  if (STATE_ONLY_TYPES.some((p) => globMatches(p, change.type))) return true;
  return grants.scopes.some(
    (s) => s.may.some((p) => globMatches(p, change.type)) && !s.except.some((p) => globMatches(p, change.type)),
  );
}

/** Splits the planned changes into those the CI deployer may make and those it may not. */
export function classify(changes, grants) {
  const inside = [];
  const outside = [];
  for (const change of changes) (mayChange(grants, change) ? inside : outside).push(change);
  return { inside, outside };
}

/** Who may make a change the CI deployer may not, for the message. */
export function neededRights(type) {
  const byPrefix = [
    ["gcp:monitoring/", "roles/monitoring.editor"],
    // The public endpoint (facilitator:hostname): Cloud Armor, the reserved address, the certificate.
    // https://cloud.google.com/load-balancing/docs/access-control
    ["gcp:compute/securityPolicy:", "roles/compute.securityAdmin"],
    ["gcp:compute/", "roles/compute.loadBalancerAdmin"],
    ["gcp:certificatemanager/", "roles/certificatemanager.editor"],
    ["gcp:artifactregistry/", "roles/artifactregistry.admin"],
    ["gcp:storage/", "roles/storage.admin"],
    ["gcp:kms/", "roles/cloudkms.admin"],
    ["github:", "a GitHub token with admin rights on the repository"],
    ["kubernetes:rbac.authorization.k8s.io/", "roles/container.admin"],
  ];
  const found = byPrefix.find(([prefix]) => type.startsWith(prefix));
  if (found) return found[1];
  if (/^gcp:(projects|serviceaccount|iam|organizations)\//.test(type)) {
    return "IAM admin rights (roles/resourcemanager.projectIamAdmin, roles/iam.serviceAccountAdmin, roles/iam.workloadIdentityPoolAdmin)";
  }
  return "rights the CI deployer does not have";
}

/** The command someone with those rights runs instead of CI. */
export function operatorCommand(stack) {
  return `pulumi up --stack ${stack}`;
}

function describe(change) {
  return `${change.ops.filter((op) => !NO_CHANGE_OPS.includes(op)).join("+")} ${change.type} "${change.name}"`;
}

function rightsLine(grants) {
  const roles = grants.projectRoles.length > 0 ? grants.projectRoles.join(", ") : "none";
  return `project roles ${roles}; registry push ${grants.registryWriter ? "yes" : "no"}`;
}

/** The deploy job's message when something is outside the deployer's rights (empty when nothing is). */
export function outsideMessage(stack, outside, grants) {
  if (outside.length === 0) return "";
  return [
    `Stack ${stack}: ${outside.length} planned change${outside.length === 1 ? " is" : "s are"} outside what the CI deployer may change (${rightsLine(grants)}):`,
    ...outside.map((c) => `  - ${describe(c)}: needs ${neededRights(c.type)}`),
    "Nothing was applied. Someone with those rights applies main's tree from a checkout of main:",
    `  git switch main && git pull && ${operatorCommand(stack)}`,
    "then re-run this job (it then finds nothing outside its rights).",
  ].join("\n");
}

/**
 * The PR note for one stack's preview: whether CI can apply the change after the merge, and which
 * Kubernetes changes this preview computed client-side. The preview identity is a viewer
 * (roles/container.viewer); a server-side dry run needs the create/patch permission itself
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run-authorization), and on a
 * forbidden dry run pulumi-kubernetes previews from the inputs alone instead of failing
 * (pulumi/pulumi-kubernetes#2521, fixed by #2522): defaults and admission webhooks are not applied.
 */
export function previewNote(stack, changes, grants) {
  const { outside } = classify(changes, grants);
  const lines = [`#### CI plan for \`${stack}\``, ""];
  if (changes.length === 0) {
    lines.push("No resource changes.");
  } else if (outside.length === 0) {
    lines.push(
      `When CI next deploys \`${stack}\` from main, it may apply all ${changes.length} planned change${changes.length === 1 ? "" : "s"} (${rightsLine(grants)}).`,
    );
  } else {
    lines.push(
      `:warning: When CI next deploys \`${stack}\` from main, it stops before applying anything: ${outside.length} change${outside.length === 1 ? " is" : "s are"} outside the CI deployer's rights (${rightsLine(grants)}):`,
      "",
      ...outside.map((c) => `- \`${describe(c)}\`: needs ${neededRights(c.type)}`),
      "",
      `Once this is on main, someone with those rights applies it: \`${operatorCommand(stack)}\` from a checkout of main.`,
    );
  }
  const clientSide = changes.filter(
    (c) => c.type.startsWith("kubernetes:") && c.ops.some((op) => !NO_CHANGE_OPS.includes(op) && op !== "delete"),
  );
  if (clientSide.length > 0) {
    lines.push(
      "",
      `Previewed client-side (the preview identity is read-only, so the API server could not dry-run them; pulumi/pulumi-kubernetes#2521): ${clientSide.map((c) => `\`${c.type.replace(/^kubernetes:/, "")} ${c.name}\``).join(", ")}. ` +
        "Server defaults and admission checks show up only in the deploy job's own preview.",
    );
  }
  return lines.join("\n");
}

/** Pulumi passes lists as JSON strings; YAML gives arrays. */
function asList(value) {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string" && value.trim().startsWith("[")) return JSON.parse(value).map(String);
  return value === undefined || value === null || value === "" ? [] : [String(value)];
}

/**
 * The settings of a stack that decide the deployer's rights and its image, from Pulumi.yaml's
 * defaults and Pulumi.<stack>.yaml (what the Pulumi CLI hands the program).
 */
export function stackSettings(root, stack) {
  const project = parseYaml(readFileSync(join(root, "Pulumi.yaml"), "utf8")) ?? {};
  const file = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) throw new Error(`Pulumi.${stack}.yaml not found in ${root}`);
  const stackConfig = (parseYaml(readFileSync(file, "utf8")) ?? {}).config ?? {};
  const value = (key) => {
    const full = `facilitator:${key}`;
    if (Object.hasOwn(stackConfig, full)) return stackConfig[full];
    if (Object.hasOwn(stackConfig, key)) return stackConfig[key];
    return project.config?.[key]?.default;
  };
  const location = String(value("registryLocation") ?? "");
  const repository = `${location}-docker.pkg.dev/${value("registryProject")}/${value("registryRepository")}/${value("imageName")}`;
  return {
    projectRoles: asList(value("ciDeployerRoles")),
    // index.ts: the deployer writes the repository where the stack builds (config refuses build on prod).
    registryWriter: value("build") === true || value("build") === "true",
    imageRepository: repository,
    imageTag: String(value("imageTag") ?? ""),
  };
}

// ---- CLI ------------------------------------------------------------------------------------

const USAGE =
  "usage: node scripts/ciPlan.mjs check|note --stack <stack> --plan <plan.json> [--root <dir>] | image --stack <stack> [--root <dir>]";

function main(argv) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { stack: { type: "string" }, plan: { type: "string" }, root: { type: "string", default: "." } },
  });
  const [command] = positionals;
  if (!["check", "note", "image"].includes(command) || !values.stack || (command !== "image" && !values.plan)) {
    console.error(USAGE);
    return 2;
  }
  const root = resolve(values.root);
  const settings = stackSettings(root, values.stack);
  if (command === "image") {
    console.log(`${settings.imageRepository}:${settings.imageTag}`);
    return 0;
  }
  const grants = deployerGrants(settings);
  const changes = plannedChanges(JSON.parse(readFileSync(values.plan, "utf8")));
  if (command === "note") {
    console.log(previewNote(values.stack, changes, grants));
    return 0;
  }
  const { inside, outside } = classify(changes, grants);
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (outside.length > 0) {
    const message = outsideMessage(values.stack, outside, grants);
    console.error(message);
    console.log(`::error title=Needs an operator::${message.split("\n").join("%0A")}`);
    if (summary) appendFileSync(summary, `### Not applied: needs an operator\n\n\`\`\`\n${message}\n\`\`\`\n`);
    return 1;
  }
  console.log(
    `Stack ${values.stack}: ${inside.length} planned change(s), all inside the CI deployer's rights (${rightsLine(grants)}).`,
  );
  for (const change of inside) console.log(`  - ${describe(change)}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`ci-plan: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  }
}
