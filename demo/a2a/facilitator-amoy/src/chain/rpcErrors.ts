// Classifies viem errors: "the RPC endpoint did not answer" versus "the chain answered no".
import { BaseError, HttpRequestError, LimitExceededRpcError, TimeoutError } from "viem";

/** True when the error means the RPC endpoint is down, hanging or refusing us, not that a call reverted. */
export function isRpcUnavailable(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  return Boolean(
    error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof LimitExceededRpcError),
  );
}

/** A short, secret-free description (viem's messages include the request URL, which may hold a token). */
export function describeRpcFailure(error: unknown): string {
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof TimeoutError)) return "request timed out";
    const http = error.walk((e) => e instanceof HttpRequestError);
    if (http instanceof HttpRequestError) {
      return http.status ? `HTTP ${http.status}` : `connection failed (${rootCauseMessage(http)})`;
    }
    return error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

function rootCauseMessage(error: Error): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message.split("\n")[0]! : "unknown";
}
