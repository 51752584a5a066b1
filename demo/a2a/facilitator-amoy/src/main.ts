// Entry point: validate env, refuse a wrong or dead RPC, serve, and close cleanly on SIGTERM.
import { createApp, createLogger } from "./app.js";
import { checkChainId } from "./chain/clients.js";
import { loadConfig, redactUrl } from "./config/config.js";

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<number> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`facilitator: config error: ${problem}\n`);
    return 1;
  }
  const { config } = loaded;
  const logger = createLogger(config.logLevel);
  const { client, facilitator, server } = createApp(config, logger);

  const chain = await checkChainId(client, redactUrl(config.rpcUrl));
  if (!chain.ok) {
    process.stderr.write(`facilitator: start-up error: ${chain.problem}\n`);
    return 1;
  }

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => {
      logger.error({ graceMs: SHUTDOWN_GRACE_MS }, "shutdown grace period exceeded");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "error while closing");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  await server.listen({ host: config.host, port: config.port });
  logger.info(
    {
      port: config.port,
      signer: facilitator.signerAddress,
      usdc: config.usdcAddress,
      realSettle: config.realSettle,
      rpc: redactUrl(config.rpcUrl),
    },
    config.realSettle ? "facilitator listening (REAL_SETTLE=true: settlements are broadcast)" : "facilitator listening (REAL_SETTLE=false: settlements are simulated, never broadcast)",
  );
  return 0;
}

main().then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`facilitator: fatal: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
