// Read a plain-HTTP registry (the local one on 127.0.0.1:5000) through the registry v2 API.

// Without an Accept header the registry answers with a schema1 manifest and another digest.
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

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
