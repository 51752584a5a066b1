// HTTP layer: JSON schemas for the request bodies. They pin every field the x402 layer reads to a
// well-formed value (addresses, uint256 decimals, bytes32, hex), so malformed input is a 400 that
// names the field, never an exception further down.
const address = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" } as const;
// Decimal integer below 10^77 (< 2^256), no leading zeros.
const uint256 = { type: "string", pattern: "^(0|[1-9][0-9]{0,76})$" } as const;
const bytes32 = { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } as const;
// 65-byte ECDSA, ERC-1271 or ERC-6492-wrapped signatures; bounded by the body limit anyway.
const signature = { type: "string", pattern: "^0x([0-9a-fA-F]{2})+$", maxLength: 16_384 } as const;
const label = { type: "string", minLength: 1, maxLength: 128 } as const;

const requirements = {
  type: "object",
  required: ["scheme", "network", "asset", "payTo", "maxTimeoutSeconds"],
  properties: {
    scheme: label,
    network: label,
    asset: address,
    payTo: address,
    amount: uint256,
    maxAmountRequired: uint256,
    maxTimeoutSeconds: { type: "integer", minimum: 0, maximum: 2_147_483_647 },
    extra: { type: "object" },
  },
} as const;

const payload = {
  type: "object",
  properties: {
    signature,
    authorization: {
      type: "object",
      required: ["from", "to", "value", "validAfter", "validBefore", "nonce"],
      properties: {
        from: address,
        to: address,
        value: uint256,
        validAfter: uint256,
        validBefore: uint256,
        nonce: bytes32,
      },
    },
  },
} as const;

const paymentPayload = {
  type: "object",
  required: ["x402Version", "payload"],
  properties: {
    x402Version: { type: "integer" },
    scheme: label,
    network: label,
    accepted: requirements,
    payload,
    resource: { type: "object" },
    extensions: { type: "object" },
  },
} as const;

/** POST /verify and POST /settle: {x402Version, paymentPayload, paymentRequirements}, v2 or v1. */
export const paymentRequestBody = {
  type: "object",
  required: ["x402Version", "paymentPayload", "paymentRequirements"],
  properties: {
    x402Version: { type: "integer", enum: [1, 2] },
    paymentPayload,
    paymentRequirements: requirements,
  },
  allOf: [
    {
      if: { properties: { x402Version: { const: 2 } } },
      then: {
        properties: {
          paymentPayload: { type: "object", required: ["accepted"], properties: { x402Version: { const: 2 } } },
          paymentRequirements: { type: "object", required: ["amount"] },
        },
      },
    },
    {
      if: { properties: { x402Version: { const: 1 } } },
      then: {
        properties: {
          paymentPayload: {
            type: "object",
            required: ["scheme", "network"],
            properties: { x402Version: { const: 1 } },
          },
          paymentRequirements: { type: "object", required: ["maxAmountRequired"] },
        },
      },
    },
  ],
} as const;
