// Test harness: a JSON-RPC endpoint in front of anvil that a test can take down (connections
// refused), make hang (requests accepted, never answered) and bring back on the same URL — an RPC
// provider's outage, while the chain behind it keeps going. Counts the JSON-RPC calls it forwards.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export type RpcProxyMode = "up" | "hang" | "down";

export interface RpcProxy {
  readonly url: string;
  readonly mode: RpcProxyMode;
  /** JSON-RPC calls forwarded so far (a batch counts each call), by method. */
  readonly calls: Map<string, number>;
  totalCalls(): number;
  setMode(mode: RpcProxyMode): Promise<void>;
  stop(): Promise<void>;
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const calls = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  let mode: RpcProxyMode = "up";

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
      try {
        const parsed = JSON.parse(body) as { method?: string } | { method?: string }[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) calls.set(call.method ?? "?", (calls.get(call.method ?? "?") ?? 0) + 1);
      } catch {
        // forwarded as is
      }
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body }).then(
        async (upstream) => {
          res.writeHead(upstream.status, { "content-type": "application/json" });
          res.end(await upstream.text());
        },
        () => res.destroy(),
      );
    });
  });
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
    async stop() {
      if (mode !== "down") await close();
      mode = "down";
    },
  };
}
