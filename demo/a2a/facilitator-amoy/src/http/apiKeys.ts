// HTTP layer: optional API keys (FACILITATOR_API_KEYS) for /verify and /settle, sent as
// `Authorization: Bearer <key>` (what x402's HTTPFacilitatorClient sends through createAuthHeaders).
// Compared as SHA-256 digests in constant time, so neither timing nor length tells a key apart.
import { createHash, timingSafeEqual } from "node:crypto";
import type { onRequestHookHandler } from "fastify";

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

export function apiKeyCheck(keys: readonly string[]): onRequestHookHandler {
  const accepted = keys.map(digest);
  return (request, reply, done) => {
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = digest(match?.[1] ?? "");
    // Check every key (no early exit): the time taken does not depend on which key matched.
    let ok = false;
    for (const key of accepted) ok = timingSafeEqual(key, presented) || ok;
    if (ok) return done();
    void reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="x402-facilitator"')
      .send({
        error: "unauthorized",
        message: match
          ? "the API key is not accepted; use a key from FACILITATOR_API_KEYS"
          : "an API key is required: send Authorization: Bearer <key>",
      });
  };
}
