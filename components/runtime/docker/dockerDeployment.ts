// The facilitator as one hardened container on a Docker host (facilitator:target docker): the
// guide's `docker run`, as code. Image pinned by digest, secrets never in the container's env,
// health check, restart policy, read-only root filesystem, uid 65532, rotated logs.
//
// What the docker provider can and cannot keep secret:
// - The signer key(s), RPC URL and API keys are Pulumi secrets: encrypted in the state, masked in previews.
// - They are not passed as container env (`docker inspect` shows env to anyone with the engine's
//   socket). They are uploaded before start as a file into an anonymous volume the app user can only
//   read, and node loads it with --env-file. Docker keeps that volume on the host's disk, unencrypted,
//   like every container's data, and removes it with the container.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { plainEnv, secretEnv, type FacilitatorEnvArgs } from "../facilitatorEnv";
import { OPEN_SETTLEMENT_ALLOWED, OPEN_SETTLEMENT_LABEL, SECRET_ENV_LABEL } from "../openSettlement";
import { FACILITATOR_PORT, SHUTDOWN_EXIT_MARGIN_MS, SHUTDOWN_GRACE_MS } from "../../service";

const RUN_AS = "65532:65532"; // the distroless "nonroot" user the image runs as
const SECRETS_DIR = "/run/facilitator";
export const SECRET_ENV_FILE = `${SECRETS_DIR}/secrets.env`;
/** The image's healthcheck, as its Dockerfile declares it (exec form: the image has no shell). */
export const HEALTHCHECK = ["CMD", "/nodejs/bin/node", "/app/dist/healthcheck.js"];
/** After SIGTERM the service drains for SHUTDOWN_GRACE_MS and exits within 3 s more; then SIGKILL. */
export const STOP_TIMEOUT_SECONDS = Math.ceil((SHUTDOWN_GRACE_MS + SHUTDOWN_EXIT_MARGIN_MS) / 1000) + 2;

/**
 * A node `--env-file` body: one `NAME="value"` line per entry, names sorted (a stable upload, so an
 * unchanged config never replaces the container). Values that cannot be quoted safely are refused.
 */
export function envFileContent(entries: Readonly<Record<string, string>>): string {
  return Object.keys(entries)
    .sort()
    .map((name) => {
      const value = entries[name]!;
      const quote = ['"', "'", "`"].find((q) => !value.includes(q));
      if (quote === undefined || /[\r\n]/.test(value))
        throw new Error(`${name} cannot be written to an env file (it contains newlines or every quote character)`);
      return `${name}=${quote}${value}${quote}\n`;
    })
    .join("");
}

/** A Kubernetes memory quantity (Ki/Mi/Gi) in whole megabytes, as Docker's `memory` takes it. */
export function megabytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`Not a memory quantity like 512Mi: ${JSON.stringify(quantity)}`);
  const factor = { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[match[2] as "Ki" | "Mi" | "Gi"];
  return Math.max(6, Math.ceil(Number(match[1]) * factor)); // Docker's minimum is 6 MB
}

/** A Kubernetes CPU quantity (`250m`, `1`, `1.5`) as Docker's `cpus` string. */
export function cpus(quantity: string): string {
  const milli = /^(\d+)m$/.exec(quantity);
  return milli ? String(Number(milli[1]) / 1000) : String(Number(quantity));
}

export interface DockerDeploymentArgs extends FacilitatorEnvArgs {
  /** Stack name: the container is `facilitator-<instance>`. */
  instance: string;
  /** `repository@sha256:…` */
  imageRef: pulumi.Input<string>;
  network: "bridge" | "host";
  publishAddress: string;
  publishPort: number;
  logMaxSize: string;
  logMaxFiles: number;
  /** Limits as Kubernetes quantities (facilitator:memoryLimit, cpuLimit): Docker takes no requests. */
  memoryLimit: string;
  cpuLimit: string;
  /** facilitator:allowOpenSettlement: the operator accepts open mode with real settlement here (a label for the policy pack). */
  openSettlementAllowed?: boolean;
}

