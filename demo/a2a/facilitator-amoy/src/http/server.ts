// HTTP layer: the standard x402 facilitator API on Fastify, plus /healthz, /readyz, /status and /metrics.
// Maps x402-layer outcomes to HTTP: verdicts (valid or not) are 200, malformed requests 4xx with a
// message naming the problem, "RPC unavailable" 503 with Retry-After. Logs one line per request
// and counts every response for Prometheus.
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type onRequestHookHandler,
} from "fastify";
import type { Logger } from "pino";
import type { HealthReport } from "../chain/health.js";
import { PATHS } from "../contract.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Facilitator, Outcome } from "../x402/facilitator.js";
import { classifySettlement } from "../x402/settlementOutcome.js";
import type { FacilitatorRequest } from "../x402/payment.js";
import { apiKeyCheck } from "./apiKeys.js";
import { paymentRequestBody } from "./schemas.js";

export const BODY_LIMIT_BYTES = 64 * 1024;
const RETRY_AFTER_SECONDS = 2;
const ROUTES = [
  ...[PATHS.supported, PATHS.live, PATHS.ready, PATHS.status, PATHS.metrics].map((path) => `GET ${path}`),
  ...[PATHS.verify, PATHS.settle].map((path) => `POST ${path}`),
].join(", ");

declare module "fastify" {
  interface FastifyRequest {
    /** The verdict's reason code, for the request log line. */
    x402Reason?: string;
  }
}

/** Set by the shutdown sequence: /readyz turns red so load balancers stop sending work. */
export interface Lifecycle {
  draining: boolean;
}

export interface ServerOptions {
  readonly facilitator: Facilitator;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: () => Promise<HealthReport>;
  readonly lifecycle: Lifecycle;
  /** Bearer tokens for /verify and /settle; empty: open. */
  readonly apiKeys: readonly string[];
  /** `requestMs`: to receive a request's headers and body; `settleMs`: the longest /settle waits for a receipt. */
  readonly timeouts: { readonly requestMs: number; readonly settleMs: number };
}

/**
 * Node checks request deadlines on a timer (connectionsCheckingInterval, default 30 s); a quarter of
 * the request timeout keeps the cut-off near the deadline.
 * https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener
 */
const DEADLINE_CHECKS_PER_TIMEOUT = 4;

