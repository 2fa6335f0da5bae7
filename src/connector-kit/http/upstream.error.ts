/** Every way a call to a vendor can fail, as one closed set (CONVENTIONS 9, 10). */
export const UPSTREAM_ERROR_CODES = [
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_HTTP_ERROR',
  'UPSTREAM_AUTH',
  'UPSTREAM_NETWORK',
] as const;

export type UpstreamErrorCode = (typeof UPSTREAM_ERROR_CODES)[number];

export interface UpstreamErrorInit {
  code: UpstreamErrorCode;
  connector: string;
  instance: string;
  message: string;
  status?: number;
  retryAfterMs?: number;
  attempts?: number;
}

/**
 * A failed call to a vendor, naming the connector instance it came from. The message never
 * carries headers, bodies, tokens or query strings, so it is safe to log and to show.
 *
 * @example
 * try {
 *   await http.get('/crm/v3/objects/contacts');
 * } catch (err) {
 *   if (err instanceof UpstreamError && err.code === 'UPSTREAM_RATE_LIMITED') {
 *     reschedule(err.retryAfterMs);
 *   }
 * }
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly code: UpstreamErrorCode;
  readonly connector: string;
  readonly instance: string;
  readonly http?: { status: number };
  readonly retryAfterMs?: number;
  readonly attempts?: number;

  constructor(init: UpstreamErrorInit) {
    super(init.message || `${init.connector}/${init.instance}: ${init.code}`);
    this.code = init.code;
    this.connector = init.connector;
    this.instance = init.instance;
    if (init.status !== undefined) this.http = { status: init.status };
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.attempts !== undefined) this.attempts = init.attempts;
  }

  /** The shape GraphQL errors carry in `extensions` (Hive Gateway's upstream extensions). */
  toExtensions(): {
    code: UpstreamErrorCode;
    connector: string;
    instance: string;
    http?: { status: number };
    retryAfterMs?: number;
  } {
    return {
      code: this.code,
      connector: this.connector,
      instance: this.instance,
      ...(this.http ? { http: this.http } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
    };
  }
}

export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError;
}
