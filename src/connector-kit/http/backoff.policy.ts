/** Methods that can be repeated without changing the outcome (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export const MAX_ATTEMPTS_CAP = 3;

export interface BackoffSettings {
  /** First retry waits up to this long (default 200 ms). */
  baseMs: number;
  /** No single wait is longer than this (default 5 s). */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 200, capMs: 5_000 };

export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/**
 * Full-jitter exponential backoff (AWS architecture blog): a uniform wait in
 * [0, min(cap, base * 2^(retry-1))], which spreads retries of many callers apart.
 */
export function fullJitterDelayMs(
  retry: number,
  settings: BackoffSettings = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export function clampAttempts(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return MAX_ATTEMPTS_CAP;
  return Math.min(MAX_ATTEMPTS_CAP, Math.max(1, Math.floor(requested)));
}
