// Composition: config → chain → x402 → HTTP. The only place the layers meet.
import type { FastifyInstance } from "fastify";
import { pino, type DestinationStream, type Logger } from "pino";
import { privateKeyToAccount } from "viem/accounts";
import { createAmoyClient, type AmoyClient } from "./chain/clients.js";
import { ChainHealth } from "./chain/health.js";
import { ReceiptWatcher } from "./chain/receipts.js";
import { SignerPool } from "./chain/signers.js";
import type { Config, LogLevel } from "./config/config.js";
import { buildServer, type Lifecycle } from "./http/server.js";
import { Metrics } from "./metrics/metrics.js";
import { Facilitator } from "./x402/facilitator.js";

/** One readiness answer is reused this long (probes every 5 s, scrapes every 30 s, from each replica). */
const HEALTH_TTL_MS = 2_000;
/** A readiness check that takes longer than this is a red answer, well inside the probe's 5 s timeout. */
const HEALTH_TIMEOUT_MS = 2_000;
/** Receipt polling: Amoy makes a block about every 2 s; anvil's automine answers at the first look. */
const RECEIPT_POLL_MS = 250;

export interface App {
  readonly client: AmoyClient;
  readonly facilitator: Facilitator;
  readonly health: ChainHealth;
  readonly receipts: ReceiptWatcher;
  readonly lifecycle: Lifecycle;
  readonly server: FastifyInstance;
}

export function createApp(config: Config, logger: Logger): App {
  const client = createAmoyClient(config);
  const signers = new SignerPool(
    client,
    config.privateKeys.map((key) => privateKeyToAccount(key)),
    config.minPriorityFeeWei,
  );
  const receipts = new ReceiptWatcher(client, RECEIPT_POLL_MS);
  const facilitator = new Facilitator({
    client,
    signers,
    receipts,
    usdc: config.usdcAddress,
    realSettle: config.realSettle,
    settleTimeoutMs: config.settleTimeoutMs,
    payers: {
      minPaymentAmount: config.minPaymentAmount,
      allowContractPayers: config.allowContractPayers,
      contractPayerGasLimit: config.contractPayerGasLimit,
      revertCooldownMs: config.payerRevertCooldownMs,
    },
  });
  const health = new ChainHealth(client, {
    signers: signers.addresses,
    minBalanceWei: config.realSettle ? config.minSignerBalanceWei : undefined,
    ttlMs: HEALTH_TTL_MS,
    timeoutMs: HEALTH_TIMEOUT_MS,
  });
  const lifecycle: Lifecycle = { draining: false };
  const metrics = new Metrics(
    () => health.check(),
    () => !lifecycle.draining,
    () => receipts.pending,
  );
  const server = buildServer({
    facilitator,
    logger,
    metrics,
    health: () => health.check(),
    lifecycle,
    apiKeys: config.apiKeys,
    timeouts: { requestMs: config.requestTimeoutMs, settleMs: config.settleTimeoutMs },
  });
  return { client, facilitator, health, receipts, lifecycle, server };
}

/** JSON logs on stdout; anything named like a secret is redacted should it ever be logged. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "facilitator-amoy" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "privateKey",
        "*.privateKey",
        "privateKeys",
        "*.privateKeys",
        "apiKeys",
        "*.apiKeys",
        "config",
        "*.config",
        "req.headers.authorization",
        'req.headers["x-api-key"]',
      ],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
