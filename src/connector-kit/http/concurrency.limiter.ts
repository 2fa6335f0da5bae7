/** Thrown by `acquire` when the caller's deadline passes while it is still queued. */
export class SlotTimeoutError extends Error {
  constructor() {
    super('timed out waiting for a free request slot');
  }
}

/** A FIFO counting semaphore: caps in-flight requests to one connector instance. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Array<{ grant: () => void }> = [];

  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function once a slot is free; rejects if `deadline` passes first. */
  acquire(deadline: number): Promise<() => void> {
    const release = this.releaser();
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(release);
        },
      };
      const timer = setTimeout(
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new SlotTimeoutError());
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next.grant();
      else this.active--;
    };
  }
}
