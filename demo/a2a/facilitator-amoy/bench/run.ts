// Benchmark (not a test): starts anvil and the built facilitator, then measures
//   - POST /verify: req/s and p50/p99 latency at concurrency 1, 16, 64 (autocannon, distinct payments,
//     every answer checked to be {"isValid":true,...}: each request does every check of /verify);
//   - POST /settle: 200 concurrent distinct payments, with automine and with 1 s blocks, with one key
//     and with a two-key pool: throughput, p99, and how many landed on chain.
// Prints a markdown table and the machine's load average, which matters on a shared box.
//
//   npm run bench                       (root or service)
//   BENCH_SECONDS=20 npm run bench      (longer verify runs; default 10 s each, after a 3 s warm-up)
//   BENCH_ONLY=verify npm run bench     (only the /verify rows; BENCH_ONLY=settle for the settle rows)
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { authorizationTypes } from "@x402/evm";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import { getAddress } from "viem";
import { devAccount } from "../test/support/accounts.js";
import { AMOY_CHAIN_ID } from "../test/support/anvil.js";
import { startTestChain, type TestChain } from "../test/support/chain.js";
import { startFacilitator, type FacilitatorProcess } from "../test/support/facilitator.js";
import { compareWithChain, settleConcurrently, signPayments } from "../test/support/load.js";
import { facilitatorBody, randomNonce, requirementsV2 } from "../test/support/payments.js";
import { SERVICE_DIR, usdc } from "../test/support/token.js";

const VERIFY_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const VERIFY_PAYMENTS = 4_000;
const SETTLE_COUNT = 200;
const ONLY = process.env.BENCH_ONLY;

interface Row {
  readonly what: string;
  readonly throughput: string;
  readonly p50: string;
  readonly p99: string;
  readonly notes: string;
}

const rows: Row[] = [];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const loadBefore = load();
  process.stdout.write(`facilitator benchmark: ${cpus().length} CPUs, load average (1/5/15 min) ${loadBefore}\n`);
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: SERVICE_DIR, stdio: "inherit" });

  if (ONLY !== undefined && ONLY !== "verify" && ONLY !== "settle")
    throw new Error(`BENCH_ONLY=${ONLY}: use verify or settle (or unset it for both)`);
  if (ONLY !== "settle") await benchVerify();
  if (ONLY !== "verify") {
    for (const keys of [1, 2]) {
      for (const blockTime of [undefined, 1]) await benchSettle(keys, blockTime);
    }
  }

  process.stdout.write(`\n| measurement | throughput | p50 | p99 | notes |\n|---|---|---|---|---|\n`);
  for (const r of rows) process.stdout.write(`| ${r.what} | ${r.throughput} | ${r.p50} | ${r.p99} | ${r.notes} |\n`);
  process.stdout.write(
    `\nload average (1/5/15 min): before ${loadBefore}, after ${load()} on ${cpus().length} CPUs; load generator, anvil and the service share them.\n`,
  );
}

async function benchVerify(): Promise<void> {
  const chain = await startTestChain({ buyerFunds: usdc(1_000_000) });
  const service = await startFacilitator({ env: chain.facilitatorEnv({ REAL_SETTLE: "false" }) });
  try {
    const bodies = await signVerifyBodies(chain, VERIFY_PAYMENTS);
    const expected = JSON.stringify({ isValid: true, payer: chain.buyer.account.address });
    await runVerify(service, bodies, 16, WARMUP_SECONDS * 2, expected); // JIT warm-up, so concurrency 1 is not measured cold
    for (const connections of [1, 16, 64]) {
      await runVerify(service, bodies, connections, WARMUP_SECONDS, expected);
      const cpuBefore = cpuSnapshot(service, chain);
      const result = await runVerify(service, bodies, connections, VERIFY_SECONDS, expected);
      const cpu = cpuPerRequest(cpuBefore, cpuSnapshot(service, chain), result.requests.total);
      const bad = result.errors + result.timeouts + result.non2xx + result.mismatches;
      rows.push({
        what: `POST /verify, concurrency ${connections}`,
        throughput: `${result.requests.average.toFixed(0)} req/s`,
        p50: ms(result.latency.p50),
        p99: ms(result.latency.p99),
        notes: `${result.requests.total} requests in ${VERIFY_SECONDS} s${bad ? `, ${bad} NOT VALID/FAILED` : ", all isValid:true"}; CPU per request: service ${cpu.service}, anvil ${cpu.anvil}, load generator ${cpu.generator} ms; load ${load()}`,
      });
      process.stdout.write(
        `verify c=${connections}: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, bad ${bad}\n`,
      );
    }
  } finally {
    await service.stop();
    await chain.stop();
  }
}

