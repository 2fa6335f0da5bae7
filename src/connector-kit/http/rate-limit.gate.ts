/** Thrown when the instance stays blocked past the caller's deadline. */
export class RateLimitedUntilError extends Error {
  readonly resetAt: number;
  constructor(resetAt: number) {
    super(`rate limited until ${new Date(resetAt).toISOString()}`);
    this.resetAt = resetAt;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One per connector instance: after a 429 (or a spent window) no request to that instance
 * leaves until the vendor's reset time, whoever the caller is.
 */
export class RateLimitGate {
  private until = 0;

  /** Epoch ms until which the instance is blocked, or 0. */
  get blockedUntil(): number {
    return this.until > Date.now() ? this.until : 0;
  }

  /** Later resets win: two 429s never shorten each other's wait. */
  block(ms: number): void {
    this.until = Math.max(this.until, Date.now() + Math.max(0, ms));
  }

  /** Waits until the gate is open. Returns the time waited; throws if it would pass `deadline`. */
  async pass(deadline: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const now = Date.now();
      if (this.until <= now) return now - started;
      if (this.until > deadline) throw new RateLimitedUntilError(this.until);
      await sleep(this.until - now);
    }
  }
}