export class DockerDeployment extends pulumi.ComponentResource {
  public readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: DockerDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("facilitator:index:DockerDeployment", name, {}, opts);
    const containerName = `facilitator-${args.instance}`;

    // Pulled by digest. The container takes the image ID: given a reference, the provider reads the
    // ID back and would replace the container on every run (kreuzwerker/terraform-provider-docker#426).
    const image = new docker.RemoteImage(name, { name: args.imageRef, keepLocally: true }, { parent: this });

    const secrets = secretEnv(args);
    const secretEnvFile = pulumi.secret(pulumi.all(secrets).apply(envFileContent));
    const bridge = args.network === "bridge";

    const container = new docker.Container(
      name,
      {
        name: containerName,
        image: image.imageId,
        command: [`--env-file=${SECRET_ENV_FILE}`, "/app/dist/main.js"],
        envs: plainEnv(args)
          .map(([envName, value]) => `${envName}=${value}`)
          .sort(),
        // Written before start into an anonymous volume (removed with the container): root-owned,
        // readable by the app's group only.
        volumes: [{ containerPath: SECRETS_DIR }],
        uploads: [{ file: SECRET_ENV_FILE, content: secretEnvFile, owner: "0", group: "65532", permissions: "0440" }],
        labels: [
          { label: "org.opencontainers.image.ref.name", value: args.imageRef },
          { label: "x402.facilitator.stack", value: args.instance },
          { label: SECRET_ENV_LABEL, value: Object.keys(secrets).sort().join(",") },
          ...(args.openSettlementAllowed ? [{ label: OPEN_SETTLEMENT_LABEL, value: OPEN_SETTLEMENT_ALLOWED }] : []),
        ],
        user: RUN_AS,
        readOnly: true,
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        memory: megabytes(args.memoryLimit),
        memorySwap: megabytes(args.memoryLimit), // no swap on top of the limit
        cpus: cpus(args.cpuLimit),
        restart: "unless-stopped",
        healthcheck: { tests: HEALTHCHECK, interval: "10s", timeout: "3s", startPeriod: "5s", retries: 3 },
        // `pulumi up` fails unless the new container turns healthy.
        wait: true,
        waitTimeout: 90,
        mustRun: true,
        stopSignal: "SIGTERM",
        stopTimeout: STOP_TIMEOUT_SECONDS,
        destroyGraceSeconds: STOP_TIMEOUT_SECONDS,
        logDriver: "json-file",
        logOpts: { "max-file": String(args.logMaxFiles), "max-size": args.logMaxSize },
        ...(bridge
          ? {
              networkMode: "bridge",
              ports: [
                { internal: FACILITATOR_PORT, external: args.publishPort, ip: args.publishAddress, protocol: "tcp" },
              ],
              // A chain on the Docker host (a local anvil) is http://host.docker.internal:<port>.
              hosts: [{ host: "host.docker.internal", ip: "host-gateway" }],
            }
          : { networkMode: "host" }),
      },
      // One name and one host port: the old container must go before the new one starts.
      { parent: this, dependsOn: [image], deleteBeforeReplace: true },
    );

    this.containerName = container.name;
    this.registerOutputs({ containerName: this.containerName });
  }
}

export interface DockerHostArgs {
  /** `ssh://user@host`, …; unset: the ambient engine. */
  host?: string;
  /** Pull credentials, e.g. Artifact Registry's `oauth2accesstoken` with a short-lived token. */
  registryAuth?: { address: string; username: string; password: pulumi.Input<string> };
}

/** The docker provider for the stack's engine. */
export function dockerProvider(
  name: string,
  args: DockerHostArgs,
  opts?: pulumi.CustomResourceOptions,
): docker.Provider {
  return new docker.Provider(
    name,
    {
      ...(args.host !== undefined ? { host: args.host } : {}),
      ...(args.registryAuth !== undefined
        ? { registryAuth: [{ ...args.registryAuth, password: pulumi.secret(args.registryAuth.password) }] }
        : {}),
    },
    opts,
  );
}
