// Test harness: a JSON-RPC endpoint in front of anvil that a test can take down (connections
// refused), make hang (requests accepted, never answered) and bring back on the same URL — an RPC
// provider's outage, while the chain behind it keeps going. Counts the JSON-RPC calls it forwards,
// and can answer chosen calls with an error of its own, as a real node would (see `refuse`).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export type RpcProxyMode = "up" | "hang" | "down";

export interface JsonRpcCall {
  readonly id: number | string;
  readonly method: string;
  readonly params?: unknown[];
}

/** A JSON-RPC error to answer a call with instead of forwarding it; undefined: forward. */
export type Refusal = (call: JsonRpcCall) => { code: number; message: string; data?: unknown } | undefined;

export interface RpcProxy {
  readonly url: string;
  readonly mode: RpcProxyMode;
  /** JSON-RPC calls forwarded so far (a batch counts each call), by method. */
  readonly calls: Map<string, number>;
  totalCalls(): number;
  setMode(mode: RpcProxyMode): Promise<void>;
  /** Answers the calls `refusal` picks with its error (batches are split: the rest is forwarded). */
  refuse(refusal: Refusal | undefined): void;
  stop(): Promise<void>;
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const calls = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  let mode: RpcProxyMode = "up";
  let refusal: Refusal | undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (mode === "hang") {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      const body = Buffer.concat(chunks).toString();
      let parsed: JsonRpcCall | JsonRpcCall[] | undefined;
      try {
        parsed = JSON.parse(body) as JsonRpcCall | JsonRpcCall[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) calls.set(call.method ?? "?", (calls.get(call.method ?? "?") ?? 0) + 1);
      } catch {
        // forwarded as is
      }
      answer(parsed, body).then(
        ({ status, text }) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(text);
        },
        () => res.destroy(),
      );
    });
  });

  const forward = (body: string) => fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });

  /** Forwards what is not refused; a refused call gets its error, in a batch at its place. */
  async function answer(parsed: JsonRpcCall | JsonRpcCall[] | undefined, body: string): Promise<{ status: number; text: string }> {
    const batch = Array.isArray(parsed) ? parsed : parsed ? [parsed] : [];
    const errors = new Map(batch.flatMap((call) => {
      const error = refusal?.(call);
      return error ? [[call.id, { jsonrpc: "2.0", id: call.id, error }] as const] : [];
    }));
    if (errors.size === 0) {
      const upstream = await forward(body);
      return { status: upstream.status, text: await upstream.text() };
    }
    const rest = batch.filter((call) => !errors.has(call.id));
    const forwarded = rest.length > 0 ? ((await (await forward(JSON.stringify(rest))).json()) as { id: number | string }[]) : [];
    const byId = new Map(forwarded.map((reply) => [reply.id, reply] as const));
    const replies = batch.map((call) => errors.get(call.id) ?? byId.get(call.id));
    return { status: 200, text: JSON.stringify(Array.isArray(parsed) ? replies : replies[0]) };
  }
  server.keepAliveTimeout = 1_000;

  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
  const close = () => new Promise<void>((resolve) => {
    for (const res of hanging) res.destroy();
    server.close(() => resolve());
    server.closeAllConnections();
  });

  const port = await listen(0);
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    calls,
    totalCalls: () => [...calls.values()].reduce((a, b) => a + b, 0),
    async setMode(next) {
      if (next === mode) return;
      if (mode === "down") await listen(port);
      if (next === "down") await close();
      if (mode === "hang") for (const res of hanging) res.destroy();
      mode = next;
    },
    refuse(next) {
      refusal = next;
    },
    async stop() {
      if (mode !== "down") await close();
      mode = "down";
    },
  };
}
