// Config layer: environment variables → one typed, validated Config.
// Every problem becomes one line that names the variable and the fix; the private key's value is
// never part of any message (and neither is the RPC URL's path/query, which often holds an API token).
import { z } from "zod";
import { getAddress, isAddress, parseGwei, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { SERVICE_PORT, SHUTDOWN } from "../contract.js";

/** Circle's USDC on Polygon Amoy. */
export const CIRCLE_AMOY_USDC: Address = "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582";
export const DEFAULT_PORT = SERVICE_PORT;
/** 0.01 POL: a few settlements' worth of gas on Amoy. */
export const DEFAULT_MIN_SIGNER_BALANCE_WEI = 10_000_000_000_000_000n;
/** Kubernetes sends SIGTERM after the pod's preStop (5 s) and SIGKILLs 45 s later (components/runtime/kubernetes/deployment.ts); 25 s drains well inside that and inside Kubernetes' default 30 s. */
export const DEFAULT_SHUTDOWN_GRACE_MS = SHUTDOWN.graceMs;
/** Polygon PoS nodes refuse a priority fee below 25 gwei (PIP-35; chain/fees.ts). */
export const DEFAULT_MIN_PRIORITY_FEE_GWEI = 25;
/** Gas a contract payer's settlement may use: a FiatToken transfer with an ERC-1271 check takes ~100k. */
export const DEFAULT_CONTRACT_PAYER_GAS_LIMIT = 200_000;
/** A payer whose settlement reverted on chain is refused this long. */
export const DEFAULT_PAYER_REVERT_COOLDOWN_SECONDS = 3_600;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** Settlement wallet keys (one by default; a pool spreads settlements over several). Never log, print or return them. */
  readonly privateKeys: readonly Hex[];
  readonly rpcUrl: string;
  readonly usdcAddress: Address;
  /** false: /settle verifies and simulates with eth_call, and never broadcasts. */
  readonly realSettle: boolean;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  /** A client must deliver a request's headers and body within this; a stalled upload is cut off. */
  readonly requestTimeoutMs: number;
  /** Settlements never offer a smaller priority fee (Polygon PoS refuses below 25 gwei, PIP-35). */
  readonly minPriorityFeeWei: bigint;
  /** Bound on each JSON-RPC request. */
  readonly rpcTimeoutMs: number;
  /** How long /settle waits for the receipt before answering settlement_pending with the hash. */
  readonly settleTimeoutMs: number;
  /** Bearer tokens accepted on /verify and /settle; empty: open. Never log them. */
  readonly apiKeys: readonly string[];
  /** /readyz is red (with REAL_SETTLE=true) while any signer holds less native balance than this. */
  readonly minSignerBalanceWei: bigint;
  /** After SIGTERM: how long in-flight settlements may take before they answer settlement_pending. */
  readonly shutdownGraceMs: number;
  /** Smallest payment (atomic units) verified or settled; a settlement below it would cost more gas than it moves. */
  readonly minPaymentAmount: bigint;
  /** Payers with code (ERC-1271 smart wallets, EIP-7702 accounts); off: refused. */
  readonly allowContractPayers: boolean;
  /** Gas cap of one contract payer's settlement. */
  readonly contractPayerGasLimit: number;
  /** How long a payer whose settlement reverted on chain is refused. */
  readonly payerRevertCooldownMs: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const boolean = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine(
      (v) => ["true", "false", "1", "0"].includes(v),
      (v) => ({ message: `${name} must be true or false (got "${shown(v)}")` }),
    )
    .transform((v) => v === "true" || v === "1");

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .refine(
      (v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max,
      (v) => ({
        message: `${name} must be an integer from ${min} to ${max} (got "${shown(v)}")`,
      }),
    )
    .transform(Number);

const schema = z.object({
  FACILITATOR_PRIVATE_KEY: z
    .string()
    .trim()
    .refine(
      isValidPrivateKey,
      "FACILITATOR_PRIVATE_KEY is not a valid secp256k1 private key: expected 0x followed by 64 hex characters (value not shown)",
    )
    .transform((v) => v as Hex)
    .optional(),
  FACILITATOR_PRIVATE_KEYS: z
    .string()
    .transform((v) => v.split(",").map((k) => k.trim()))
    .superRefine((keys, ctx) => {
      keys.forEach((k, i) => {
        if (!isValidPrivateKey(k)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `FACILITATOR_PRIVATE_KEYS entry ${i + 1} of ${keys.length} is not a valid secp256k1 private key: expected comma-separated 0x + 64 hex characters (value not shown)`,
          });
        }
      });
      if (new Set(keys.map((k) => k.toLowerCase())).size !== keys.length) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: "FACILITATOR_PRIVATE_KEYS lists the same key twice: each signer must be distinct (values not shown)",
        });
      }
    })
    .transform((keys) => keys as Hex[])
    .optional(),
  AMOY_RPC_URL: z
    .string({
      required_error: "AMOY_RPC_URL is required: set it to a Polygon Amoy JSON-RPC endpoint (http:// or https://)",
    })
    .trim()
    .refine(isHttpUrl, "AMOY_RPC_URL must be an http:// or https:// URL of a Polygon Amoy JSON-RPC endpoint"),
  AMOY_USDC_ADDRESS: z
    .string()
    .trim()
    .refine(
      (v) => isAddress(v, { strict: false }),
      (v) => ({
        message: `AMOY_USDC_ADDRESS must be a 0x-prefixed 20-byte hex address (got "${shown(v)}"); leave it unset for Circle's Amoy USDC`,
      }),
    )
    .transform((v) => getAddress(v))
    .default(CIRCLE_AMOY_USDC),
  REAL_SETTLE: boolean("REAL_SETTLE").default("false"),
  HOST: z.string().trim().min(1, "HOST must not be empty (default 0.0.0.0)").default("0.0.0.0"),
  PORT: integer("PORT", 1, 65535).default(String(DEFAULT_PORT)),
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .refine(
      (v): v is LogLevel => (LOG_LEVELS as readonly string[]).includes(v),
      (v) => ({
        message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${shown(v)}")`,
      }),
    )
    .default("info"),
  REQUEST_TIMEOUT_MS: integer("REQUEST_TIMEOUT_MS", 100, 120_000).default("10000"),
  RPC_TIMEOUT_MS: integer("RPC_TIMEOUT_MS", 100, 120_000).default("5000"),
  MIN_PRIORITY_FEE_GWEI: z
    .string()
    .trim()
    .refine(
      (v) => /^\d{1,6}(\.\d{1,9})?$/.test(v),
      (v) => ({
        message: `MIN_PRIORITY_FEE_GWEI must be a non-negative number of gwei with at most 9 decimals (got "${shown(v)}"); Polygon Amoy refuses tips below 25`,
      }),
    )
    .transform((v) => parseGwei(v))
    .default(String(DEFAULT_MIN_PRIORITY_FEE_GWEI)),
  SETTLE_TIMEOUT_MS: integer("SETTLE_TIMEOUT_MS", 100, 600_000).default("60000"),
  FACILITATOR_API_KEYS: z
    .string()
    .transform((v) =>
      v
        .split(",")
        .map((k) => k.trim())
        .filter((k) => k !== ""),
    )
    .refine((keys) => keys.every((k) => /^[\x21-\x7e]{16,256}$/.test(k)), {
      message:
        "FACILITATOR_API_KEYS must be comma-separated keys of 16 to 256 printable characters without spaces (values not shown); generate one with `openssl rand -hex 32`",
    })
    .optional(),
  MIN_SIGNER_BALANCE_WEI: z
    .string()
    .trim()
    .refine(
      (v) => /^\d{1,78}$/.test(v),
      (v) => ({
        message: `MIN_SIGNER_BALANCE_WEI must be a non-negative integer amount of wei (got "${shown(v)}"), e.g. 10000000000000000 for 0.01 POL`,
      }),
    )
    .transform((v) => BigInt(v))
    .default(DEFAULT_MIN_SIGNER_BALANCE_WEI.toString()),
  SHUTDOWN_GRACE_MS: integer("SHUTDOWN_GRACE_MS", 0, 600_000).default(String(DEFAULT_SHUTDOWN_GRACE_MS)),
  MIN_PAYMENT_AMOUNT: z
    .string()
    .trim()
    .refine(
      (v) => /^[1-9]\d{0,76}$/.test(v),
      (v) => ({
        message: `MIN_PAYMENT_AMOUNT must be a positive integer amount of the token's atomic units (got "${shown(v)}"), e.g. 1000 for 0.001 USDC; 0 is not allowed: a zero-value settlement only costs gas`,
      }),
    )
    .transform((v) => BigInt(v))
    .default("1"),
  ALLOW_CONTRACT_PAYERS: boolean("ALLOW_CONTRACT_PAYERS").default("false"),
  CONTRACT_PAYER_GAS_LIMIT: integer("CONTRACT_PAYER_GAS_LIMIT", 50_000, 10_000_000).default(
    String(DEFAULT_CONTRACT_PAYER_GAS_LIMIT),
  ),
  PAYER_REVERT_COOLDOWN_SECONDS: integer("PAYER_REVERT_COOLDOWN_SECONDS", 0, 604_800).default(
    String(DEFAULT_PAYER_REVERT_COOLDOWN_SECONDS),
  ),
});

