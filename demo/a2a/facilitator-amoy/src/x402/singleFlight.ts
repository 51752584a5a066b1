// One execution at a time per key, for settlement (see Facilitator.settle).

/**
 * One execution at a time per key. A call whose `variant` equals the running one's joins it and
 * shares its result; a call with another variant waits for it to finish and then runs on its own.
 * (Settlement: the same authorization presented with the same terms shares one transaction; the
 * same authorization presented with other terms must be judged on its own, never handed a result
 * that was verified against someone else's requirements.)
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, { variant: string; result: Promise<T> }>();

  /** `shared`: this call joined a running one and got its result. */
  async run(key: string, variant: string, task: () => Promise<T>): Promise<{ result: T; shared: boolean }> {
    for (let current = this.running.get(key); current; current = this.running.get(key)) {
      if (current.variant === variant) return { result: await current.result, shared: true };
      await current.result.catch(() => undefined);
    }
    // No await between the check above and this set: the check-and-claim is atomic.
    const result = task().finally(() => this.running.delete(key));
    this.running.set(key, { variant, result });
    return { result: await result, shared: false };
  }
}
