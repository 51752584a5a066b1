// Chain layer: the read-only signer handed to @x402/evm's verify.
// The library turns RPC failures inside verify into "invalid signature" or "simulation failed";
// this adapter remembers them so the service can answer "RPC unavailable" instead of a wrong verdict.
// One probe per verification, so a failure is attributed to the request that saw it.
import type { FacilitatorEvmSigner } from "@x402/evm";
import type { Abi, Address, Hex } from "viem";
import type { AmoyClient } from "./clients.js";
import { describeRpcFailure, isRpcUnavailable } from "./rpcErrors.js";

/** How long an account's code is reused: payers rarely deploy or delegate code, and the simulation catches it anyway. */
const CODE_TTL_MS = 5_000;
const CODE_ENTRIES = 10_000;

/**
 * eth_getCode answers shared by every verification for CODE_TTL_MS (the library asks for the
 * payer's code, and the token's, on every verification). A failed lookup is not kept.
 */
export class CodeCache {
  private readonly entries = new Map<string, { at: number; code: Promise<Hex | undefined> }>();

  constructor(private readonly client: AmoyClient) {}

  get(address: Address): Promise<Hex | undefined> {
    const key = address.toLowerCase();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < CODE_TTL_MS) return hit.code;
    if (this.entries.size >= CODE_ENTRIES) this.entries.clear();
    const code = this.client.getCode({ address });
    const entry = { at: now, code };
    this.entries.set(key, entry);
    code.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return code;
  }
}

export class VerifyProbe implements FacilitatorEvmSigner {
  /** Set when an RPC call made during this verification failed for transport reasons. */
  rpcFailure: string | undefined;

  constructor(
    private readonly client: AmoyClient,
    private readonly signerAddresses: readonly Address[],
    private readonly codes: CodeCache,
  ) {}

  getAddresses(): readonly Address[] {
    return this.signerAddresses;
  }

  readContract(args: {
    address: Address;
    abi: readonly unknown[];
    functionName: string;
    args?: readonly unknown[];
  }): Promise<unknown> {
    return this.watch(() =>
      this.client.readContract({
        address: args.address,
        abi: args.abi as Abi,
        functionName: args.functionName,
        args: args.args ?? [],
      }),
    );
  }

  /**
   * Never rejects: @x402/evm starts its asset-code check early and, when it returns early with
   * another verdict, never awaits it, so a rejection there would be unhandled. A failed lookup is
   * remembered instead, and the caller discards the verdict.
   */
  async getCode(args: { address: Address }): Promise<Hex | undefined> {
    if (this.rpcFailure) return undefined; // the verdict is discarded anyway: do not wait a second time
    try {
      return await this.codes.get(args.address);
    } catch (error) {
      this.rpcFailure ??= describeRpcFailure(error);
      return undefined;
    }
  }

  verifyTypedData(args: {
    address: Address;
    domain: Record<string, unknown>;
    types: Record<string, unknown>;
    primaryType: string;
    message: Record<string, unknown>;
    signature: Hex;
  }): Promise<boolean> {
    return this.watch(() =>
      this.client.verifyTypedData(args as unknown as Parameters<AmoyClient["verifyTypedData"]>[0]),
    );
  }

  // Settlement never goes through the library: TransactionSender sends it (nonces, de-duplication).
  writeContract(): Promise<Hex> {
    return Promise.reject(new Error("VerifyProbe is read-only: settlements are sent by TransactionSender"));
  }

  sendTransaction(): Promise<Hex> {
    return Promise.reject(new Error("VerifyProbe is read-only: settlements are sent by TransactionSender"));
  }

  waitForTransactionReceipt(): Promise<{ status: string }> {
    return Promise.reject(new Error("VerifyProbe is read-only: settlements are sent by TransactionSender"));
  }

  private async watch<T>(call: () => Promise<T>): Promise<T> {
    // After one transport failure, fail fast: the verdict will be discarded, and a hanging RPC
    // would otherwise cost a full timeout per remaining call.
    if (this.rpcFailure) throw new Error(`RPC unavailable: ${this.rpcFailure}`);
    try {
      return await call();
    } catch (error) {
      if (isRpcUnavailable(error)) this.rpcFailure ??= describeRpcFailure(error);
      throw error;
    }
  }
}
