// x402 layer: what verify and settle return below HTTP. A verdict is a value; a ServiceError is not
// about the payment at all (the chain did not answer) and the HTTP layer answers it with a 503.

/** A failure that is not a verdict about the payment: the caller should retry later. */
export type ServiceError = { kind: "rpc_unavailable"; message: string };
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ServiceError };

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function rpcUnavailable<T>(message: string): Outcome<T> {
  return { ok: false, error: { kind: "rpc_unavailable", message } };
}