export function buildServer({
  facilitator,
  logger,
  metrics,
  health,
  lifecycle,
  apiKeys,
  timeouts,
}: ServerOptions): FastifyInstance {
  const app = Fastify({
    // Fastify disables Node's request deadline by default (requestTimeout 0): a client that stalls its
    // body would hold a socket forever. Headers and body must arrive within requestMs; an idle socket
    // is closed after the longest answer we may owe it (a /settle waiting for its receipt) plus requestMs.
    // https://fastify.dev/docs/latest/Reference/Server/#requesttimeout
    http: {
      headersTimeout: timeouts.requestMs,
      connectionsCheckingInterval: Math.max(25, Math.floor(timeouts.requestMs / DEADLINE_CHECKS_PER_TIMEOUT)),
    },
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.settleMs + timeouts.requestMs,
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Strict types: "2" is not 2. Keep unknown fields (x402 extensions) untouched.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    schemaErrorFormatter: (errors, dataVar) => {
      const e = errors[0]!;
      const where = `${dataVar}${e.instancePath}`;
      const params = e.params as { allowedValues?: unknown[]; allowedValue?: unknown } | undefined;
      const allowed = params?.allowedValues
        ? `: ${params.allowedValues.join(", ")}`
        : params?.allowedValue !== undefined
          ? ` ${JSON.stringify(params.allowedValue)}`
          : "";
      return new Error(`${where} ${e.message ?? "is invalid"}${allowed}`);
    },
  }) as unknown as FastifyInstance;

  // JSON only: a text/plain body is a 415, not a string that fails the schema.
  app.removeContentTypeParser("text/plain");

  // Draining: tell keep-alive clients to reconnect elsewhere, so the server can close promptly.
  app.addHook("onSend", async (_request, reply) => {
    if (lifecycle.draining) reply.header("connection", "close");
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "(no route)";
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ...(request.x402Reason ? { reason: request.x402Reason } : {}),
      },
      "request",
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ error: "invalid_request", message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: clientErrorCode(error), message: clientErrorMessage(error) });
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.code(500).send({ error: "internal_error", message: "internal error; see the facilitator's logs" });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: "not_found",
      message: `no route ${request.method} ${request.url.split("?")[0]}; this facilitator serves ${ROUTES}`,
    }),
  );

  app.get(PATHS.live, async () => ({ status: "ok" }));

  // This process only: started (it answers) and not draining. Never what all replicas share (the
  // RPC, the signers' funds): a red answer there would empty the Service, and clients would get
  // connection errors instead of our 503 with Retry-After (and lose /verify, which needs no gas).
  app.get(PATHS.ready, async (_request, reply) => {
    if (lifecycle.draining)
      return reply.code(503).send({ status: "draining", problems: ["the facilitator is shutting down"] });
    return reply.code(200).send({ status: "ready" });
  });

  // For humans and dashboards: the shared dependencies, each problem with its fix. Always 200: the
  // answer is in the body (the facilitator_dependencies_healthy metric carries it to alerts).
  app.get(PATHS.status, async () => {
    const report = await health();
    const balances = Object.fromEntries(report.balances.map((b) => [b.signer, b.wei.toString()]));
    return {
      dependencies: report.healthy ? "healthy" : "unhealthy",
      draining: lifecycle.draining,
      problems: report.problems,
      signerBalancesWei: balances,
    };
  });

  app.get(PATHS.metrics, async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });

  app.get(PATHS.supported, async () => facilitator.supported);

  // Checked before the body is even read: a missing or wrong key costs no parsing and no RPC call.
  const authorized: onRequestHookHandler[] = apiKeys.length > 0 ? [apiKeyCheck(apiKeys)] : [];

  app.post<{ Body: FacilitatorRequest }>(
    PATHS.verify,
    { schema: { body: paymentRequestBody }, onRequest: authorized },
    async (request, reply) => {
      const stopTimer = metrics.verifyDuration.startTimer();
      try {
        const outcome = await facilitator.verify(request.body);
        if (outcome.ok) request.x402Reason = outcome.value.invalidReason;
        return send(reply, outcome);
      } finally {
        stopTimer();
      }
    },
  );

  app.post<{ Body: FacilitatorRequest }>(
    PATHS.settle,
    { schema: { body: paymentRequestBody }, onRequest: authorized },
    async (request, reply) => {
      const stopTimer = metrics.settleDuration.startTimer();
      try {
        const outcome = await facilitator.settle(request.body);
        metrics.settlements.inc(classifySettlement(outcome));
        if (outcome.ok) request.x402Reason = outcome.value.errorReason;
        return send(reply, outcome);
      } finally {
        stopTimer();
      }
    },
  );

  return app;
}

function send<T>(reply: FastifyReply, outcome: Outcome<T>): FastifyReply {
  if (outcome.ok) return reply.code(200).send(outcome.value);
  reply.request.x402Reason = outcome.error.kind;
  return reply
    .code(503)
    .header("retry-after", String(RETRY_AFTER_SECONDS))
    .send({
      error: outcome.error.kind,
      message: `the Polygon Amoy RPC is unavailable (${outcome.error.message}); retry later`,
    });
}

function clientErrorCode(error: FastifyError): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "payload_too_large";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "unsupported_media_type";
    default:
      return "invalid_request";
  }
}

function clientErrorMessage(error: FastifyError): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `request body is larger than ${BODY_LIMIT_BYTES} bytes`;
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "send the body as JSON with Content-Type: application/json";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "the body is empty; send {x402Version, paymentPayload, paymentRequirements} as JSON";
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return `the body is not valid JSON (${error.message})`;
    default:
      return error.message;
  }
}
