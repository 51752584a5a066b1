// Malformed input: always a 4xx that names the problem; never a 5xx, never a crash.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "./support/chain.js";
import { createInProcessFacilitator, type InProcessFacilitator } from "./support/inProcess.js";
import { facilitatorBody, requirementsV2, signPaymentV2 } from "./support/payments.js";
import { usdc } from "./support/token.js";

let chain: TestChain;
let service: InProcessFacilitator;
let valid: Record<string, unknown>;

beforeAll(async () => {
  chain = await startTestChain();
  // Simulate-only: a fuzzed body that happens to be a valid payment must not spend the buyer's funds.
  service = createInProcessFacilitator(chain.facilitatorEnv({ REAL_SETTLE: "false" }));
  const requirements = requirementsV2({
    asset: chain.token.address,
    payTo: chain.seller.account.address,
    amount: usdc(1),
  });
  valid = JSON.parse(
    JSON.stringify(facilitatorBody(await signPaymentV2(chain.buyer.account, requirements), requirements)),
  ) as Record<string, unknown>;
});

afterAll(async () => {
  await service?.close();
  await chain?.stop();
});

const post = (url: string, payload: string | object, contentType = "application/json") =>
  service.server.inject({
    method: "POST",
    url,
    payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    headers: { "content-type": contentType },
  });

const withPath = (body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> => {
  const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  let node = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  if (value === undefined) delete node[path.at(-1)!];
  else node[path.at(-1)!] = value;
  return copy;
};

describe.each(["/verify", "/settle"])("%s", (url) => {
  it.each([
    ["invalid JSON", '{"x402Version": 2,', 400, "not valid JSON"],
    ["an empty body", "", 400, "body is empty"],
    ["a JSON array", "[]", 400, "body must be object"],
    ["null", "null", 400, "body must be object"],
  ])("rejects %s", async (_name, body, status, message) => {
    const response = await post(url, body);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error: "invalid_request", message: expect.stringContaining(message) });
  });

  it.each([
    ["x402Version as a string", ["x402Version"], "2", "body/x402Version must be integer"],
    ["an unknown x402Version", ["x402Version"], 3, "body/x402Version must be equal to one of the allowed values: 1, 2"],
    ["missing paymentPayload", ["paymentPayload"], undefined, "body must have required property 'paymentPayload'"],
    [
      "missing paymentRequirements",
      ["paymentRequirements"],
      undefined,
      "body must have required property 'paymentRequirements'",
    ],
    [
      "a v2 body without amount",
      ["paymentRequirements", "amount"],
      undefined,
      "body/paymentRequirements must have required property 'amount'",
    ],
    [
      "a v2 payload without accepted",
      ["paymentPayload", "accepted"],
      undefined,
      "body/paymentPayload must have required property 'accepted'",
    ],
    [
      "payload versions that differ",
      ["paymentPayload", "x402Version"],
      1,
      "body/paymentPayload/x402Version must be equal to constant 2",
    ],
    [
      "amount with a decimal point",
      ["paymentRequirements", "amount"],
      "1.5",
      "body/paymentRequirements/amount must match pattern",
    ],
    [
      "amount above uint256",
      ["paymentRequirements", "amount"],
      "9".repeat(78),
      "body/paymentRequirements/amount must match pattern",
    ],
    ["a short payTo", ["paymentRequirements", "payTo"], "0x1234", "body/paymentRequirements/payTo must match pattern"],
    [
      "value as a number",
      ["paymentPayload", "payload", "authorization", "value"],
      1000000,
      "body/paymentPayload/payload/authorization/value must be string",
    ],
    [
      "a short nonce",
      ["paymentPayload", "payload", "authorization", "nonce"],
      "0x01",
      "body/paymentPayload/payload/authorization/nonce must match pattern",
    ],
    [
      "a non-hex signature",
      ["paymentPayload", "payload", "signature"],
      "0xzz",
      "body/paymentPayload/payload/signature must match pattern",
    ],
    [
      "a missing authorization field",
      ["paymentPayload", "payload", "authorization", "validBefore"],
      undefined,
      "must have required property 'validBefore'",
    ],
    [
      "maxTimeoutSeconds as a string",
      ["paymentRequirements", "maxTimeoutSeconds"],
      "60",
      "body/paymentRequirements/maxTimeoutSeconds must be integer",
    ],
  ])("rejects %s with a message naming it", async (_name, path, value, message) => {
    const response = await post(url, withPath(valid, path, value));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: "invalid_request", message: expect.stringContaining(message) });
  });

  it("rejects an oversized body with 413", async () => {
    const response = await post(url, { ...valid, padding: "x".repeat(70_000) });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: "payload_too_large", message: "request body is larger than 65536 bytes" });
  });

  it("rejects a body that is not JSON with 415", async () => {
    const response = await post(url, "x402Version=2", "text/plain");
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({
      error: "unsupported_media_type",
      message: expect.stringContaining("application/json"),
    });
  });

  it("rejects prototype poisoning", async () => {
    const response = await post(url, `{"__proto__": {"isValid": true}, "x402Version": 2}`);
    expect(response.statusCode).toBe(400);
  });
});

