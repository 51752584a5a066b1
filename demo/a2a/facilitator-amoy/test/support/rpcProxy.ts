// Test harness: a JSON-RPC endpoint in front of anvil that a test can take down (connections
// refused), make hang (requests accepted, never answered) and bring back on the same URL — an RPC
// provider's outage, while the chain behind it keeps going. Counts the JSON-RPC calls it forwards,
// and can answer chosen calls itself, as a real node would where anvil differs (see `override`).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export type RpcProxyMode = "up" | "hang" | "down";

export interface JsonRpcCall {
  readonly id: number | string;
  readonly method: string;
  readonly params?: unknown[];
}

/** The answer to give a call instead of forwarding it (an error or a result); undefined: forward. */
export type Override = (
  call: JsonRpcCall,
) => { error: { code: number; message: string } } | { result: unknown } | undefined;

export interface RpcProxy {
  readonly url: string;
  readonly mode: RpcProxyMode;
  /** JSON-RPC calls forwarded so far (a batch counts each call), by method. */
  readonly calls: Map<string, number>;
  totalCalls(): number;
  setMode(mode: RpcProxyMode): Promise<void>;
  /** Answers the calls `override` picks itself (batches are split: the rest is forwarded). */
  override(override: Override | undefined): void;
  stop(): Promise<void>;
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const calls = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  let mode: RpcProxyMode = "up";
  let overriding: Override | undefined;

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
        for (const call of Array.isArray(parsed) ? parsed : [parsed])
          calls.set(call.method ?? "?", (calls.get(call.method ?? "?") ?? 0) + 1);
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

  const forward = (body: string) =>
    fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });

  /** Forwards what is not overridden; an overridden call gets its answer, in a batch at its place. */
  async function answer(
    parsed: JsonRpcCall | JsonRpcCall[] | undefined,
    body: string,
  ): Promise<{ status: number; text: string }> {
    const batch = Array.isArray(parsed) ? parsed : parsed ? [parsed] : [];
    const overridden = new Map(
      batch.flatMap((call) => {
        const answer = overriding?.(call);
        return answer ? [[call.id, { jsonrpc: "2.0", id: call.id, ...answer }] as const] : [];
      }),
    );
    if (overridden.size === 0) {
      const upstream = await forward(body);
      return { status: upstream.status, text: await upstream.text() };
    }
    const rest = batch.filter((call) => !overridden.has(call.id));
    const forwarded =
      rest.length > 0 ? ((await (await forward(JSON.stringify(rest))).json()) as { id: number | string }[]) : [];
    const byId = new Map(forwarded.map((reply) => [reply.id, reply] as const));
    const replies = batch.map((call) => overridden.get(call.id) ?? byId.get(call.id));
    return { status: 200, text: JSON.stringify(Array.isArray(parsed) ? replies : replies[0]) };
  }
  server.keepAliveTimeout = 1_000;

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
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
    override(next) {
      overriding = next;
    },
    async stop() {
      if (mode !== "down") await close();
      mode = "down";
    },
  };
}