/** The schema, for the generated reference (defaults; which variables are optional). */
export { schema as envSchema };

/**
 * What each variable means. docs/facilitator-env.md is generated from this and the schema's defaults
 * (`npm run docs` at the repository root); a test fails when the page and the schema disagree.
 */
export const ENV_DOCS: Record<keyof typeof schema.shape, { readonly secret?: true; readonly text: string }> = {
  FACILITATOR_PRIVATE_KEY: {
    secret: true,
    text: "The settlement wallet's private key, 0x + 64 hex; it pays the gas. Set this or FACILITATOR_PRIVATE_KEYS, exactly one. Never printed, logged or returned.",
  },
  FACILITATOR_PRIVATE_KEYS: {
    secret: true,
    text: "A signer pool instead of FACILITATOR_PRIVATE_KEY: distinct keys, comma-separated. Settlements go round robin, each key with its own nonce sequence; every key needs POL for gas.",
  },
  AMOY_RPC_URL: {
    secret: true,
    text: "Polygon Amoy JSON-RPC endpoint, http:// or https:// (may embed an API token; only scheme and host are logged). Start-up refuses a chain id other than 80002; an endpoint that does not answer yet is reported by GET /status until it does.",
  },
  AMOY_USDC_ADDRESS: {
    text: "The EIP-3009 token settled in: Circle's USDC on Amoy, or a test token's address on a local chain.",
  },
  REAL_SETTLE: {
    text: "true: broadcast settlements. false: verify and simulate the transfer (eth_call), broadcast nothing.",
  },
  HOST: { text: "Listen address." },
  PORT: { text: "Listen port (1-65535)." },
  LOG_LEVEL: { text: "fatal, error, warn, info, debug, trace or silent. JSON lines on stdout." },
  REQUEST_TIMEOUT_MS: {
    text: "A client must deliver a request's headers and body within this (100-120000); a stalled upload is cut off.",
  },
  RPC_TIMEOUT_MS: { text: "Bound on each JSON-RPC request (100-120000); a failed read is retried once." },
  MIN_PRIORITY_FEE_GWEI: {
    text: "Settlements never offer a smaller priority fee, in gwei (up to 9 decimals). Polygon PoS nodes refuse tips below 25 gwei (PIP-35).",
  },
  SETTLE_TIMEOUT_MS: {
    text: "How long POST /settle waits for the receipt (100-600000) before it answers settlement_pending with the transaction hash.",
  },
  FACILITATOR_API_KEYS: {
    secret: true,
    text: "Comma-separated keys, 16-256 printable characters each (openssl rand -hex 32). Set: /verify and /settle require Authorization: Bearer <key>. Unset: open. Never logged.",
  },
  MIN_SIGNER_BALANCE_WEI: {
    text: "With REAL_SETTLE=true, a signer holding less native balance (wei) than this is a problem on GET /status and turns facilitator_dependencies_healthy to 0. 10^16 wei = 0.01 POL.",
  },
  SHUTDOWN_GRACE_MS: {
    text: "After SIGTERM, how long in-flight settlements may wait for their receipt (0-600000) before they answer settlement_pending with their hash.",
  },
  MIN_PAYMENT_AMOUNT: {
    text: "Smallest payment in the token's atomic units (1 = 0.000001 USDC); below it: amount_below_minimum. 0 is refused: a zero-value settlement only costs gas.",
  },
  ALLOW_CONTRACT_PAYERS: {
    text: "true: accept payers with code (ERC-1271 smart wallets, EIP-7702 accounts), gas-capped. false: they get contract_payer_not_allowed.",
  },
  CONTRACT_PAYER_GAS_LIMIT: {
    text: "Gas cap of one contract payer's settlement (50000-10000000); a settlement needing more gets contract_payer_gas_limit_exceeded and nothing is sent.",
  },
  PAYER_REVERT_COOLDOWN_SECONDS: {
    text: "A payer whose settlement reverted on chain is refused with payer_cooling_down for this long (0-604800; 0: never).",
  },
};

