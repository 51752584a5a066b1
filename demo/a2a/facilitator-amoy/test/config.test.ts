// Config: each bad env value gives its own clear start-up error, and the key never appears.
import { describe, expect, it } from "vitest";
import { CIRCLE_AMOY_USDC, loadConfig } from "../src/config/config.js";
import { devAccount } from "./support/accounts.js";
import { startAnvil } from "./support/anvil.js";
import { runFacilitator } from "./support/facilitator.js";

const key = devAccount(1).privateKey; // anvil dev key #1 (public test key)
const good = { FACILITATOR_PRIVATE_KEY: key, AMOY_RPC_URL: "http://127.0.0.1:8545" };

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const loaded = loadConfig(good);
    expect(loaded).toEqual({
      ok: true,
      config: {
        privateKeys: [key],
        rpcUrl: "http://127.0.0.1:8545",
        usdcAddress: CIRCLE_AMOY_USDC,
        realSettle: false,
        host: "0.0.0.0",
        port: 5401,
        logLevel: "info",
        requestTimeoutMs: 10_000,
        rpcTimeoutMs: 5_000,
        settleTimeoutMs: 60_000,
        apiKeys: [],
        minSignerBalanceWei: 10_000_000_000_000_000n,
        minPriorityFeeWei: 25_000_000_000n,
        shutdownGraceMs: 25_000,
        minPaymentAmount: 1n,
        allowContractPayers: false,
        contractPayerGasLimit: 200_000,
        payerRevertCooldownMs: 3_600_000,
      },
    });
  });

  it("parses every variable", () => {
    const loaded = loadConfig({
      ...good,
      AMOY_USDC_ADDRESS: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      REAL_SETTLE: "TRUE",
      PORT: "6000",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      RPC_TIMEOUT_MS: "2500",
      SETTLE_TIMEOUT_MS: "9000",
      MIN_PAYMENT_AMOUNT: "1000",
      ALLOW_CONTRACT_PAYERS: "true",
      CONTRACT_PAYER_GAS_LIMIT: "150000",
      PAYER_REVERT_COOLDOWN_SECONDS: "60",
      MIN_PRIORITY_FEE_GWEI: "30.5",
      REQUEST_TIMEOUT_MS: "2000",
    });
    expect(loaded.ok && loaded.config).toMatchObject({
      minPaymentAmount: 1000n,
      allowContractPayers: true,
      contractPayerGasLimit: 150_000,
      payerRevertCooldownMs: 60_000,
      minPriorityFeeWei: 30_500_000_000n,
      requestTimeoutMs: 2_000,
      usdcAddress: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      realSettle: true,
      port: 6000,
      host: "127.0.0.1",
      logLevel: "warn",
      rpcTimeoutMs: 2500,
      settleTimeoutMs: 9000,
    });
  });

  it.each([
    [{ FACILITATOR_PRIVATE_KEY: undefined }, "FACILITATOR_PRIVATE_KEY is required"],
    [{ FACILITATOR_PRIVATE_KEY: "" }, "FACILITATOR_PRIVATE_KEY is required"],
    [{ FACILITATOR_PRIVATE_KEY: key.slice(0, 40) }, "FACILITATOR_PRIVATE_KEY is not a valid secp256k1 private key"],
    [{ FACILITATOR_PRIVATE_KEY: key.slice(2) }, "FACILITATOR_PRIVATE_KEY is not a valid secp256k1 private key"],
    [
      { FACILITATOR_PRIVATE_KEY: `0x${"f".repeat(64)}` },
      "FACILITATOR_PRIVATE_KEY is not a valid secp256k1 private key",
    ],
    [{ AMOY_RPC_URL: undefined }, "AMOY_RPC_URL is required"],
    [{ AMOY_RPC_URL: "localhost:8545" }, "AMOY_RPC_URL must be an http:// or https:// URL"],
    [{ AMOY_RPC_URL: "wss://rpc.example" }, "AMOY_RPC_URL must be an http:// or https:// URL"],
    [{ AMOY_USDC_ADDRESS: "0x1234" }, 'AMOY_USDC_ADDRESS must be a 0x-prefixed 20-byte hex address (got "0x1234")'],
    [{ REAL_SETTLE: "yes" }, 'REAL_SETTLE must be true or false (got "yes")'],
    [{ PORT: "0" }, 'PORT must be an integer from 1 to 65535 (got "0")'],
    [{ PORT: "http" }, 'PORT must be an integer from 1 to 65535 (got "http")'],
    [
      { LOG_LEVEL: "verbose" },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    ],
    [{ RPC_TIMEOUT_MS: "5" }, 'RPC_TIMEOUT_MS must be an integer from 100 to 120000 (got "5")'],
    [{ SETTLE_TIMEOUT_MS: "-1" }, 'SETTLE_TIMEOUT_MS must be an integer from 100 to 600000 (got "-1")'],
    [
      { MIN_PAYMENT_AMOUNT: "0" },
      'MIN_PAYMENT_AMOUNT must be a positive integer amount of the token\'s atomic units (got "0")',
    ],
    [{ ALLOW_CONTRACT_PAYERS: "maybe" }, 'ALLOW_CONTRACT_PAYERS must be true or false (got "maybe")'],
    [
      { MIN_PRIORITY_FEE_GWEI: "-1" },
      'MIN_PRIORITY_FEE_GWEI must be a non-negative number of gwei with at most 9 decimals (got "-1")',
    ],
    [{ REQUEST_TIMEOUT_MS: "50" }, 'REQUEST_TIMEOUT_MS must be an integer from 100 to 120000 (got "50")'],
    [
      { CONTRACT_PAYER_GAS_LIMIT: "1000" },
      'CONTRACT_PAYER_GAS_LIMIT must be an integer from 50000 to 10000000 (got "1000")',
    ],
  ])("rejects %o with one clear line", (override, message) => {
    const loaded = loadConfig({ ...good, ...override });
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]).toContain(message);
  });

  it("reads a signer pool, API keys, the signer balance minimum and the shutdown grace", () => {
    const second = devAccount(8).privateKey; // anvil dev key #8 (public test key)
    const loaded = loadConfig({
      AMOY_RPC_URL: good.AMOY_RPC_URL,
      FACILITATOR_PRIVATE_KEYS: ` ${key} , ${second} `,
      FACILITATOR_API_KEYS: "first-key-0123456789abcdef, second-key-0123456789abcdef",
      MIN_SIGNER_BALANCE_WEI: "123456789012345678901234567890",
      SHUTDOWN_GRACE_MS: "5000",
    });
    expect(loaded.ok && loaded.config).toMatchObject({
      privateKeys: [key, second],
      apiKeys: ["first-key-0123456789abcdef", "second-key-0123456789abcdef"],
      minSignerBalanceWei: 123456789012345678901234567890n,
      shutdownGraceMs: 5000,
    });
  });

  it.each([
    [
      { FACILITATOR_PRIVATE_KEY: "", FACILITATOR_PRIVATE_KEYS: `${key},${key.slice(0, 30)}` },
      "FACILITATOR_PRIVATE_KEYS entry 2 of 2 is not a valid secp256k1 private key",
    ],
    [
      { FACILITATOR_PRIVATE_KEY: "", FACILITATOR_PRIVATE_KEYS: `${key},${key.toUpperCase().replace("0X", "0x")}` },
      "FACILITATOR_PRIVATE_KEYS lists the same key twice",
    ],
    [{ FACILITATOR_PRIVATE_KEYS: key }, "FACILITATOR_PRIVATE_KEY and FACILITATOR_PRIVATE_KEYS are both set"],
    [
      { FACILITATOR_API_KEYS: "short" },
      "FACILITATOR_API_KEYS must be comma-separated keys of 16 to 256 printable characters",
    ],
    [
      { MIN_SIGNER_BALANCE_WEI: "0.5" },
      'MIN_SIGNER_BALANCE_WEI must be a non-negative integer amount of wei (got "0.5")',
    ],
    [{ SHUTDOWN_GRACE_MS: "soon" }, 'SHUTDOWN_GRACE_MS must be an integer from 0 to 600000 (got "soon")'],
  ])("rejects %o with one clear line that shows no key", (override, message) => {
    const loaded = loadConfig({ ...good, ...override });
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problems).toEqual([expect.stringContaining(message)]);
    expect(loaded.problems.join("\n").toLowerCase()).not.toContain(key.slice(2, 30).toLowerCase());
    expect(loaded.problems.join("\n")).not.toContain("short");
  });

  it("reports every problem at once, one line each", () => {
    const loaded = loadConfig({ PORT: "x", REAL_SETTLE: "maybe" });
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.problems).toHaveLength(4);
  });
});

