// Chain layer: the read-only signer handed to @x402/evm's verify.
// The library turns RPC failures inside verify into "invalid signature" or "simulation failed";
// this adapter remembers them so the service can answer "RPC unavailable" instead of a wrong verdict.
// One probe per verification, so a failure is attributed to the request that saw it.
import type { FacilitatorEvmSigner } from "@x402/evm";
import type { Abi, Address, Hex } from "viem";
import type { AmoyClient } from "./clients.js";
import { describeRpcFailure, isRpcUnavailable } from "./rpcErrors.js";

export class VerifyProbe implements FacilitatorEvmSigner {
  /** Set when an RPC call made during this verification failed for transport reasons. */
  rpcFailure: string | undefined;
  /** The library asks for the payer's code twice per verification; one round trip is enough. */
  private readonly codes = new Map<string, Promise<Hex | undefined>>();

  constructor(
    private readonly client: AmoyClient,
    private readonly signerAddress: Address,
  ) {}

  getAddresses(): readonly Address[] {
    return [this.signerAddress];
  }

  readContract(args: { address: Address; abi: readonly unknown[]; functionName: string; args?: readonly unknown[] }): Promise<unknown> {
    return this.watch(() =>
      this.client.readContract({ address: args.address, abi: args.abi as Abi, functionName: args.functionName, args: args.args ?? [] }),
    );
  }

  getCode(args: { address: Address }): Promise<Hex | undefined> {
    const key = args.address.toLowerCase();
    let code = this.codes.get(key);
    if (!code) {
      code = this.watch(() => this.client.getCode(args));
      this.codes.set(key, code);
    }
    return code;
  }

  verifyTypedData(args: {
    address: Address;
    domain: Record<string, unknown>;
    types: Record<string, unknown>;
    primaryType: string;
    message: Record<string, unknown>;
    signature: Hex;
  }): Promise<boolean> {
    return this.watch(() => this.client.verifyTypedData(args as unknown as Parameters<AmoyClient["verifyTypedData"]>[0]));
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
    try {
      return await call();
    } catch (error) {
      if (isRpcUnavailable(error)) this.rpcFailure ??= describeRpcFailure(error);
      throw error;
    }
  }
}
