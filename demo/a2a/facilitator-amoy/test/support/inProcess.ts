// Test harness: the facilitator in this process (Fastify inject() or a real listener), with its
// log lines captured so tests can assert on them.
import { Writable } from "node:stream";
import type { PaymentPayload, PaymentPayloadV1, PaymentRequirements, PaymentRequirementsV1 } from "@x402/core/types";
import type { OutgoingHttpHeaders } from "node:http";
import { createApp, createLogger, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { facilitatorBody } from "./payments.js";

/** An answer of POST /verify or /settle: status, headers, the JSON body and its text. */
export interface PostedAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Record<string, unknown>;
  text: string;
}

export interface InProcessFacilitator extends App {
  /** Log output so far (JSON lines). */
  logs(): string;
  /** POSTs a payment as a resource server's facilitator client does, through Fastify's inject(). */
  post(
    route: "/verify" | "/settle",
    payload: PaymentPayload | PaymentPayloadV1,
    requirements: PaymentRequirements | PaymentRequirementsV1,
  ): Promise<PostedAnswer>;
  close(): Promise<void>;
}

export function createInProcessFacilitator(env: Record<string, string>): InProcessFacilitator {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`bad test config: ${loaded.problems.join("; ")}`);
  let logs = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  const app = createApp(loaded.config, createLogger(loaded.config.logLevel, sink));
  return {
    ...app,
    logs: () => logs,
    async post(route, payload, requirements) {
      const response = await app.server.inject({
        method: "POST",
        url: route,
        payload: facilitatorBody(payload, requirements),
      });
      return { status: response.statusCode, headers: response.headers, body: response.json(), text: response.body };
    },
    close: () => app.server.close(),
  };
}