describe("start-up", () => {
  it("exits 1 with one line per problem, and never prints the key", async () => {
    const badKey = `${key.slice(0, 60)}zz`; // key-like but invalid: must not be echoed either
    const { code, output } = await runFacilitator({
      FACILITATOR_PRIVATE_KEY: badKey,
      AMOY_RPC_URL: "ftp://x",
      PORT: "70000",
    });
    expect(code).toBe(1);
    const lines = output.trim().split("\n");
    expect(lines).toEqual([
      expect.stringContaining("FACILITATOR_PRIVATE_KEY is not a valid secp256k1 private key"),
      expect.stringContaining("AMOY_RPC_URL must be an http:// or https:// URL"),
      expect.stringContaining("PORT must be an integer from 1 to 65535"),
    ]);
    expect(output).not.toContain(badKey.slice(2, 20));
  });

  it("refuses an RPC that is not Polygon Amoy, naming the chain id, without printing the key", async () => {
    const anvil = await startAnvil();
    try {
      await anvil.rpc("anvil_setChainId", [1]);
      const { code, output } = await runFacilitator({
        FACILITATOR_PRIVATE_KEY: key,
        AMOY_RPC_URL: `${anvil.url}/?apikey=secret-token`,
      });
      expect(code).toBe(1);
      expect(output).toContain("serves chain id 1, expected 80002 (Polygon Amoy)");
      expect(output).not.toContain("secret-token");
      expect(output).not.toContain(key.slice(2));
    } finally {
      await anvil.stop();
    }
  });
});