it("answers unknown routes with 404 naming the routes it serves", async () => {
  for (const [method, url] of [
    ["GET", "/nope"],
    ["GET", "/verify"],
    ["DELETE", "/settle"],
    ["POST", "/supported"],
  ] as const) {
    const response = await service.server.inject({ method, url });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: "not_found",
      message: expect.stringContaining(
        "GET /supported, GET /healthz, GET /readyz, GET /status, GET /metrics, POST /verify, POST /settle",
      ),
    });
  }
});

describe("1,000+ random malformed bodies", () => {
  it("never produce a 5xx or an unparseable answer on /verify and /settle", async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 0x402);
    const random = mulberry32(seed);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1_200; i++) {
      const body = malformedBody(valid, random);
      const url = i % 2 === 0 ? "/verify" : "/settle";
      const response = await post(url, body);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      const context = `seed ${seed}, case ${i}, ${url}: ${body.slice(0, 300)}`;
      expect(response.statusCode, context).toBeLessThan(500);
      const answer = response.json<Record<string, unknown>>();
      if (response.statusCode === 200) {
        expect("isValid" in answer || "success" in answer, context).toBe(true);
      } else {
        expect(answer, context).toEqual({ error: expect.any(String), message: expect.any(String) });
      }
    }
    // The generator reaches both the schema (4xx) and the x402 layer (200 verdicts).
    expect(statuses.get(400) ?? 0).toBeGreaterThan(300);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(20);
  });
});

/** Deterministic PRNG so a failing case can be replayed with FUZZ_SEED. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const junk = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53,
  "",
  "0x",
  "0x" + "f".repeat(40),
  "0x" + "0".repeat(64),
  "1e6",
  "-5",
  "💸",
  "a".repeat(300),
  [],
  [1, "2"],
  {},
  { a: 1 },
  "__proto__",
  "constructor",
];

function malformedBody(valid: Record<string, unknown>, random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const kind = random();
  if (kind < 0.1) {
    // Broken JSON: a truncated or byte-flipped valid body.
    const text = JSON.stringify(valid);
    const cut = Math.floor(random() * text.length);
    return random() < 0.5
      ? text.slice(0, cut)
      : text.slice(0, cut) + pick(["}", "{", '"', "\\", ",", "\u0000"]) + text.slice(cut + 1);
  }
  const junkValue = (): unknown => structuredClone(pick(junk));
  if (kind < 0.2) return JSON.stringify(junkValue());
  // Structural mutations of a valid body: 1-4 random paths replaced, deleted or re-typed.
  const body = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  const mutations = 1 + Math.floor(random() * 4);
  for (let m = 0; m < mutations; m++) {
    const path = randomPath(body, random);
    if (path.length === 0) continue;
    let node = body as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path.at(-1)!;
    const action = random();
    if (action < 0.3) delete node[last];
    else if (action < 0.85) node[last] = junkValue();
    // defineProperty: "__proto__" becomes a real key in the JSON text, as an attacker would send it.
    else
      Object.defineProperty(node, pick(["extra", "x", "__proto__", "constructor", "prototype"]), {
        value: junkValue(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return JSON.stringify(body);
}

function randomPath(body: unknown, random: () => number): string[] {
  const path: string[] = [];
  let node = body;
  while (node && typeof node === "object" && !Array.isArray(node)) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[Math.floor(random() * keys.length)]!;
    path.push(key);
    if (random() < 0.35) break;
    node = (node as Record<string, unknown>)[key];
  }
  return path;
}
