// Entry point: validate env, refuse a wrong chain, serve, and drain in-flight settlements on SIGTERM.
import { createApp, createLogger } from "./app.js";
import { checkChainId } from "./chain/clients.js";
import { SHUTDOWN } from "./contract.js";
import { loadConfig, redactUrl } from "./config/config.js";
import { recoveryBackend } from "./x402/signature.js";

/** After the grace period, what is still open gets this long to answer before the process gives up. */
const FORCE_EXIT_MARGIN_MS = SHUTDOWN.exitMarginMs;

async function main(): Promise<number> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`facilitator: config error: ${problem}\n`);
    return 1;
  }
  const { config } = loaded;
  const logger = createLogger(config.logLevel);
  const { client, facilitator, receipts, lifecycle, server } = createApp(config, logger);

  // A wrong chain is a configuration error: refuse to start. An RPC that does not answer yet may be
  // a passing outage: serve with /readyz red, and recover without a restart when it answers.
  const chain = await checkChainId(client, redactUrl(config.rpcUrl));
  if (!chain.ok && !chain.unreachable) {
    process.stderr.write(`facilitator: start-up error: ${chain.problem}\n`);
    return 1;
  }
  if (!chain.ok)
    logger.warn(
      { problem: chain.problem },
      "RPC not answering at start-up: /readyz stays red and /verify, /settle answer 503 until it does",
    );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    lifecycle.draining = true;
    logger.info(
      { signal, graceMs: config.shutdownGraceMs, awaitingReceipts: receipts.pending },
      "shutting down: refusing new work, finishing in-flight settlements",
    );
    // Past the grace period, settlements still waiting for a receipt answer settlement_pending with their hash.
    const grace = setTimeout(() => {
      logger.warn(
        { awaitingReceipts: receipts.pending },
        "shutdown grace period over: answering in-flight settlements as pending",
      );
      receipts.stop();
    }, config.shutdownGraceMs);
    setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, "requests still open after the grace period: exiting");
      process.exit(1);
    }, config.shutdownGraceMs + FORCE_EXIT_MARGIN_MS).unref();
    // Connections that were busy when closing began go idle later: close them as they do.
    setInterval(() => server.server.closeIdleConnections(), 100).unref();
    server.close().then(
      () => {
        clearTimeout(grace);
        logger.info("shut down cleanly");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "error while closing");
        process.exit(1);
      },
    );
  };
  // A library promise nobody awaits must not take every in-flight settlement down with the process.
  process.on("unhandledRejection", (reason: unknown) => {
    logger.error(
      { error: reason instanceof Error ? reason.message.split("\n")[0] : String(reason) },
      "unhandled promise rejection (ignored)",
    );
  });
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  if (!recoveryBackend.native) {
    logger.warn(
      { problem: recoveryBackend.reason },
      "native secp256k1 binding not loadable on this platform: signatures are recovered in pure JS, /verify needs about 20 times more CPU",
    );
  }
  await server.listen({ host: config.host, port: config.port });
  logger.info(
    {
      port: config.port,
      signers: facilitator.signerAddresses,
      usdc: config.usdcAddress,
      realSettle: config.realSettle,
      rpc: redactUrl(config.rpcUrl),
      auth: config.apiKeys.length > 0 ? "api keys required on /verify and /settle" : "open",
      signatureRecovery: recoveryBackend.native ? "native (libsecp256k1)" : "pure JS (@noble/curves)",
    },
    config.realSettle
      ? "facilitator listening (REAL_SETTLE=true: settlements are broadcast)"
      : "facilitator listening (REAL_SETTLE=false: settlements are simulated, never broadcast)",
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
