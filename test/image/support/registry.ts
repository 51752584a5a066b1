// Read a plain-HTTP registry (the local one on 127.0.0.1:5000) through the registry v2 API.

// The Accept list the program uses too: without it the registry answers schema1 with another digest.
import { MANIFEST_TYPES } from "../../../components/image/localImage";
import { docker, localRegistry, machineBuildFlags } from "./docker";

/** Digest that `registry/repository:tag` resolves to, or undefined when the tag does not exist. */
export async function manifestDigest(registry: string, repository: string, tag: string): Promise<string | undefined> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: { Accept: MANIFEST_TYPES },
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`registry HEAD ${repository}:${tag} -> HTTP ${response.status}`);
  return response.headers.get("docker-content-digest") ?? undefined;
}

/** Tags of a repository (empty when the repository does not exist). */
export async function listTags(registry: string, repository: string): Promise<string[]> {
  const response = await fetch(`http://${registry}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  const body = (await response.json()) as { tags: string[] | null };
  return body.tags ?? [];
}

/**
 * Builds demo/facilitator-amoy.Dockerfile as written, pushes it to the local registry as
 * `<repository>:<tag>`, drops the local tag (a container must then come from the digest) and
 * returns `registry/repository@sha256:…`.
 */
export async function buildAndPushFacilitatorImage(root: string, repository: string, tag: string): Promise<string> {
  const ref = `${localRegistry}/${repository}:${tag}`;
  docker(["build", "-f", "demo/facilitator-amoy.Dockerfile", "-t", ref, ...machineBuildFlags(), "."], {
    cwd: root,
    timeoutMs: 900_000,
  });
  docker(["push", ref], { timeoutMs: 300_000 });
  const digest = await manifestDigest(localRegistry, repository, tag);
  if (!digest) throw new Error(`pushed ${ref} but the registry has no digest for it`);
  docker(["rmi", ref]);
  return `${localRegistry}/${repository}@${digest}`;
}
