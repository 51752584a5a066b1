// Composition: config → chain → x402 → HTTP. The only place the layers meet.
import type { FastifyInstance } from "fastify";
import { pino, type DestinationStream, type Logger } from "pino";
import { privateKeyToAccount } from "viem/accounts";
import { createAmoyClient, type AmoyClient } from "./chain/clients.js";
import { TransactionSender } from "./chain/sender.js";
import type { Config, LogLevel } from "./config/config.js";
import { buildServer } from "./http/server.js";
import { Facilitator } from "./x402/facilitator.js";

export interface App {
  readonly client: AmoyClient;
  readonly facilitator: Facilitator;
  readonly server: FastifyInstance;
}

export function createApp(config: Config, logger: Logger): App {
  const client = createAmoyClient(config);
  const sender = new TransactionSender(client, privateKeyToAccount(config.privateKey));
  const facilitator = new Facilitator({
    client,
    sender,
    usdc: config.usdcAddress,
    realSettle: config.realSettle,
    settleTimeoutMs: config.settleTimeoutMs,
  });
  return { client, facilitator, server: buildServer({ facilitator, logger }) };
}

/** JSON logs on stdout; anything named like a secret is redacted should it ever be logged. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "facilitator-amoy" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ["privateKey", "*.privateKey", "config", "*.config", "req.headers.authorization", 'req.headers["x-api-key"]'],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
