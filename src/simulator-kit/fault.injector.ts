import { compilePath, type PathPattern } from './path-match.util.js';

export interface FaultMatch {
  /** only requests whose path matches (`'/v1/customers/:id'`, `'/crm/*'`, RegExp); default all */
  path?: PathPattern;
  method?: string;
}

export type Fault =
  | { kind: 'fail'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number }
  | { kind: 'latency'; ms: number }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'throttle'; retryAfterSeconds: number };

interface Armed {
  fault: Fault;
  remaining: number;
  path?: RegExp;
  method?: string;
}

/**
 * Faults armed by tests, consumed by the next matching requests in arming order.
 * A delay is followed by normal handling; a latency handles at once and holds the answer; the other kinds answer instead of the route
 * (malformed lets the route run, then truncates its body).
 */
export class FaultInjector {
  private readonly armed: Armed[] = [];

  private arm(n: number, fault: Fault, match: FaultMatch): this {
    if (!Number.isInteger(n) || n < 1) throw new Error(`fault count must be a positive integer, got ${n}`);
    const entry: Armed = { fault, remaining: n };
    if (match.path !== undefined) entry.path = compilePath(match.path);
    if (match.method !== undefined) entry.method = match.method.toUpperCase();
    this.armed.push(entry);
    return this;
  }

  /** The next `n` matching requests answer `status` (default 503) with `body`. */
  failNext(
    n: number,
    status = 503,
    match: FaultMatch & { body?: unknown; headers?: Record<string, string> } = {},
  ): this {
    const fault: Fault = { kind: 'fail', status };
    if (match.body !== undefined) fault.body = match.body;
    if (match.headers !== undefined) fault.headers = match.headers;
    return this.arm(n, fault, match);
  }

  /** The next `n` matching requests wait `ms` before being handled normally. */
  delayNext(n: number, ms: number, match: FaultMatch = {}): this {
    return this.arm(n, { kind: 'delay', ms }, match);
  }

  /**
   * The next `n` matching requests are handled at once but answered `ms` after they arrived: the
   * simulator's own handling falls inside those `ms`, as a remote system's does inside its
   * response time. (`delayNext` waits first and then handles, so it answers later than `ms`.)
   */
  latencyNext(n: number, ms: number, match: FaultMatch = {}): this {
    return this.arm(n, { kind: 'latency', ms }, match);
  }

  /** The next `n` matching requests are never answered (until the simulator closes). */
  hangNext(n: number, match: FaultMatch = {}): this {
    return this.arm(n, { kind: 'hang' }, match);
  }

  /** The next `n` matching requests get a truncated, unparseable body with status 200. */
  malformedNext(n: number, match: FaultMatch = {}): this {
    return this.arm(n, { kind: 'malformed' }, match);
  }

  /** The next `n` matching requests are refused as rate-limited, through the simulator's throttle hook. */
  throttleNext(n: number, opts: FaultMatch & { retryAfterSeconds?: number } = {}): this {
    return this.arm(n, { kind: 'throttle', retryAfterSeconds: opts.retryAfterSeconds ?? 1 }, opts);
  }

  /** @internal takes the fault for a request, if one is armed for it */
  take(method: string, path: string): Fault | undefined {
    const entry = this.armed.find(
      (a) =>
        a.remaining > 0 &&
        (a.method === undefined || a.method === method) &&
        (a.path === undefined || a.path.test(path)),
    );
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.armed.splice(this.armed.indexOf(entry), 1);
    return entry.fault;
  }

  /** Faults still armed (sum of remaining counts). */
  pending(): number {
    return this.armed.reduce((s, a) => s + a.remaining, 0);
  }

  clear(): void {
    this.armed.length = 0;
  }
}
