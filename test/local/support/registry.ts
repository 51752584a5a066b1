// A registry v2 endpoint for tests without Docker: answers `HEAD /v2/<name>/manifests/<tag>` the way
// docker-registry does (200 + Docker-Content-Digest, or 404), over real HTTP on 127.0.0.1.
// The real registry is exercised by the compose test when an engine is there.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRegistry {
  /** `127.0.0.1:<port>`, as facilitator:localRegistry takes it. */
  address: string;
  /** `name:tag` → digest. */
  readonly manifests: Map<string, string>;
  /** Every `name:tag` asked for, in order. */
  readonly requests: string[];
  stop(): Promise<void>;
}

export async function startFakeRegistry(manifests: Readonly<Record<string, string>> = {}): Promise<FakeRegistry> {
  const known = new Map(Object.entries(manifests));
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(req.url ?? "");
    if (!match || (req.method !== "HEAD" && req.method !== "GET")) {
      res.writeHead(404).end();
      return;
    }
    const ref = `${match[1]}:${match[2]}`;
    requests.push(ref);
    const digest = known.get(ref);
    // Like docker-registry: only a request that accepts v2/OCI manifests gets the v2 digest.
    if (digest === undefined || !/manifest\.v2\+json|oci\.image/.test(req.headers.accept ?? "")) {
      res.writeHead(404, { "content-type": "application/json" }).end();
      return;
    }
    res
      .writeHead(200, { "docker-content-digest": digest, "content-type": "application/vnd.oci.image.index.v1+json" })
      .end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    manifests: known,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** 127.0.0.1:<a port nothing listens on>, for the "registry is down" case. */
export async function deadRegistryAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}