/** Reads and validates the environment. Empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = schema.safeParse(present);
  const problems = [
    ...keyProblems(present),
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => issue.message)),
  ];
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const e = parsed.data;
  const privateKeys = e.FACILITATOR_PRIVATE_KEYS ?? [e.FACILITATOR_PRIVATE_KEY!];
  return {
    ok: true,
    config: {
      privateKeys,
      rpcUrl: e.AMOY_RPC_URL,
      usdcAddress: e.AMOY_USDC_ADDRESS,
      realSettle: e.REAL_SETTLE,
      host: e.HOST,
      port: e.PORT,
      logLevel: e.LOG_LEVEL as LogLevel,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      minPriorityFeeWei: e.MIN_PRIORITY_FEE_GWEI,
      rpcTimeoutMs: e.RPC_TIMEOUT_MS,
      settleTimeoutMs: e.SETTLE_TIMEOUT_MS,
      apiKeys: e.FACILITATOR_API_KEYS ?? [],
      minSignerBalanceWei: e.MIN_SIGNER_BALANCE_WEI,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      minPaymentAmount: e.MIN_PAYMENT_AMOUNT,
      allowContractPayers: e.ALLOW_CONTRACT_PAYERS,
      contractPayerGasLimit: e.CONTRACT_PAYER_GAS_LIMIT,
      payerRevertCooldownMs: e.PAYER_REVERT_COOLDOWN_SECONDS * 1000,
    },
  };
}

/** Exactly one of FACILITATOR_PRIVATE_KEY (one signer) and FACILITATOR_PRIVATE_KEYS (a pool). */
function keyProblems(env: Record<string, string | undefined>): string[] {
  const single = env.FACILITATOR_PRIVATE_KEY !== undefined;
  const pool = env.FACILITATOR_PRIVATE_KEYS !== undefined;
  if (single && pool)
    return [
      "FACILITATOR_PRIVATE_KEY and FACILITATOR_PRIVATE_KEYS are both set: set only one (FACILITATOR_PRIVATE_KEYS for a signer pool)",
    ];
  if (!single && !pool) {
    return [
      "FACILITATOR_PRIVATE_KEY is required: set it to the settlement wallet's private key (0x + 64 hex characters), or FACILITATOR_PRIVATE_KEYS to a comma-separated signer pool",
    ];
  }
  return [];
}

/** The RPC URL without path, query or credentials: safe to log (API tokens live in those parts). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "<invalid url>";
  }
}

/** Echo of a non-secret value, bounded so a pasted blob cannot flood the log. */
function shown(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

function isValidPrivateKey(value: string): boolean {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) return false;
  try {
    privateKeyToAccount(value as Hex); // rejects 0 and values ≥ the curve order
    return true;
  } catch {
    return false;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && u.host !== "";
  } catch {
    return false;
  }
}
