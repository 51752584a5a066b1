// The pure concurrency helpers of settlement, without a chain: SingleFlight, BoundedMap, PendingDebits.
import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../src/x402/boundedMap.js";
import { PendingDebits } from "../../src/x402/pendingDebits.js";
import { SingleFlight } from "../../src/x402/singleFlight.js";

const PAYER = "0x00000000000000000000000000000000000000A1" as const;
const OTHER = "0x00000000000000000000000000000000000000b2" as const;

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("SingleFlight", () => {
  it("a call with the same key and variant joins the running one and shares its result", async () => {
    const flight = new SingleFlight<string>();
    const gate = deferred<string>();
    let runs = 0;
    const task = () => ((runs += 1), gate.promise);
    const calls = [flight.run("k", "v", task), flight.run("k", "v", task), flight.run("k", "v", task)];
    gate.resolve("tx");
    expect(await Promise.all(calls)).toEqual([
      { result: "tx", shared: false },
      { result: "tx", shared: true },
      { result: "tx", shared: true },
    ]);
    expect(runs).toBe(1);
  });

  it("another variant of the same key waits for the running one, then runs on its own", async () => {
    const flight = new SingleFlight<string>();
    const gate = deferred<string>();
    const order: string[] = [];
    const first = flight.run(
      "k",
      "a",
      async () => (order.push("a start"), await gate.promise, order.push("a end"), "a"),
    );
    const second = flight.run("k", "b", async () => (order.push("b"), "b"));
    await Promise.resolve();
    expect(order).toEqual(["a start"]);
    gate.resolve("a");
    expect(await Promise.all([first, second])).toEqual([
      { result: "a", shared: false },
      { result: "b", shared: false },
    ]);
    expect(order).toEqual(["a start", "a end", "b"]);
  });

  it("a failed run does not block the key", async () => {
    const flight = new SingleFlight<string>();
    await expect(flight.run("k", "v", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await flight.run("k", "v", async () => "next")).toEqual({ result: "next", shared: false });
  });
});

describe("BoundedMap", () => {
  it("forgets its oldest entries first; setting a key again makes it newest", () => {
    const map = new BoundedMap<number>(2);
    map.set("a", 1);
    map.set("b", 2);
    map.set("a", 3);
    map.set("c", 4);
    expect([map.get("a"), map.get("b"), map.get("c")]).toEqual([3, undefined, 4]);
    map.delete("a");
    expect(map.get("a")).toBeUndefined();
  });
});

describe("PendingDebits", () => {
  const later = () => Date.now() + 60_000;

  it("reserves while the balance covers what is pending, per payer, case-insensitively", () => {
    const debits = new PendingDebits();
    expect(debits.reserve("k1", PAYER, 10n, 15n, later())).toEqual({ ok: true });
    expect(debits.reserve("k2", PAYER.toLowerCase() as typeof PAYER, 10n, 15n, later())).toEqual({
      ok: false,
      pending: 10n,
    });
    expect(debits.reserve("k3", OTHER, 10n, 15n, later())).toEqual({ ok: true });
    expect(debits.pendingOf(PAYER)).toBe(10n);
  });

  it("is idempotent per authorization (a re-sent settlement keeps one reservation) and released by key", () => {
    const debits = new PendingDebits();
    debits.reserve("k1", PAYER, 10n, 15n, later());
    expect(debits.reserve("k1", PAYER, 10n, 15n, later())).toEqual({ ok: true });
    expect(debits.pendingOf(PAYER)).toBe(10n);
    debits.release("k1");
    expect(debits.pendingOf(PAYER)).toBe(0n);
  });

  it("drops reservations past their expiry (the authorization can no longer land)", () => {
    const debits = new PendingDebits();
    debits.reserve("k1", PAYER, 10n, 15n, Date.now() - 1);
    expect(debits.pendingOf(PAYER)).toBe(0n);
    expect(debits.reserve("k2", PAYER, 15n, 15n, later())).toEqual({ ok: true });
  });
});
