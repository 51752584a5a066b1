// Test harness: the facilitator in this process (Fastify inject() or a real listener), with its
// log lines captured so tests can assert on them.
import { Writable } from "node:stream";
import { createApp, createLogger, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";

export interface InProcessFacilitator extends App {
  /** Log output so far (JSON lines). */
  logs(): string;
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
  return { ...app, logs: () => logs, close: () => app.server.close() };
}
