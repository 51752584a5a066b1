// Read a plain-HTTP registry (the local one on 127.0.0.1:5000) through the registry v2 API.

// The Accept list the program uses too: without it the registry answers schema1 with another digest.
import { MANIFEST_TYPES } from "../../../components/localImage";

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
