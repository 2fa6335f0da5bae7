import type { Request, Response } from 'express';
import { pathMatches, type PathPattern } from './path-match.util.js';

export interface ThrottleState {
  credential: string;
  capacity: number;
  remaining: number;
  /** seconds until one more request would be allowed */
  retryAfterSeconds: number;
}

export interface ThrottleContext extends ThrottleState {
  req: Request;
  res: Response;
  /** true when the refusal came from `faults.throttleNext`, not an empty bucket */
  forced: boolean;
}

export interface ThrottleOptions {
  /** bucket size per credential; omit for no limit (hooks still shape `faults.throttleNext`) */
  capacity?: number;
  /** tokens added per second; default capacity per second */
  refillPerSecond?: number;
  /** tokens a request costs; default 1 */
  cost?: (req: Request) => number;
  except?: readonly PathPattern[];
  /** injectable clock; default Date.now */
  now?: () => number;
  /** writes the refusal; default 429 + Retry-After + JSON */
  respond?: (ctx: ThrottleContext) => void;
  /** headers set on every answered request (X-RateLimit-*, X-App-Usage, Sforce-Limit-Info...) */
  headers?: (state: ThrottleState, req: Request) => Record<string, string>;
}

export function defaultThrottleResponse(ctx: ThrottleContext): void {
  ctx.res
    .status(429)
    .set('Retry-After', String(Math.max(1, Math.ceil(ctx.retryAfterSeconds))))
    .json({ error: 'rate_limited', message: 'Too many requests', retry_after: ctx.retryAfterSeconds });
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per credential. */
export class TokenBucketThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  readonly options: ThrottleOptions;

  constructor(options: ThrottleOptions = {}) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  get limited(): boolean {
    return this.options.capacity !== undefined;
  }

  private bucket(credential: string): Bucket {
    const capacity = this.options.capacity ?? Number.POSITIVE_INFINITY;
    const rate = this.options.refillPerSecond ?? capacity;
    const now = this.now();
    const b = this.buckets.get(credential) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(credential, b);
    return b;
  }

  state(credential: string): ThrottleState {
    const capacity = this.options.capacity ?? Number.POSITIVE_INFINITY;
    const b = this.bucket(credential);
    const rate = this.options.refillPerSecond ?? capacity;
    const missing = Math.max(0, 1 - b.tokens);
    return {
      credential,
      capacity,
      remaining: Math.floor(b.tokens),
      retryAfterSeconds: rate > 0 ? missing / rate : 60,
    };
  }

  /** Takes tokens; false (and nothing taken) when the bucket cannot pay. */
  take(credential: string, req: Request): boolean {
    if (!this.limited || (this.options.except && pathMatches(this.options.except, req.path))) return true;
    const cost = this.options.cost?.(req) ?? 1;
    const b = this.bucket(credential);
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  /** Empties one credential's bucket (tests of the throttled path). */
  drain(credential: string): void {
    this.bucket(credential).tokens = 0;
  }

  reset(): void {
    this.buckets.clear();
  }
}
