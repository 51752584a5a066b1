// Secrets reach pods only through a Kubernetes Secret and env[].valueFrom.secretKeyRef, and
// nothing that looks like a secret is ever written into a resource as a literal env value.
import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, dockerContainerOf, podSpecOf } from "./workloads";

/** Env var names that carry secrets (FACILITATOR_PRIVATE_KEY(S), FACILITATOR_API_KEYS, AMOY_RPC_URL, …). */
const SECRET_NAME =
  /(^|_)(PRIVATE_?KEYS?|SECRETS?|TOKENS?|PASSWORDS?|PASSWD|API_?KEYS?|CREDENTIALS?|MNEMONIC|SEED_PHRASE|RPC_URLS?)(_|$)/i;
/** …unless the name says the value is only a pointer to one (a file path, an address, an id). */
const POINTER_SUFFIX = /_(ADDRESS|FILE|PATH|ID|NAME)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !POINTER_SUFFIX.test(name);
}

const SECRET_VALUES: { what: string; pattern: RegExp }[] = [
  { what: "a hex private key", pattern: /^(0x)?[0-9a-fA-F]{64}$/ },
  { what: "a list of hex private keys", pattern: /^(0x)?[0-9a-fA-F]{64}([,;\s]+(0x)?[0-9a-fA-F]{64})+$/ },
  { what: "a PEM private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: "a GitHub token", pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { what: "a Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { what: "an AWS access key id", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { what: "a Slack token", pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { what: "a JSON web token", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { what: "a mnemonic seed phrase", pattern: /^([a-z]{3,8} ){11,23}[a-z]{3,8}$/ },
];

/** A URL path segment that is an API key (Alchemy/Infura/QuickNode style), not an address. */
function isKeyLikeSegment(segment: string): boolean {
  return (
    /^[A-Za-z0-9_-]{24,}$/.test(segment) &&
    /[0-9]/.test(segment) &&
    /[A-Za-z]/.test(segment) &&
    !/^0x[0-9a-fA-F]{40}$/.test(segment)
  );
}

function urlSecret(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!url.host) return undefined;
  if (url.username || url.password) return "credentials in a URL";
  for (const [key, param] of url.searchParams) {
    if (param && /key|token|secret|password|auth|signature/i.test(key)) return `a "${key}" query parameter in a URL`;
  }
  if (url.pathname.split("/").some(isKeyLikeSegment)) return "an API key in a URL path";
  return undefined;
}

/** What secret a literal value looks like, or undefined when it looks harmless. */
export function secretLookingValue(value: string): string | undefined {
  const trimmed = value.trim();
  return SECRET_VALUES.find(({ pattern }) => pattern.test(trimmed))?.what ?? urlSecret(trimmed);
}

export const noLiteralSecrets: ResourceValidationPolicy = {
  name: "no-literal-secrets",
  description:
    "No env var, ConfigMap entry or GitHub Actions variable holds a literal value that looks like a private key, token or credentialed URL.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, reportViolation) => {
    const toKubernetesSecret =
      "move it to a Pulumi secret and a Kubernetes Secret, referenced with valueFrom.secretKeyRef";
    const report = (where: string, value: string | undefined, fix = toKubernetesSecret) => {
      const what = value === undefined ? undefined : secretLookingValue(value);
      // Never echo the value: the message says what it looks like, not what it is.
      if (what) reportViolation(`${where} holds a literal value that looks like ${what}: ${fix}.`);
    };
    const podSpec = podSpecOf(args);
    for (const { label, container } of podSpec ? containersOf(podSpec) : []) {
      for (const env of container.env ?? []) report(`${label} env ${env.name}`, env.value);
    }
    // Docker has no secret references: the facilitator's own secrets (secret-named vars such as
    // FACILITATOR_PRIVATE_KEY) can only arrive as env, from Pulumi secret config. A secret-looking
    // value under any other name is a leak.
    const dockerContainer = dockerContainerOf(args);
    for (const entry of dockerContainer?.envs ?? []) {
      const [name = "", ...rest] = entry.split("=");
      if (!isSecretName(name)) {
        report(
          `docker container env ${name}`,
          rest.join("="),
          "give it a secret name and set it from Pulumi secret config, or drop it",
        );
      }
    }
    if (args.isType(k8s.core.v1.ConfigMap)) {
      const data = (args.props as { data?: Record<string, string> }).data ?? {};
      for (const [key, value] of Object.entries(data)) report(`ConfigMap key ${key}`, value);
    }
    // Actions variables are plain text in the UI and in logs: secrets belong in environment secrets.
    if (args.isType(github.ActionsEnvironmentVariable) || args.isType(github.ActionsVariable)) {
      const { variableName, value } = args.props as { variableName?: string; value?: string };
      report(`GitHub Actions variable ${variableName}`, value, "make it an ActionsEnvironmentSecret");
    }
  },
};

export const secretsViaSecretKeyRef: ResourceValidationPolicy = {
  name: "secrets-via-secret-key-ref",
  description:
    "Secret env vars (keys, tokens, RPC URLs) reach pods only through env[].valueFrom.secretKeyRef; no secret volumes or envFrom.secretRef.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    const podSpec = podSpecOf(args);
    if (!podSpec) return;
    for (const { label, container } of containersOf(podSpec)) {
      for (const env of container.env ?? []) {
        if (isSecretName(env.name) && !env.valueFrom?.secretKeyRef) {
          reportViolation(
            `${label} env ${env.name} is a secret but is not read from a Kubernetes Secret: use valueFrom.secretKeyRef.`,
          );
        }
      }
      for (const source of container.envFrom ?? []) {
        if (source.secretRef) {
          reportViolation(
            `${label} imports every key of Secret "${source.secretRef.name}" with envFrom: name each one with env[].valueFrom.secretKeyRef.`,
          );
        }
      }
    }
    for (const volume of podSpec.volumes ?? []) {
      const projectsSecret = volume.projected?.sources?.some((source) => source.secret) ?? false;
      if (volume.secret || projectsSecret) {
        reportViolation(
          `volume "${volume.name}" mounts a Secret as files: pass secrets with env[].valueFrom.secretKeyRef.`,
        );
      }
    }
  },
};