function runVerify(
  service: FacilitatorProcess,
  bodies: string[],
  connections: number,
  seconds: number,
  expected: string,
): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url: `${service.url}/verify`,
    connections,
    duration: seconds,
    // Distinct payments, so nothing is answered from a cache of identical requests.
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }),
      },
    ],
    verifyBody: (body) => body === expected,
  });
}

/** Distinct EIP-3009 authorizations for /verify, signed as the official client signs them (same EIP-712 message). */
async function signVerifyBodies(chain: TestChain, count: number): Promise<string[]> {
  const requirements: PaymentRequirements = requirementsV2({
    asset: chain.token.address,
    payTo: chain.seller.account.address,
    amount: usdc(0.01),
  });
  const validBefore = BigInt(Math.floor(Date.now() / 1000) + 3_600);
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const authorization = {
      from: chain.buyer.account.address,
      to: getAddress(requirements.payTo),
      value: usdc(0.01),
      validAfter: 0n,
      validBefore,
      nonce: randomNonce(),
    };
    const signature = await chain.buyer.account.signTypedData({
      domain: { name: "USDC", version: "2", chainId: AMOY_CHAIN_ID, verifyingContract: getAddress(requirements.asset) },
      types: authorizationTypes,
      primaryType: "TransferWithAuthorization",
      message: authorization,
    });
    const payload: PaymentPayload = {
      x402Version: 2,
      resource: { url: "http://localhost/paid" },
      accepted: requirements,
      payload: {
        authorization: {
          ...authorization,
          value: authorization.value.toString(),
          validAfter: "0",
          validBefore: validBefore.toString(),
        },
        signature,
      },
    };
    bodies.push(JSON.stringify(facilitatorBody(payload, requirements)));
  }
  return bodies;
}

async function benchSettle(keys: number, blockTime: number | undefined): Promise<void> {
  const chain = await startTestChain({ blockTime, buyerFunds: usdc(1_000) });
  const pool = [chain.facilitator, devAccount(8)].slice(0, keys); // anvil dev keys #1, #8 (public test keys)
  const env =
    keys === 1
      ? chain.facilitatorEnv()
      : chain.facilitatorEnv({
          FACILITATOR_PRIVATE_KEY: "",
          FACILITATOR_PRIVATE_KEYS: pool.map((a) => a.privateKey).join(","),
        });
  const service = await startFacilitator({ env });
  try {
    const payments = await signPayments(chain, SETTLE_COUNT, usdc(0.01));
    const cpuBefore = processCpuMs(service.child.pid!);
    const started = performance.now();
    const answers = await settleConcurrently([service.url], payments);
    const seconds = (performance.now() - started) / 1000;
    const cpuPerSettlement = (processCpuMs(service.child.pid!) - cpuBefore) / SETTLE_COUNT;
    const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
    const agreement = await compareWithChain(chain, answers);
    const what = `POST /settle, ${SETTLE_COUNT} concurrent, ${blockTime ? `${blockTime} s blocks` : "automine"}, ${keys === 1 ? "1 key" : `${keys}-key pool`}`;
    rows.push({
      what,
      throughput: `${(SETTLE_COUNT / seconds).toFixed(1)} settlements/s`,
      p50: ms(percentile(latencies, 0.5)),
      p99: ms(percentile(latencies, 0.99)),
      notes: `${agreement.succeeded}/${SETTLE_COUNT} succeeded, ${agreement.usedOnChain}/${SETTLE_COUNT} on chain, ${agreement.mismatches.length} answers disagree with the chain; all in ${seconds.toFixed(2)} s; service CPU ${cpuPerSettlement.toFixed(2)} ms/settlement; load ${load()}`,
    });
    process.stdout.write(`${what}: ${agreement.usedOnChain}/${SETTLE_COUNT} on chain in ${seconds.toFixed(2)} s\n`);
  } finally {
    await service.stop();
    await chain.stop();
  }
}

interface CpuSnapshot {
  readonly service: number;
  readonly anvil: number;
  readonly generator: number;
}

/** CPU used so far by the service, anvil and this process (autocannon runs in it). */
function cpuSnapshot(service: FacilitatorProcess, chain: TestChain): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    service: processCpuMs(service.child.pid!),
    anvil: processCpuMs(chain.anvil.pid),
    generator: (own.user + own.system) / 1000,
  };
}

function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): Record<keyof CpuSnapshot, string> {
  const per = (key: keyof CpuSnapshot) => ((after[key] - before[key]) / Math.max(1, requests)).toFixed(2);
  return { service: per("service"), anvil: per("anvil"), generator: per("generator") };
}

/** CPU time (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return Number.NaN;
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
